//! Property tests: random mutations of valid rows — flipped bytes, truncated lines, extra
//! and missing fields, stray quotes, bytes that are not UTF-8, huge values, empty cells,
//! swapped columns — never panic the reader, and every row it reads is used, quarantined
//! or excluded. The ledger balances per file, and row by row: each data row number appears
//! exactly once, either in the episode table or in the quarantine.
//!
//! CSV goes through `read_csv_bytes` (the code path of `read_extract` after the file is
//! opened); Parquet is written to a temporary file and read with `read_extract`.

use arrow_array::{ArrayRef, Date32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use cumin_census::{
    CensusError, CensusYear, CleaningRules, Date, EntryKind, Extract, NoProgress, ReadOptions,
    read_csv_bytes, read_extract,
};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The columns of every generated file, in file order.
const HEADER: [&str; 20] = [
    "ACADYR",
    "LA",
    "LAchildID_Anon",
    "PupilMatchingRefAnonymous",
    "Gender",
    "Ethnicity",
    "MonthOfBirth",
    "YearOfBirth",
    "ExpectedDOB",
    "CINreferralDate",
    "CINclosureDate",
    "LatestReferralDate",
    "LatestClosureDate",
    "ReferralNFA",
    "ReasonForClosure",
    "PrimaryNeedCode",
    "AssessmentActualStartDate",
    "CPPstartDate",
    "CPPendDate",
    "IDACI_Decile",
];
const WIDTH: usize = HEADER.len();
/// Positions in [`HEADER`] of the columns whose Parquet type varies.
const LA: usize = 1;
const MONTH: usize = 6;
const YEAR: usize = 7;
const REFERRAL: usize = 9;
const CLOSURE: usize = 10;

const ETHNICITIES: [&str; 8] = [
    "WBRI", "WIRI", "MWBC", "AIND", "BCRB", "CHNE", "OOTH", "WBR",
];

/// A valid census row, cell by cell as text.
fn valid_row() -> impl Strategy<Value = Vec<String>> {
    (
        (
            2009i32..=2022,
            100u32..=999,
            0u32..100_000,
            any::<bool>(),
            1u8..=2,
        ),
        (0..ETHNICITIES.len(), 1u32..=12, 2000i32..=2020, 0i32..365),
        (
            any::<bool>(),
            proptest::option::of(0i32..400),
            any::<bool>(),
        ),
        (1u8..=9, 1u8..=9, 1u8..=10),
    )
        .prop_map(
            |(
                (year, la, id, pmr, gender),
                (eth, month, birth, offset),
                (iso, closure, nfa),
                (rc, need, idaci),
            )| {
                let start = Date::ymd(year - 1, 4, 1);
                let referral = start.add_days(offset);
                let fmt = |d: Date| {
                    let (y, m, dd) = d.to_ymd();
                    if iso {
                        format!("{y:04}-{m:02}-{dd:02}")
                    } else {
                        format!("{dd:02}/{m:02}/{y:04}")
                    }
                };
                let closure = closure.map(|c| fmt(referral.add_days(c)));
                vec![
                    format!("{}/{:02}", year - 1, year % 100),
                    la.to_string(),
                    format!("A{id}"),
                    if pmr { format!("P{id}") } else { String::new() },
                    gender.to_string(),
                    ETHNICITIES[eth].to_owned(),
                    month.to_string(),
                    birth.to_string(),
                    String::new(),
                    fmt(referral),
                    closure.clone().unwrap_or_default(),
                    fmt(referral),
                    closure.unwrap_or_default(),
                    if nfa { "1" } else { "0" }.to_owned(),
                    format!("RC{rc}"),
                    format!("N{need}"),
                    fmt(referral.add_days(3)),
                    String::new(),
                    String::new(),
                    idaci.to_string(),
                ]
            },
        )
}

/// `rows` with the anchor's episode closed (on its referral date) if it was open: the
/// anchor keeps a valid value in every column whose values all bad stop the file, and
/// the closure date is one (every run reads it), so a mutated closure beside an open
/// anchor would stop the file by design.
fn with_anchor_closed(mut rows: Vec<Vec<String>>, anchor: usize) -> Vec<Vec<String>> {
    if rows[anchor][CLOSURE].is_empty() {
        let referral = rows[anchor][REFERRAL].clone();
        rows[anchor][CLOSURE] = referral;
    }
    rows
}

/// One change to one row. Row numbers are taken modulo the number of mutable rows, field
/// numbers modulo the row's width, byte positions modulo the line's length.
#[derive(Clone, Debug)]
enum Mutation {
    /// Replace one byte of the line.
    FlipByte { row: usize, at: usize, byte: u8 },
    /// Cut the line short.
    Truncate { row: usize, at: usize },
    /// Append a field.
    ExtraField { row: usize, value: String },
    /// Remove a field.
    MissingField { row: usize, field: usize },
    /// Insert a double quote.
    OddQuote { row: usize, at: usize },
    /// Insert a byte that cannot start or continue valid UTF-8 here.
    NotUtf8 { row: usize, at: usize, byte: u8 },
    /// Make one cell very long.
    Huge {
        row: usize,
        field: usize,
        len: usize,
        fill: char,
    },
    /// Empty one cell.
    Empty { row: usize, field: usize },
    /// Swap two cells.
    Swap { row: usize, a: usize, b: usize },
    /// Replace a cell with arbitrary text (Unicode, delimiters, quotes).
    Junk {
        row: usize,
        field: usize,
        text: String,
    },
}

impl Mutation {
    fn row(&self) -> usize {
        match self {
            Mutation::FlipByte { row, .. }
            | Mutation::Truncate { row, .. }
            | Mutation::ExtraField { row, .. }
            | Mutation::MissingField { row, .. }
            | Mutation::OddQuote { row, .. }
            | Mutation::NotUtf8 { row, .. }
            | Mutation::Huge { row, .. }
            | Mutation::Empty { row, .. }
            | Mutation::Swap { row, .. }
            | Mutation::Junk { row, .. } => *row,
        }
    }

    /// Whether the mutation works on the joined line rather than on cells.
    fn on_line(&self) -> bool {
        matches!(
            self,
            Mutation::FlipByte { .. }
                | Mutation::Truncate { .. }
                | Mutation::OddQuote { .. }
                | Mutation::NotUtf8 { .. }
        )
    }

    fn apply_to_cells(&self, cells: &mut Vec<String>) {
        let n = cells.len();
        match self {
            Mutation::ExtraField { value, .. } => cells.push(value.clone()),
            Mutation::MissingField { field, .. } if n > 0 => {
                cells.remove(field % n);
            }
            Mutation::Huge {
                field, len, fill, ..
            } if n > 0 => cells[field % n] = std::iter::repeat_n(*fill, *len).collect(),
            Mutation::Empty { field, .. } if n > 0 => cells[field % n].clear(),
            Mutation::Swap { a, b, .. } if n > 0 => cells.swap(a % n, b % n),
            Mutation::Junk { field, text, .. } if n > 0 => cells[field % n].clone_from(text),
            _ => {}
        }
    }

    fn apply_to_line(&self, line: &mut Vec<u8>) {
        let n = line.len();
        match *self {
            Mutation::FlipByte { at, byte, .. } if n > 0 => line[at % n] = byte,
            Mutation::Truncate { at, .. } => line.truncate(at % (n + 1)),
            Mutation::OddQuote { at, .. } => line.insert(at % (n + 1), b'"'),
            Mutation::NotUtf8 { at, byte, .. } => line.insert(at % (n + 1), byte),
            _ => {}
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let row = any::<usize>();
    let field = any::<usize>();
    prop_oneof![
        (row, any::<usize>(), any::<u8>()).prop_map(|(row, at, byte)| Mutation::FlipByte {
            row,
            at,
            byte
        }),
        (row, any::<usize>()).prop_map(|(row, at)| Mutation::Truncate { row, at }),
        (row, "[A-Z0-9 ]{0,8}").prop_map(|(row, value)| Mutation::ExtraField { row, value }),
        (row, field).prop_map(|(row, field)| Mutation::MissingField { row, field }),
        (row, any::<usize>()).prop_map(|(row, at)| Mutation::OddQuote { row, at }),
        (row, any::<usize>(), 0x80u8..=0xff).prop_map(|(row, at, byte)| Mutation::NotUtf8 {
            row,
            at,
            byte
        }),
        (
            row,
            field,
            prop_oneof![Just(1000usize), Just(70_000), 1usize..5000],
            prop_oneof![Just('9'), Just('x'), Just(' '), Just('é')]
        )
            .prop_map(|(row, field, len, fill)| Mutation::Huge {
                row,
                field,
                len,
                fill
            }),
        (row, field).prop_map(|(row, field)| Mutation::Empty { row, field }),
        (row, field, any::<usize>()).prop_map(|(row, a, b)| Mutation::Swap { row, a, b }),
        (row, field, any::<String>()).prop_map(|(row, field, text)| Mutation::Junk {
            row,
            field,
            text
        }),
    ]
}

/// A file's worth of rows: which row stays valid (the anchor), and the mutations.
#[derive(Clone, Debug)]
struct Case {
    rows: Vec<Vec<String>>,
    anchor: usize,
    mutations: Vec<Mutation>,
    crlf: bool,
    batch_size: usize,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(valid_row(), 1..24),
        any::<usize>(),
        prop::collection::vec(mutation(), 0..12),
        any::<bool>(),
        prop_oneof![Just(65_536usize), 1usize..9],
    )
        .prop_map(|(rows, anchor, mutations, crlf, batch_size)| {
            let anchor = anchor % rows.len();
            Case {
                rows: with_anchor_closed(rows, anchor),
                anchor,
                mutations,
                crlf,
                batch_size,
            }
        })
}

/// Quotes a cell as a CSV writer would when it holds a delimiter, quote or line break.
fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

impl Case {
    /// The lines of the data rows, mutated, and whether each was touched.
    fn lines(&self) -> Vec<(Vec<u8>, bool)> {
        let mutable: Vec<usize> = (0..self.rows.len()).filter(|r| *r != self.anchor).collect();
        let mut by_row: BTreeMap<usize, Vec<&Mutation>> = BTreeMap::new();
        if !mutable.is_empty() {
            for m in &self.mutations {
                by_row
                    .entry(mutable[m.row() % mutable.len()])
                    .or_default()
                    .push(m);
            }
        }
        self.rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let ms = by_row.get(&i).map(Vec::as_slice).unwrap_or_default();
                let mut cells = row.clone();
                for m in ms.iter().filter(|m| !m.on_line()) {
                    m.apply_to_cells(&mut cells);
                }
                let mut line = cells
                    .iter()
                    .map(|c| quote(c))
                    .collect::<Vec<_>>()
                    .join(",")
                    .into_bytes();
                for m in ms.iter().filter(|m| m.on_line()) {
                    m.apply_to_line(&mut line);
                }
                (line, !ms.is_empty())
            })
            .collect()
    }

    fn csv(&self) -> Vec<u8> {
        let eol: &[u8] = if self.crlf { b"\r\n" } else { b"\n" };
        let mut out = HEADER.join(",").into_bytes();
        for (line, _) in self.lines() {
            out.extend_from_slice(eol);
            out.extend_from_slice(&line);
        }
        out.extend_from_slice(eol);
        out
    }
}

/// The census years of every row the tests can generate (a mutated cell may hold any
/// year `CensusYear::parse` accepts), stated so that none is outside them and the
/// extract's own years are not checked: these tests are about rows, the census-year
/// checks have tests of their own.
fn every_parseable_year() -> (CensusYear, CensusYear) {
    (CensusYear(1990), CensusYear(2100))
}

/// Options under which no row can be excluded (dates before 1930 are cleaned away, so
/// no referral is before the data start): every row is then kept or quarantined.
fn no_exclusions(batch_size: usize) -> ReadOptions {
    ReadOptions {
        rules: CleaningRules {
            data_start: Date::ymd(1930, 1, 1),
            ..CleaningRules::default()
        },
        batch_size,
        census_years: Some(every_parseable_year()),
        ..ReadOptions::default()
    }
}

fn with_batch(batch_size: usize) -> ReadOptions {
    ReadOptions {
        batch_size,
        census_years: Some(every_parseable_year()),
        ..ReadOptions::default()
    }
}

/// `read = used + quarantined + excluded`, summed by the test from the ledger itself.
fn assert_balanced(e: &Extract) -> u64 {
    assert_eq!(e.files.len(), 1);
    let kept = e.episodes.len() as u64;
    let read = e.ledger.total(0, EntryKind::Read);
    let quarantined = e.ledger.total(0, EntryKind::Quarantined);
    let excluded = e.ledger.total(0, EntryKind::Excluded);
    assert_eq!(read, e.files[0].rows);
    assert_eq!(
        read,
        kept + quarantined + excluded,
        "{read} read, {kept} kept, {quarantined} quarantined, {excluded} excluded"
    );
    assert_eq!(e.ledger.quarantined_rows().len() as u64, quarantined);
    e.ledger.check_with_pending(&e.rows_kept()).unwrap();
    read
}

/// With no exclusions possible: rows 1..=read each appear exactly once, kept or
/// quarantined. Returns the kept row numbers.
fn assert_every_row_once(e: &Extract) -> Vec<u64> {
    let read = assert_balanced(e);
    assert_eq!(e.ledger.total(0, EntryKind::Excluded), 0);
    let kept: Vec<u64> = e
        .episodes
        .source_row
        .iter()
        .map(|r| u64::from(*r))
        .collect();
    let mut all: Vec<u64> = kept
        .iter()
        .copied()
        .chain(e.ledger.quarantined_rows().iter().map(|q| q.row))
        .collect();
    all.sort_unstable();
    assert_eq!(all, (1..=read).collect::<Vec<_>>(), "row numbers");
    kept
}

/// The data lines of a CSV file as the contract counts them: the physical lines (ended
/// by `\n`, a final `\r` dropped) after the header, which is the first line that is not
/// empty. `None` if there is no header.
fn data_lines(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    if bytes.ends_with(b"\n") {
        lines.pop();
    }
    let lines: Vec<&[u8]> = lines
        .into_iter()
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    let header = lines.iter().position(|l| !l.is_empty())?;
    Some(lines[header + 1..].to_vec())
}

fn check_csv(case: &Case) -> Result<(), TestCaseError> {
    let bytes = case.csv();
    // The anchor row is intact, so the file is always readable: no stray quote or other
    // line can reach it.
    let strict = match read_csv_bytes(
        "mutated.csv",
        bytes.clone(),
        &no_exclusions(case.batch_size),
    ) {
        Ok(extract) => extract,
        // A mutation that writes a date only the month-first order can read stops the
        // file by design (cumin never guesses the order of slashed dates); the date it
        // names must be one a mutation wrote, not the anchor's.
        Err(CensusError::DateOrder { tally, .. }) => {
            let (_, value) = tally.first_month_first.clone().expect("a month-first date");
            let mutated = case.lines().into_iter().any(|(line, touched)| {
                touched && line.windows(value.len()).any(|w| w == value.as_bytes())
            });
            prop_assert!(mutated, "the anchor's date {value:?} stopped the file");
            return Ok(());
        }
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "the anchor row is intact yet: {e}"
            )));
        }
    };
    let kept = assert_every_row_once(&strict);
    // The default rules may exclude rows instead; the ledger must balance all the same,
    // over the same rows.
    let default = read_csv_bytes("mutated.csv", bytes.clone(), &with_batch(case.batch_size))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(assert_balanced(&default), strict.files[0].rows);

    // Rows are physical lines: the rows read equal the data lines, blank ones included,
    // and each row's fate depends on its own line only.
    let physical = data_lines(&bytes).expect("a header");
    prop_assert_eq!(strict.files[0].rows, physical.len() as u64);
    let blank = physical.iter().filter(|l| l.is_empty()).count() as u64;
    prop_assert_eq!(
        strict.ledger.get(0, EntryKind::Quarantined, "blank_line"),
        blank
    );
    // Where each generated row starts among the physical lines (a mutation may have put
    // line breaks into a row), and every untouched row kept at its own row number.
    let mut row = 1u64;
    for (line, touched) in case.lines() {
        if !touched {
            prop_assert!(
                kept.contains(&row),
                "untouched row {row} not kept: {line:?}"
            );
        }
        row += 1 + line.split(|b| *b == b'\n').skip(1).count() as u64;
    }
    // Where no line holds a quote, fields are the line's bytes between delimiters, so the
    // lines that are not UTF-8 are the rows counted as such.
    if physical.iter().all(|l| !l.contains(&b'"')) {
        let not_utf8 = physical
            .iter()
            .filter(|l| std::str::from_utf8(l).is_err())
            .count() as u64;
        prop_assert_eq!(
            strict.ledger.get(0, EntryKind::Rule, "text_not_utf8"),
            not_utf8
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: 2000, failure_persistence: None, ..Config::default() })]

    #[test]
    fn mutated_csv_rows_are_used_or_quarantined(case in case()) {
        check_csv(&case)?;
    }
}

// ---- Parquet -------------------------------------------------------------------------

/// How a column is stored in a generated Parquet file.
#[derive(Clone, Copy, Debug)]
enum Typed {
    Text,
    Int,
    Date,
}

/// A cell-level change (Parquet cells are typed, so line-level changes do not apply).
#[derive(Clone, Debug)]
enum CellChange {
    Null,
    Empty,
    Huge(usize),
    Junk(String),
    /// Take the value of another column of the same row.
    SwapWith(usize),
}

#[derive(Clone, Debug)]
struct ParquetCase {
    rows: Vec<Vec<String>>,
    anchor: usize,
    changes: Vec<(usize, usize, CellChange)>,
    la: Typed,
    birth: Typed,
    dates: Typed,
    batch_size: usize,
    row_group: usize,
}

fn typed() -> impl Strategy<Value = Typed> {
    prop_oneof![Just(Typed::Text), Just(Typed::Int), Just(Typed::Date)]
}

fn parquet_case() -> impl Strategy<Value = ParquetCase> {
    let change = prop_oneof![
        Just(CellChange::Null),
        Just(CellChange::Empty),
        (1usize..20_000).prop_map(CellChange::Huge),
        any::<String>().prop_map(CellChange::Junk),
        any::<usize>().prop_map(CellChange::SwapWith),
    ];
    (
        prop::collection::vec(valid_row(), 1..24),
        any::<usize>(),
        prop::collection::vec((any::<usize>(), any::<usize>(), change), 0..16),
        (typed(), typed(), typed()),
        (prop_oneof![Just(65_536usize), 1usize..9], 1usize..10),
    )
        .prop_map(
            |(rows, anchor, changes, (la, birth, dates), (batch_size, row_group))| {
                let anchor = anchor % rows.len();
                ParquetCase {
                    anchor,
                    rows: with_anchor_closed(rows, anchor),
                    changes,
                    la,
                    birth,
                    dates,
                    batch_size,
                    row_group,
                }
            },
        )
}

impl ParquetCase {
    /// Cells after the changes (`None` = null), and which rows were touched.
    fn cells(&self) -> (Vec<Vec<Option<String>>>, Vec<bool>) {
        let mut cells: Vec<Vec<Option<String>>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(|c| Some(c.clone())).collect())
            .collect();
        let mut touched = vec![false; self.rows.len()];
        let mutable: Vec<usize> = (0..self.rows.len()).filter(|r| *r != self.anchor).collect();
        if mutable.is_empty() {
            return (cells, touched);
        }
        for (row, field, change) in &self.changes {
            let r = mutable[row % mutable.len()];
            let f = field % WIDTH;
            touched[r] = true;
            cells[r][f] = match change {
                CellChange::Null => None,
                CellChange::Empty => Some(String::new()),
                CellChange::Huge(n) => Some("7".repeat(*n)),
                CellChange::Junk(s) => Some(s.clone()),
                CellChange::SwapWith(g) => {
                    let g = g % WIDTH;
                    let other = cells[r][g].take();
                    cells[r][g] = cells[r][f].take();
                    other
                }
            };
        }
        (cells, touched)
    }

    /// The column type of position `c`.
    fn typed(&self, c: usize) -> Typed {
        match c {
            LA => match self.la {
                Typed::Date => Typed::Text,
                t => t,
            },
            MONTH | YEAR => match self.birth {
                Typed::Date => Typed::Int,
                t => t,
            },
            REFERRAL | CLOSURE => match self.dates {
                Typed::Int => Typed::Text,
                t => t,
            },
            _ => Typed::Text,
        }
    }

    /// Writes the file; a cell that does not fit its column's type becomes null.
    fn write(&self, path: &std::path::Path) {
        self.write_encoded(path, true);
    }

    /// [`ParquetCase::write`], text columns dictionary-encoded or not.
    fn write_encoded(&self, path: &std::path::Path, dictionary: bool) {
        let (cells, _) = self.cells();
        let mut fields = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (c, name) in HEADER.iter().enumerate() {
            let values = cells.iter().map(|r| r[c].as_deref());
            let (data_type, array): (DataType, ArrayRef) = match self.typed(c) {
                Typed::Text => (DataType::Utf8, Arc::new(values.collect::<StringArray>())),
                Typed::Int => (
                    DataType::Int64,
                    Arc::new(
                        values
                            .map(|v| v.and_then(|v| v.parse::<i64>().ok()))
                            .collect::<Int64Array>(),
                    ),
                ),
                Typed::Date => (
                    DataType::Date32,
                    Arc::new(
                        values
                            .map(|v| v.and_then(Date::parse).map(Date::days))
                            .collect::<Date32Array>(),
                    ),
                ),
            };
            fields.push(Field::new(*name, data_type, true));
            columns.push(array);
        }
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(self.row_group))
            .set_dictionary_enabled(dictionary)
            .build();
        let file = std::fs::File::create(path).unwrap();
        let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }
}

fn check_parquet(case: &ParquetCase, dir: &std::path::Path) -> Result<(), TestCaseError> {
    let path = dir.join("mutated.parquet");
    case.write(&path);
    let paths = [path];
    let strict = read_extract(&paths, &no_exclusions(case.batch_size), &NoProgress)
        .map_err(|e| TestCaseError::fail(format!("the anchor row is intact yet: {e}")))?;
    let kept = assert_every_row_once(&strict);
    prop_assert_eq!(strict.files[0].rows, case.rows.len() as u64);
    let (_, touched) = case.cells();
    for (i, t) in touched.iter().enumerate() {
        if !t {
            prop_assert!(
                kept.contains(&(i as u64 + 1)),
                "untouched row {} not kept",
                i + 1
            );
        }
    }
    let default = read_extract(&paths, &with_batch(case.batch_size), &NoProgress)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(assert_balanced(&default), case.rows.len() as u64);
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: 200, failure_persistence: None, ..Config::default() })]

    #[test]
    fn mutated_parquet_cells_are_used_or_quarantined(case in parquet_case()) {
        let dir = tempfile::tempdir().unwrap();
        check_parquet(&case, dir.path())?;
    }

    /// Bytes of a valid Parquet file overwritten at random: an error naming the file, or
    /// rows that balance; never a panic.
    #[test]
    fn corrupted_parquet_files_are_errors_or_balance(
        case in parquet_case(),
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("corrupt.parquet");
        case.write(&path);
        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        for (at, byte) in flips {
            bytes[at % n] = byte;
        }
        std::fs::write(&path, &bytes).unwrap();
        match read_extract(std::slice::from_ref(&path), &no_exclusions(case.batch_size), &NoProgress) {
            Ok(e) => {
                assert_every_row_once(&e);
            }
            Err(e) => prop_assert!(e.to_string().contains("corrupt.parquet"), "{e}"),
        }
    }
}

/// The options [`dictionaries_are_read_as_plain_columns_are`] reads with: the default
/// rules, and Jay et al.'s spelling with value maps on a code and a date column.
fn dictionary_options(batch_size: usize) -> [ReadOptions; 2] {
    let mut values = cumin_census::ValueMap::default();
    values.insert(cumin_census::Column::Ethnicity, "wbr", "ZZZZ");
    values.insert(cumin_census::Column::ReferralDate, "", "2013-06-01");
    values.insert(
        cumin_census::Column::ClosureDate,
        "2013-06-01",
        "06/13/2013",
    );
    [
        with_batch(batch_size),
        ReadOptions {
            rules: CleaningRules {
                reason_spelling: cumin_census::ReasonSpelling::Jay2025Strict,
                ..CleaningRules::default()
            },
            values,
            ..with_batch(batch_size)
        },
    ]
}

/// The notes of a read (the slashed-date tallies and unreadable dates show there).
#[derive(Default)]
pub(crate) struct Notes(pub(crate) std::sync::Mutex<Vec<String>>);

impl cumin_census::Progress for Notes {
    fn begin(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
    fn end(&self) {}
    fn note(&self, message: &str) {
        self.0.lock().unwrap().push(message.to_owned());
    }
}

/// Everything a read of `paths` gives, as text: the result (extract with its ledger, or
/// the error), every row with its identifiers, and the notes.
fn everything(paths: &[std::path::PathBuf], options: &ReadOptions) -> String {
    let notes = Notes::default();
    let read = read_extract(paths, options, &notes);
    let rows: Vec<_> = read.as_ref().map_or_else(
        |_| Vec::new(),
        |e| (0..e.episodes.len()).map(|i| e.episodes.row(i)).collect(),
    );
    format!("{read:?}\n{rows:?}\n{:?}", notes.0.lock().unwrap())
}

proptest! {
    #![proptest_config(Config { cases: 200, failure_persistence: None, ..Config::default() })]

    /// Dictionary-encoded text columns are cleaned once per distinct value: every row,
    /// rule count, example of a bad value, slashed-date tally, unreadable date, note and
    /// error must be as when the same file stores them plain (cleaned row by row).
    #[test]
    fn dictionaries_are_read_as_plain_columns_are(case in parquet_case()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cin.parquet");
        let paths = [path.clone()];
        for options in dictionary_options(case.batch_size) {
            case.write_encoded(&path, true);
            let dictionary = everything(&paths, &options);
            case.write_encoded(&path, false);
            let plain = everything(&paths, &options);
            prop_assert_eq!(dictionary, plain);
        }
    }
}

/// Regression (found by `corrupted_parquet_files_are_errors_or_balance`): a footer whose
/// column chunk starts at a negative offset makes the Parquet library assert while
/// planning the read. cumin must report the file as unreadable, not crash.
#[test]
fn a_parquet_footer_the_library_panics_on_is_an_error_naming_the_file() {
    use parquet::file::metadata::{ParquetMetaDataReader, ParquetMetaDataWriter};
    let dir = tempfile::tempdir().unwrap();
    let valid = dir.path().join("valid.parquet");
    let case = ParquetCase {
        rows: vec![
            vec![
                "2013/14",
                "202",
                "A1",
                "P1",
                "1",
                "WBRI",
                "5",
                "2010",
                "",
                "2013-06-01",
                "",
                "",
                "",
                "0",
                "RC1",
                "N1",
                "",
                "",
                "",
                "3",
            ]
            .into_iter()
            .map(str::to_owned)
            .collect(),
        ],
        anchor: 0,
        changes: Vec::new(),
        la: Typed::Text,
        birth: Typed::Text,
        dates: Typed::Text,
        batch_size: 1024,
        row_group: 1024,
    };
    case.write(&valid);
    read_extract(
        std::slice::from_ref(&valid),
        &ReadOptions::default(),
        &NoProgress,
    )
    .unwrap();

    let bytes = std::fs::read(&valid).unwrap();
    let metadata = ParquetMetaDataReader::new()
        .parse_and_finish(&std::fs::File::open(&valid).unwrap())
        .unwrap();
    let mut group = metadata.row_groups()[0].clone();
    let first = group.columns()[0]
        .clone()
        .into_builder()
        .set_dictionary_page_offset(None)
        .set_data_page_offset(-4)
        .build()
        .unwrap();
    group.columns_mut()[0] = first;
    let metadata = metadata.into_builder().set_row_groups(vec![group]).build();
    let footer_len =
        u32::from_le_bytes(bytes[bytes.len() - 8..bytes.len() - 4].try_into().unwrap());
    let mut corrupt = bytes[..bytes.len() - 8 - footer_len as usize].to_vec();
    ParquetMetaDataWriter::new(&mut corrupt, &metadata)
        .finish()
        .unwrap();
    let path = dir.path().join("negative_offset.parquet");
    std::fs::write(&path, corrupt).unwrap();

    let e = read_extract(&[path], &ReadOptions::default(), &NoProgress).unwrap_err();
    let message = e.to_string();
    assert!(matches!(e, CensusError::Parquet { .. }), "{message}");
    assert!(
        message.contains("negative_offset.parquet") && message.contains("corrupt"),
        "{message}"
    );
}

// ---- Byte edits of a fixture ---------------------------------------------------------

/// A small seeded generator (SplitMix64), so the edits are the same on every run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A byte, mostly one that means something to a CSV or Parquet reader.
    fn byte(&mut self) -> u8 {
        const SPECIAL: [u8; 10] = [b'"', b',', b'\n', b'\r', b'\t', b' ', 0, 0xFF, 0xC3, b'/'];
        if self.below(2) == 0 {
            SPECIAL[self.below(SPECIAL.len())]
        } else {
            self.next() as u8
        }
    }
}

/// The header and the first `n` data lines of the bundled demo extract.
fn fixture_csv(n: usize) -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/demo/episodes.csv"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    for line in text.lines().take(n + 1) {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

/// The outcome of reading one mutant, for the tally.
#[derive(Default, Debug)]
struct Tally {
    read: u64,
    errors: u64,
    quarantined_rows: u64,
}

/// Reads a mutant: no panic (a panic fails the test), and either an error or a ledger
/// that balances with `read` equal to `lines`, the mutant's data lines.
fn read_mutant(
    result: Result<Extract, CensusError>,
    lines: Option<u64>,
    name: &str,
    tally: &mut Tally,
) {
    match result {
        Ok(e) => {
            let read = assert_balanced(&e);
            assert_eq!(
                Some(read),
                lines,
                "{name}: rows read are not the data lines"
            );
            tally.read += 1;
            tally.quarantined_rows += e.ledger.total(0, EntryKind::Quarantined);
        }
        Err(e) => {
            let m = e.to_string();
            assert!(m.contains(name) || m.contains("census year"), "{m}");
            tally.errors += 1;
        }
    }
}

/// Hundreds of random byte edits (1-8 bytes overwritten, inserted or deleted, seeded) of
/// 300 rows of the demo extract's CSV: the reader never panics, and every mutant is
/// either refused with an error or read with `read` = its data lines, balanced.
#[test]
fn byte_edits_of_a_fixture_csv_are_errors_or_every_line_is_counted() {
    let original = fixture_csv(300);
    let mut rng = SplitMix(22);
    let mut tally = Tally::default();
    for _ in 0..400 {
        let mut bytes = original.clone();
        for _ in 0..=rng.below(8) {
            let at = rng.below(bytes.len());
            match rng.below(3) {
                0 => bytes[at] = rng.byte(),
                1 => bytes.insert(at, rng.byte()),
                _ => {
                    bytes.remove(at);
                }
            }
        }
        let lines = data_lines(&bytes).map(|l| l.len() as u64);
        let result = read_csv_bytes("mutant.csv", bytes, &ReadOptions::default());
        read_mutant(result, lines, "mutant.csv", &mut tally);
    }
    report("CSV", &tally);
    // Most edits hit a data line, which is quarantined or cleaned, not the whole file.
    assert!(tally.read >= 300, "{tally:?}");
    assert!(tally.quarantined_rows > 0, "{tally:?}");
}

/// The same rows written to Parquet (text columns, row groups of 100), then 1-8 bytes
/// of the file overwritten, 400 times (seeded): no panic, and an error naming the file or
/// all 300 rows read and balanced.
#[test]
fn byte_edits_of_a_fixture_parquet_are_errors_or_every_row_is_counted() {
    let text = String::from_utf8(fixture_csv(300)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let fields: Vec<Field> = header
        .iter()
        .map(|h| Field::new(*h, DataType::Utf8, true))
        .collect();
    let columns: Vec<ArrayRef> = (0..header.len())
        .map(|c| {
            Arc::new(
                rows.iter()
                    .map(|r| Some(r[c]).filter(|v| !v.is_empty()))
                    .collect::<StringArray>(),
            ) as ArrayRef
        })
        .collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
    let mut original = Vec::new();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(100))
        .build();
    let mut w = ArrowWriter::try_new(&mut original, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mutant.parquet");
    let mut rng = SplitMix(2022);
    let mut tally = Tally::default();
    for _ in 0..400 {
        let mut bytes = original.clone();
        for _ in 0..=rng.below(8) {
            let at = rng.below(bytes.len());
            bytes[at] = rng.byte();
        }
        std::fs::write(&path, &bytes).unwrap();
        let result = read_extract(
            std::slice::from_ref(&path),
            &ReadOptions::default(),
            &NoProgress,
        );
        read_mutant(
            result,
            Some(rows.len() as u64),
            "mutant.parquet",
            &mut tally,
        );
    }
    report("parquet", &tally);
    // Most edits break the file's metadata or a page (an error); the rest must still
    // read every row.
    assert!(tally.read >= 20 && tally.errors >= 100, "{tally:?}");
}

/// The figures, with `--nocapture` (docs/fuzzing.md quotes them).
#[allow(clippy::print_stderr)]
fn report(what: &str, tally: &Tally) {
    eprintln!("byte edits of the {what} fixture: {tally:?}");
}
