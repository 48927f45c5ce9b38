//! CSV episode files, read line by line into reused buffers.
//!
//! A record is one physical line: NPD extracts have no line breaks inside fields, so a
//! stray quote cannot join lines (a general CSV reader would read on to the next quote,
//! swallowing every row between). Every line after the header is a data row of the
//! ledger, blank lines included.

use super::cells::{BatchSource, Cells, Positions, positions};
use crate::error::CensusError;
use crate::normalise::{Quarantine, Raw};
use crate::schema::{Column, ColumnMap, ResolvedHeaders};
use csv::{ByteRecord, StringRecord};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Delimiters recognised from the header line; a file the contract calls CSV uses `,`,
/// but TRE exports are sometimes tab- or pipe-separated with a `.csv` or `.txt` name.
const DELIMITERS: [u8; 4] = [b',', b'\t', b'|', b';'];

/// The delimiter of a header line: the comma unless the line has none and another
/// candidate occurs.
pub(crate) fn sniff_delimiter(head: &[u8]) -> u8 {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    // A header line is short; counting it byte by byte is plenty.
    #[allow(clippy::naive_bytecount)]
    let count = |d: u8| line.iter().filter(|b| **b == d).count();
    if count(b',') > 0 {
        return b',';
    }
    DELIMITERS
        .iter()
        .copied()
        .max_by_key(|d| count(*d))
        .filter(|d| count(*d) > 0)
        .unwrap_or(b',')
}

pub(crate) struct CsvSource {
    path: PathBuf,
    input: BufReader<Box<dyn Read + Send>>,
    delimiter: u8,
    headers: ResolvedHeaders,
    position: Positions,
    width: usize,
    /// The physical line of the header (1 unless blank lines come before it); data row
    /// `k` is line `header_line + k`.
    header_line: u64,
    /// Data rows handed out so far.
    rows_out: u64,
    /// The bytes of the line being read.
    buf: Vec<u8>,
    /// A quoted field's bytes while its quotes are undone.
    scratch: Vec<u8>,
    /// Reused from batch to batch so that steady-state reading does not allocate.
    lines: Vec<Line>,
    /// Lines read at open to tell an empty file before any work (blank lines, then the
    /// first line with content), handed out first.
    pending: Vec<Line>,
    not_utf8: u64,
}

/// One physical line of a CSV file, split into fields.
#[derive(Default)]
struct Line {
    record: Record,
    kind: LineKind,
}

/// The fields of a line: text when every field is UTF-8 (checked once per line), else
/// bytes.
enum Record {
    Text(StringRecord),
    Bytes(ByteRecord),
}

impl Default for Record {
    fn default() -> Record {
        Record::Text(StringRecord::new())
    }
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum LineKind {
    /// A line with fields.
    #[default]
    Fields,
    /// An empty line.
    Blank,
    /// A quoted field (0-based) still open at the end of the line.
    UnclosedQuote(usize),
}

fn io_error(path: &Path, source: std::io::Error) -> CensusError {
    CensusError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Splits one line (without its line end) into `record`'s fields as the `csv` crate
/// reads a record (RFC 4180 quotes, `""` a quote inside quotes, bytes after a closing
/// quote kept, a quote inside an unquoted field kept as it is), except that a line never
/// runs on into the next: NPD extracts have no line breaks inside fields, so a quoted
/// field still open at the end of the line is an error, `Err(field index)`, and the
/// line's fields so far are kept for the quarantine's detail.
fn split_line(
    line: &[u8],
    delimiter: u8,
    record: &mut ByteRecord,
    scratch: &mut Vec<u8>,
) -> Result<(), usize> {
    if !line.contains(&b'"') {
        for field in line.split(|b| *b == delimiter) {
            record.push_field(field);
        }
        return Ok(());
    }
    let mut at = 0;
    let mut field = 0;
    loop {
        scratch.clear();
        if line.get(at) == Some(&b'"') {
            at += 1;
            loop {
                let Some(close) = line[at..].iter().position(|b| *b == b'"') else {
                    scratch.extend_from_slice(&line[at..]);
                    record.push_field(scratch);
                    return Err(field);
                };
                scratch.extend_from_slice(&line[at..at + close]);
                at += close + 1;
                if line.get(at) == Some(&b'"') {
                    scratch.push(b'"');
                    at += 1;
                } else {
                    break;
                }
            }
        }
        let rest = &line[at..];
        let Some(end) = rest.iter().position(|b| *b == delimiter) else {
            scratch.extend_from_slice(rest);
            record.push_field(scratch);
            return Ok(());
        };
        scratch.extend_from_slice(&rest[..end]);
        record.push_field(scratch);
        at += end + 1;
        field += 1;
    }
}

impl CsvSource {
    /// Reads the header and the first data line of `input`, named `path` in messages.
    pub(crate) fn open(
        path: &Path,
        input: Box<dyn Read + Send>,
        delimiter: u8,
        map: &ColumnMap,
        wanted: &dyn Fn(Column) -> bool,
    ) -> Result<CsvSource, CensusError> {
        let mut source = CsvSource {
            path: path.to_owned(),
            input: BufReader::with_capacity(1 << 20, input),
            delimiter,
            headers: ResolvedHeaders::default(),
            position: [None; Column::COUNT],
            width: 0,
            header_line: 0,
            rows_out: 0,
            buf: Vec::new(),
            scratch: Vec::new(),
            lines: Vec::new(),
            pending: Vec::new(),
            not_utf8: 0,
        };
        let no_header = || CensusError::Empty {
            path: path.to_owned(),
            detail: "it has no header row".to_owned(),
        };
        let mut header = Line::default();
        loop {
            if !source.read_line(&mut header)? {
                return Err(no_header());
            }
            source.header_line += 1;
            if header.kind != LineKind::Blank {
                break;
            }
        }
        // The header was counted with the data lines' text check.
        source.not_utf8 = 0;
        let raw = header.record.into_bytes();
        if let LineKind::UnclosedQuote(k) = header.kind {
            return Err(CensusError::Csv {
                path: path.to_owned(),
                line: source.header_line,
                message: format!(
                    "the header's field {} opens a quote that is not closed before the end \
                     of the line",
                    k + 1
                ),
            });
        }
        if raw.iter().any(|h| h.contains(&b'\r')) {
            return Err(CensusError::Csv {
                path: path.to_owned(),
                line: source.header_line,
                message: "the header holds a carriage return: lines that end in a carriage \
                          return alone (an old Mac OS export) are not read; save the file \
                          with LF or CRLF line ends"
                    .to_owned(),
            });
        }
        if raw.is_empty() || raw.iter().all(|h| h.iter().all(u8::is_ascii_whitespace)) {
            return Err(no_header());
        }
        let names: Vec<String> = raw
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        source.headers = ResolvedHeaders::resolve(&names, map);
        source.position = positions(&source.headers, wanted, false);
        source.width = names.len();
        loop {
            let mut line = Line::default();
            if !source.read_line(&mut line)? {
                return Err(CensusError::Empty {
                    path: path.to_owned(),
                    detail: if source.pending.is_empty() {
                        "it has a header but no data rows".to_owned()
                    } else {
                        format!(
                            "it has a header but no data rows, only {} blank lines",
                            source.pending.len()
                        )
                    },
                });
            }
            let blank = line.kind == LineKind::Blank;
            source.pending.push(line);
            if !blank {
                break;
            }
        }
        source.pending.reverse();
        Ok(source)
    }

    /// Reads the next physical line into `line`, reusing its buffers; `false` at the end
    /// of the file. Text that is not UTF-8 is kept as bytes and the line counted.
    fn read_line(&mut self, line: &mut Line) -> Result<bool, CensusError> {
        self.buf.clear();
        let n = self
            .input
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| io_error(&self.path, e))?;
        if n == 0 {
            return Ok(false);
        }
        let mut bytes = self.buf.as_slice();
        if let Some(rest) = bytes.strip_suffix(b"\n") {
            bytes = rest;
        }
        if let Some(rest) = bytes.strip_suffix(b"\r") {
            bytes = rest;
        }
        let mut record = std::mem::take(&mut line.record).into_bytes();
        record.clear();
        line.kind = if bytes.is_empty() {
            LineKind::Blank
        } else {
            match split_line(bytes, self.delimiter, &mut record, &mut self.scratch) {
                Ok(()) => LineKind::Fields,
                Err(k) => LineKind::UnclosedQuote(k),
            }
        };
        line.record = match StringRecord::from_byte_record(record) {
            Ok(text) => Record::Text(text),
            Err(e) => {
                self.not_utf8 += 1;
                Record::Bytes(e.into_byte_record())
            }
        };
        Ok(true)
    }
}

impl Record {
    fn into_bytes(self) -> ByteRecord {
        match self {
            Record::Text(t) => t.into_byte_record(),
            Record::Bytes(b) => b,
        }
    }

    fn len(&self) -> usize {
        match self {
            Record::Text(t) => t.len(),
            Record::Bytes(b) => b.len(),
        }
    }

    fn get(&self, i: usize) -> Option<Raw<'_>> {
        match self {
            Record::Text(t) => t.get(i).map(Raw::Text),
            Record::Bytes(b) => b
                .get(i)
                .map(|f| std::str::from_utf8(f).map_or(Raw::Bytes(f), Raw::Text)),
        }
    }
}

/// A batch of CSV lines.
pub(crate) struct CsvBatch<'s> {
    lines: &'s [Line],
    position: &'s Positions,
    width: usize,
    /// The physical line of the batch's first line.
    first_line: u64,
    headers: &'s [String],
}

impl Cells for CsvBatch<'_> {
    fn len(&self) -> usize {
        self.lines.len()
    }

    fn get(&self, row: usize, column: Column) -> Raw<'_> {
        self.position[column.index()]
            .and_then(|p| self.lines[row].record.get(p))
            .unwrap_or(Raw::Null)
    }

    fn absent(&self, column: Column) -> bool {
        self.position[column.index()].is_none()
    }

    fn malformed(&self, row: usize) -> Option<(Quarantine, String)> {
        let line = &self.lines[row];
        let number = self.first_line + row as u64;
        match line.kind {
            LineKind::Blank => Some((Quarantine::BlankLine, format!("line {number} is empty"))),
            LineKind::UnclosedQuote(k) => Some((
                Quarantine::UnclosedQuote,
                format!(
                    "line {number}: field {} ({}) opens a quote that is not closed before the \
                     end of the line (NPD extracts have no line breaks inside fields)",
                    k + 1,
                    self.headers
                        .get(k)
                        .map_or("past the header's columns", String::as_str)
                ),
            )),
            LineKind::Fields => {
                let n = line.record.len();
                (n != self.width).then(|| {
                    (
                        Quarantine::WrongFieldCount,
                        format!("{n} fields where the header has {}", self.width),
                    )
                })
            }
        }
    }
}

impl BatchSource for CsvSource {
    type Batch<'s> = CsvBatch<'s>;

    fn headers(&self) -> &ResolvedHeaders {
        &self.headers
    }

    fn next_batch(&mut self, batch_size: usize) -> Result<Option<CsvBatch<'_>>, CensusError> {
        let batch_size = batch_size.max(1);
        let mut lines = std::mem::take(&mut self.lines);
        let mut n = 0;
        while n < batch_size {
            // Buffers grow with the lines actually read, so a small file costs little
            // whatever the batch size; from the second batch on nothing is allocated.
            if n == lines.len() {
                lines.push(Line::default());
            }
            if let Some(line) = self.pending.pop() {
                lines[n] = line;
            } else if !self.read_line(&mut lines[n])? {
                break;
            }
            n += 1;
        }
        self.lines = lines;
        if n == 0 {
            return Ok(None);
        }
        let first_line = self.header_line + self.rows_out + 1;
        self.rows_out += n as u64;
        Ok(Some(CsvBatch {
            lines: &self.lines[..n],
            position: &self.position,
            width: self.width,
            first_line,
            headers: &self.headers.headers,
        }))
    }

    fn repaired_text(&self) -> u64 {
        self.not_utf8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Result<Vec<String>, usize> {
        let mut record = ByteRecord::new();
        split_line(line.as_bytes(), b',', &mut record, &mut Vec::new())?;
        Ok(record
            .iter()
            .map(|f| String::from_utf8(f.to_vec()).unwrap())
            .collect())
    }

    /// The one record the `csv` crate reads from `line`, if it reads exactly one.
    fn csv_crate(line: &str) -> Option<Vec<String>> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(line.as_bytes());
        let records: Vec<StringRecord> = r.records().collect::<Result<_, _>>().ok()?;
        match records.as_slice() {
            [one] => Some(one.iter().map(str::to_owned).collect()),
            _ => None,
        }
    }

    #[test]
    fn lines_split_as_the_csv_crate_reads_them() {
        for line in [
            "a,b,c",
            "a,,c,",
            "\"a,b\",c",
            "\"a\"\"b\",c",
            "\"ab\"cd,e",
            "ab\"cd,e",
            " \"ab\",c",
            "\"\",\"\"",
            "\"\"\"\"",
            "é,\"ü\"",
        ] {
            assert_eq!(split(line).ok(), csv_crate(line), "{line:?}");
        }
    }

    #[test]
    fn a_quote_open_at_the_end_of_the_line_is_an_error_naming_its_field() {
        assert_eq!(split("a,\"b,c"), Err(1));
        assert_eq!(split("\"a"), Err(0));
        assert_eq!(split("a,\"b\"\",c"), Err(1));
        assert_eq!(
            split("a,b\",c"),
            Ok(vec!["a".into(), "b\"".into(), "c".into()])
        );
    }

    proptest::proptest! {
        /// Any line the `csv` crate reads as one record, with its quotes closed, splits into
        /// the same fields.
        #[test]
        fn any_closed_line_splits_as_the_csv_crate_reads_it(
            line in "[a\",é ]{1,24}"
        ) {
            if let Ok(fields) = split(&line) {
                proptest::prop_assert_eq!(Some(fields), csv_crate(&line), "{:?}", line);
            }
        }
    }

    fn open(text: &str) -> Result<CsvSource, CensusError> {
        CsvSource::open(
            Path::new("t.csv"),
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            b',',
            &ColumnMap::default(),
            &|_| true,
        )
    }

    #[test]
    fn lines_are_rows_blank_ones_included() {
        let mut s = open("\nACADYR,LA\r\n2013/14,202\r\n\r\n\"2014/15,203\n2015/16,204").unwrap();
        let b = s.next_batch(10).unwrap().unwrap();
        assert_eq!(b.len(), 4);
        // The header is line 2, so data row 1 is line 3.
        assert_eq!(b.first_line, 3);
        assert_eq!(b.get(0, Column::AcadYr), Raw::Text("2013/14"));
        assert_eq!(b.malformed(0), None);
        assert_eq!(b.malformed(1).unwrap().0, Quarantine::BlankLine);
        let (reason, detail) = b.malformed(2).unwrap();
        assert_eq!(reason, Quarantine::UnclosedQuote);
        assert!(detail.starts_with("line 5: field 1 (ACADYR)"), "{detail}");
        assert_eq!(b.get(3, Column::La), Raw::Text("204"));
    }

    #[test]
    fn a_header_of_carriage_returns_or_only_blank_lines_is_an_error() {
        let m = open("ACADYR,LA\r2013/14,202\r").err().unwrap().to_string();
        assert!(m.contains("carriage return"), "{m}");
        let m = open("ACADYR,LA\n\n\n").err().unwrap().to_string();
        assert!(m.contains("no data rows, only 2 blank lines"), "{m}");
        let m = open("\"ACADYR,LA\n1,2\n").err().unwrap().to_string();
        assert!(m.contains("line 1") && m.contains("not closed"), "{m}");
    }

    #[test]
    fn bytes_that_are_not_utf8_stay_bytes_and_are_counted() {
        let mut s = open("ACADYR,LA\n2013/14,2\u{e9}2\n").unwrap();
        let b = s.next_batch(10).unwrap().unwrap();
        assert_eq!(b.get(0, Column::La), Raw::Text("2\u{e9}2"));
        let mut bytes = b"ACADYR,LA\n2013/14,A\xe92\n".to_vec();
        let mut s = CsvSource::open(
            Path::new("t.csv"),
            Box::new(std::io::Cursor::new(std::mem::take(&mut bytes))),
            b',',
            &ColumnMap::default(),
            &|_| true,
        )
        .unwrap();
        let b = s.next_batch(10).unwrap().unwrap();
        assert_eq!(b.get(0, Column::La), Raw::Bytes(b"A\xe92"));
        assert_eq!(b.get(0, Column::AcadYr), Raw::Text("2013/14"));
        assert_eq!(s.repaired_text(), 1);
    }

    #[test]
    fn delimiters_from_the_header_line() {
        assert_eq!(sniff_delimiter(b"a,b\tc\n1,2"), b',');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n1,2,3"), b'\t');
        assert_eq!(sniff_delimiter(b"a|b|c"), b'|');
        assert_eq!(sniff_delimiter(b"abc"), b',');
    }
}
