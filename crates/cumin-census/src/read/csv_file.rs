//! CSV episode files, read record by record with the `csv` crate into reused buffers.

use super::cells::{BatchSource, Cells, Positions, positions};
use crate::error::CensusError;
use crate::normalise::Raw;
use crate::schema::{Column, ColumnMap, ResolvedHeaders};
use csv::{ByteRecord, StringRecord};
use std::io::Read;
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
    reader: csv::Reader<Box<dyn Read + Send>>,
    headers: ResolvedHeaders,
    position: Positions,
    width: usize,
    /// Reused from batch to batch so that steady-state reading does not allocate.
    records: Vec<StringRecord>,
    /// The first data record, read at open to tell an empty file before any work.
    first: Option<StringRecord>,
    not_utf8: u64,
}

fn csv_error(path: &Path, e: &csv::Error) -> CensusError {
    if let csv::ErrorKind::Io(io) = e.kind() {
        return CensusError::Io {
            path: path.to_owned(),
            source: std::io::Error::new(io.kind(), io.to_string()),
        };
    }
    CensusError::Csv {
        path: path.to_owned(),
        line: e.position().map_or(0, csv::Position::line),
        message: e.to_string(),
    }
}

impl CsvSource {
    /// Reads the header and the first record of `input`, named `path` in messages.
    pub(crate) fn open(
        path: &Path,
        input: Box<dyn Read + Send>,
        delimiter: u8,
        map: &ColumnMap,
        wanted: &dyn Fn(Column) -> bool,
    ) -> Result<CsvSource, CensusError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .delimiter(delimiter)
            .buffer_capacity(1 << 20)
            .from_reader(input);
        let raw = reader
            .byte_headers()
            .map_err(|e| csv_error(path, &e))?
            .clone();
        if raw.is_empty() || raw.iter().all(|h| h.iter().all(u8::is_ascii_whitespace)) {
            return Err(CensusError::Empty {
                path: path.to_owned(),
                detail: "it has no header row".to_owned(),
            });
        }
        let names: Vec<String> = raw
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        let headers = ResolvedHeaders::resolve(&names, map);
        let mut source = CsvSource {
            path: path.to_owned(),
            reader,
            position: positions(&headers, wanted, false),
            width: names.len(),
            headers,
            records: Vec::new(),
            first: None,
            not_utf8: 0,
        };
        let mut first = StringRecord::new();
        if !source.read_record(&mut first)? {
            return Err(CensusError::Empty {
                path: path.to_owned(),
                detail: "it has a header but no data rows".to_owned(),
            });
        }
        source.first = Some(first);
        Ok(source)
    }

    /// Reads the next record into `rec`, reusing its buffers; text that is not UTF-8 is
    /// read with replacement characters and counted.
    fn read_record(&mut self, rec: &mut StringRecord) -> Result<bool, CensusError> {
        let mut bytes: ByteRecord = std::mem::take(rec).into_byte_record();
        let more = self
            .reader
            .read_byte_record(&mut bytes)
            .map_err(|e| csv_error(&self.path, &e))?;
        *rec = match StringRecord::from_byte_record(bytes) {
            Ok(s) => s,
            Err(e) => {
                self.not_utf8 += 1;
                e.into_byte_record()
                    .iter()
                    .map(String::from_utf8_lossy)
                    .collect::<StringRecord>()
            }
        };
        Ok(more)
    }
}

/// A batch of CSV records.
pub(crate) struct CsvBatch<'s> {
    records: &'s [StringRecord],
    position: &'s Positions,
    width: usize,
}

impl Cells for CsvBatch<'_> {
    fn len(&self) -> usize {
        self.records.len()
    }

    fn get(&self, row: usize, column: Column) -> Raw<'_> {
        match self.position[column.index()].and_then(|p| self.records[row].get(p)) {
            Some(s) => Raw::Text(s),
            None => Raw::Null,
        }
    }

    fn malformed(&self, row: usize) -> Option<String> {
        let n = self.records[row].len();
        (n != self.width).then(|| format!("{n} fields where the header has {}", self.width))
    }
}

impl BatchSource for CsvSource {
    type Batch<'s> = CsvBatch<'s>;

    fn headers(&self) -> &ResolvedHeaders {
        &self.headers
    }

    fn next_batch(&mut self, batch_size: usize) -> Result<Option<CsvBatch<'_>>, CensusError> {
        let batch_size = batch_size.max(1);
        let mut records = std::mem::take(&mut self.records);
        let mut n = 0;
        if let Some(first) = self.first.take() {
            match records.first_mut() {
                Some(r) => *r = first,
                None => records.push(first),
            }
            n = 1;
        }
        while n < batch_size {
            // Buffers grow with the rows actually read, so a small file costs little
            // whatever the batch size; from the second batch on nothing is allocated.
            if n == records.len() {
                records.push(StringRecord::new());
            }
            if !self.read_record(&mut records[n])? {
                break;
            }
            n += 1;
        }
        self.records = records;
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(CsvBatch {
            records: &self.records[..n],
            position: &self.position,
            width: self.width,
        }))
    }

    fn repaired_text(&self) -> u64 {
        self.not_utf8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_from_the_header_line() {
        assert_eq!(sniff_delimiter(b"a,b\tc\n1,2"), b',');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n1,2,3"), b'\t');
        assert_eq!(sniff_delimiter(b"a|b|c"), b'|');
        assert_eq!(sniff_delimiter(b"abc"), b',');
    }
}
