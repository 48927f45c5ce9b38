//! The floor for cumin's read stage: plain arrow-rs decoding the columns cumin reads from
//! a Parquet extract, row groups in parallel on `--threads` threads, into a compact column
//! table (what `scripts/bench.sh` times as the "decode floor", issue 20).
//!
//! `cargo run --release -p cumin-census --example decode_floor -- FILE [--threads N]
//! [--dictionary]`
//!
//! The columns are those cumin's reader decodes (every known column but referral source,
//! the categories of abuse, previous CPPs, `LA_09` and `LSOA`; the same set as
//! `read_floor`). Each value becomes a fixed-width integer: census year, LA and birth year
//! 16 bits; sex, ethnicity, birth month, NFA, primary need, reason for closure and IDACI
//! decile 8 bits; the eight dates days since 1970 (`i32`, `YYYY-MM-DD` or `DD/MM/YYYY`);
//! the LA child ID, if all digits, its value with its length (so leading zeros count);
//! the PMR, if a letter and 16 hex digits, the digits (64 bits) and the letter. Other
//! identifiers go to a side list (counted). No cleaning rule, no ledger: the work any
//! reader of this file into such a table must do.
//!
//! With `--dictionary` the dictionary-encoded text columns are decoded as Arrow
//! dictionaries and each distinct value converted once (the identifiers, plain-encoded,
//! as before): what keeping the file's dictionaries saves.

#![allow(clippy::print_stdout)]

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, Field, Schema};
use cumin_census::Column as C;
use cumin_census::schema::{ColumnMap, ResolvedHeaders};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use rayon::prelude::*;
use std::fs::File;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const BATCH: usize = 64 * 1024;

/// Columns cumin's reader skips (as in `read_floor`).
const SKIPPED: [C; 6] = [
    C::ReferralSource,
    C::InitialCategoryOfAbuse,
    C::LatestCategoryOfAbuse,
    C::NumberOfPreviousCpp,
    C::La09,
    C::Lsoa,
];

/// The 8-bit columns (`Table::bytes` holds those present, in this order).
const BYTES: [C; 7] = [
    C::Gender,
    C::Ethnicity,
    C::MonthOfBirth,
    C::ReferralNfa,
    C::PrimaryNeed,
    C::ReasonForClosure,
    C::IdaciDecile,
];

/// The date columns (`Table::dates` holds those present, in this order).
const DATES: [C; 10] = [
    C::ExpectedDob,
    C::ReferralDate,
    C::ClosureDate,
    C::LatestReferralDate,
    C::LatestClosureDate,
    C::AssessmentStart,
    C::Section47Start,
    C::InitialCpc,
    C::CppStart,
    C::CppEnd,
];

const NO_DATE: i32 = i32::MIN;
const NO_BYTE: u8 = u8::MAX;
/// Tag of an identifier held in the side list (its index in the low bits).
const SIDE: u64 = 1 << 63;

/// The compact table: one vector per column, every row.
struct Table {
    census_year: Vec<u16>,
    la: Vec<u16>,
    birth_year: Vec<i16>,
    la_child_id: Vec<u64>,
    pmr: Vec<u64>,
    pmr_letter: Vec<u8>,
    bytes: Vec<Vec<u8>>,
    dates: Vec<Vec<i32>>,
}

/// One row group's rows of every column.
struct Part<'a> {
    census_year: &'a mut [u16],
    la: &'a mut [u16],
    birth_year: &'a mut [i16],
    la_child_id: &'a mut [u64],
    pmr: &'a mut [u64],
    pmr_letter: &'a mut [u8],
    bytes: Vec<&'a mut [u8]>,
    dates: Vec<&'a mut [i32]>,
}

/// `v` cut into consecutive slices of `sizes` elements.
fn cut<'a, T>(v: &'a mut [T], sizes: &[usize]) -> std::vec::IntoIter<&'a mut [T]> {
    let mut rest = v;
    let mut out = Vec::with_capacity(sizes.len());
    for &n in sizes {
        let (head, tail) = rest.split_at_mut(n);
        out.push(head);
        rest = tail;
    }
    out.into_iter()
}

impl Table {
    fn new(rows: usize, bytes: usize, dates: usize) -> Table {
        Table {
            census_year: vec![0; rows],
            la: vec![0; rows],
            birth_year: vec![0; rows],
            la_child_id: vec![0; rows],
            pmr: vec![0; rows],
            pmr_letter: vec![0; rows],
            bytes: vec![vec![NO_BYTE; rows]; bytes],
            dates: vec![vec![NO_DATE; rows]; dates],
        }
    }

    fn bytes_held(&self) -> usize {
        let n = self.census_year.len();
        n * (2 + 2 + 2 + 8 + 8 + 1) + n * self.bytes.len() + 4 * n * self.dates.len()
    }

    /// The table cut into consecutive parts of `sizes` rows.
    fn parts(&mut self, sizes: &[usize]) -> Vec<Part<'_>> {
        let mut cy = cut(&mut self.census_year, sizes);
        let mut la = cut(&mut self.la, sizes);
        let mut by = cut(&mut self.birth_year, sizes);
        let mut id = cut(&mut self.la_child_id, sizes);
        let mut pmr = cut(&mut self.pmr, sizes);
        let mut letter = cut(&mut self.pmr_letter, sizes);
        let mut bytes: Vec<_> = self.bytes.iter_mut().map(|v| cut(v, sizes)).collect();
        let mut dates: Vec<_> = self.dates.iter_mut().map(|v| cut(v, sizes)).collect();
        // Every iterator holds exactly `sizes.len()` slices.
        let mut parts = Vec::with_capacity(sizes.len());
        while let (
            Some(census_year),
            Some(la),
            Some(birth_year),
            Some(la_child_id),
            Some(pmr),
            Some(pmr_letter),
        ) = (
            cy.next(),
            la.next(),
            by.next(),
            id.next(),
            pmr.next(),
            letter.next(),
        ) {
            parts.push(Part {
                census_year,
                la,
                birth_year,
                la_child_id,
                pmr,
                pmr_letter,
                bytes: bytes.iter_mut().filter_map(Iterator::next).collect(),
                dates: dates.iter_mut().filter_map(Iterator::next).collect(),
            });
        }
        parts
    }
}

/// Where a decoded column goes.
#[derive(Clone, Copy)]
enum Target {
    CensusYear,
    La,
    BirthYear,
    LaChildId,
    Pmr,
    Byte(usize, C),
    Date(usize),
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's `days_from_civil`).
fn days(y: i32, m: u32, d: u32) -> Option<i32> {
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let len = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d == 0 || d > len[m as usize - 1] {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp as i32 + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |v, c| {
        c.is_ascii_digit().then(|| v * 10 + u32::from(c - b'0'))
    })
}

fn date(s: &str) -> i32 {
    let b = s.trim().as_bytes();
    let parsed = match b {
        [_, _, _, _, b'-', _, _, b'-', _, _] => days(
            digits(&b[..4]).map_or(-1, |y| y as i32),
            digits(&b[5..7]).unwrap_or(0),
            digits(&b[8..10]).unwrap_or(0),
        ),
        [_, _, b'/', _, _, b'/', _, _, _, _] => days(
            digits(&b[6..]).map_or(-1, |y| y as i32),
            digits(&b[3..5]).unwrap_or(0),
            digits(&b[..2]).unwrap_or(0),
        ),
        _ => None,
    };
    parsed.unwrap_or(NO_DATE)
}

fn census_year(s: &str) -> u16 {
    let b = s.trim().as_bytes();
    digits(b.get(..4).unwrap_or_default()).map_or(0, |y| y as u16 + u16::from(b.len() > 4))
}

fn byte_of(column: C, s: &str) -> u8 {
    let s = s.trim();
    match column {
        C::Ethnicity => cumin_census::ETHNICITY_CODES
            .iter()
            .position(|c| c.eq_ignore_ascii_case(s))
            .map_or(NO_BYTE, |p| p as u8),
        C::ReferralNfa => match s {
            "0" => 0,
            "1" => 1,
            _ => match s.to_ascii_lowercase().as_str() {
                "n" | "no" | "false" => 0,
                "y" | "yes" | "true" => 1,
                _ => NO_BYTE,
            },
        },
        // N1, RC8, ...: the trailing digit.
        C::PrimaryNeed | C::ReasonForClosure => s
            .bytes()
            .last()
            .filter(u8::is_ascii_digit)
            .map_or(NO_BYTE, |d| d - b'0'),
        _ => s.parse().unwrap_or(NO_BYTE),
    }
}

/// An all-digit LA child ID as its value with its length in the top bits.
fn la_child_id(s: &str, side: &Mutex<Vec<String>>) -> u64 {
    let b = s.as_bytes();
    if (1..=18).contains(&b.len()) && b.iter().all(u8::is_ascii_digit) {
        let v = b.iter().fold(0u64, |v, c| v * 10 + u64::from(c - b'0'));
        return v | (b.len() as u64) << 58;
    }
    to_side(s, side)
}

/// A PMR written as a letter and 16 hex digits: the digits, and the letter apart.
fn pmr(s: &str, side: &Mutex<Vec<String>>) -> (u64, u8) {
    let b = s.as_bytes();
    if b.len() == 17
        && b[0].is_ascii_alphabetic()
        && let Ok(v) = u64::from_str_radix(&s[1..], 16)
    {
        return (v, b[0]);
    }
    (to_side(s, side), 0)
}

fn to_side(s: &str, side: &Mutex<Vec<String>>) -> u64 {
    let mut side = side.lock().expect("no panic while held");
    side.push(s.to_owned());
    SIDE | (side.len() as u64 - 1)
}

/// The text of a column as a closure over rows (`None` for nulls).
fn text_column<'a>(a: &'a ArrayRef) -> Box<dyn Fn(usize) -> Option<&'a str> + 'a> {
    match a.data_type() {
        DataType::Utf8 => {
            let s = a.as_string::<i32>();
            Box::new(move |i| s.is_valid(i).then(|| s.value(i)))
        }
        DataType::Utf8View => {
            let s = a.as_string_view();
            Box::new(move |i| s.is_valid(i).then(|| s.value(i)))
        }
        other => panic!("no text reading for {other}"),
    }
}

/// Integers of a numeric column (cast to `Int32`).
fn int_column(a: &ArrayRef) -> arrow_array::Int32Array {
    arrow_cast::cast(a, &DataType::Int32)
        .expect("a numeric column")
        .as_primitive::<Int32Type>()
        .clone()
}

/// Converts `a` into `out` at `at..`, through `f` per value, or once per distinct value
/// when `a` is a dictionary.
fn convert<T: Copy + Send>(
    a: &ArrayRef,
    out: &mut [T],
    missing: T,
    f: impl Fn(&str) -> T,
    int: impl Fn(i32) -> T,
) {
    if let DataType::Dictionary(_, _) = a.data_type() {
        let d = a.as_dictionary::<Int32Type>();
        let values = d.values();
        let lookup: Vec<T> = (0..values.len())
            .map(|i| text_column(values)(i).map_or(missing, &f))
            .collect();
        for (o, k) in out.iter_mut().zip(d.keys().iter()) {
            *o = k.map_or(missing, |k| lookup[k as usize]);
        }
    } else if matches!(a.data_type(), DataType::Utf8 | DataType::Utf8View) {
        let get = text_column(a);
        for (i, o) in out.iter_mut().enumerate() {
            *o = get(i).map_or(missing, &f);
        }
    } else {
        let v = int_column(a);
        for (i, o) in out.iter_mut().enumerate() {
            *o = if v.is_valid(i) {
                int(v.value(i))
            } else {
                missing
            };
        }
    }
}

fn fill(
    batch: &arrow_array::RecordBatch,
    targets: &[Target],
    part: &mut Part<'_>,
    at: usize,
    side: &Mutex<Vec<String>>,
) {
    let end = at + batch.num_rows();
    for (a, t) in batch.columns().iter().zip(targets) {
        match *t {
            Target::CensusYear => convert(a, &mut part.census_year[at..end], 0, census_year, |v| {
                v as u16
            }),
            Target::La => convert(
                a,
                &mut part.la[at..end],
                0,
                |s| s.trim().parse().unwrap_or(0),
                |v| v as u16,
            ),
            Target::BirthYear => convert(
                a,
                &mut part.birth_year[at..end],
                0,
                |s| s.trim().parse().unwrap_or(0),
                |v| v as i16,
            ),
            Target::Byte(k, c) => convert(
                a,
                &mut part.bytes[k][at..end],
                NO_BYTE,
                |s| byte_of(c, s),
                |v| u8::try_from(v).unwrap_or(NO_BYTE),
            ),
            Target::Date(k) => convert(a, &mut part.dates[k][at..end], NO_DATE, date, |v| v),
            Target::LaChildId => convert(
                a,
                &mut part.la_child_id[at..end],
                0,
                |s| la_child_id(s.trim(), side),
                |v| la_child_id(&v.to_string(), side),
            ),
            Target::Pmr => {
                let get = text_column(a);
                for i in 0..batch.num_rows() {
                    let (v, l) = get(i).map_or((0, 0), |s| pmr(s.trim(), side));
                    part.pmr[at + i] = v;
                    part.pmr_letter[at + i] = l;
                }
            }
        }
    }
}

struct Args {
    path: String,
    threads: usize,
    dictionary: bool,
}

fn args() -> Result<Args, Box<dyn std::error::Error>> {
    let mut a = std::env::args().skip(1);
    let mut out = Args {
        path: String::new(),
        threads: 2,
        dictionary: false,
    };
    while let Some(x) = a.next() {
        match x.as_str() {
            "--threads" => out.threads = a.next().ok_or("--threads N")?.parse()?,
            "--dictionary" => out.dictionary = true,
            _ if out.path.is_empty() => out.path = x,
            _ => return Err(format!("unexpected argument {x:?}").into()),
        }
    }
    if out.path.is_empty() {
        return Err("usage: decode_floor FILE.parquet [--threads N] [--dictionary]".into());
    }
    Ok(out)
}

#[allow(
    clippy::too_many_lines,
    reason = "a benchmark script: decode, tally and print in one readable sequence"
)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let start = Instant::now();
    let file = File::open(&args.path)?;
    let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())?;
    let names: Vec<String> = meta
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let resolved = ResolvedHeaders::resolve(&names, &ColumnMap::default());
    let mut read: Vec<(usize, C)> = resolved
        .positions
        .iter()
        .filter(|(c, _)| !SKIPPED.contains(c))
        .map(|(c, p)| (*p, *c))
        .collect();
    read.sort_unstable();
    let present = |c: &C| read.iter().any(|(_, r)| r == c);
    let bytes: Vec<C> = BYTES.into_iter().filter(present).collect();
    let dates: Vec<C> = DATES.into_iter().filter(present).collect();
    let index = |list: &[C], c: C| list.iter().position(|x| *x == c).unwrap_or(0);
    let targets: Vec<Target> = read
        .iter()
        .map(|&(_, c)| match c {
            C::AcadYr => Target::CensusYear,
            C::La | C::LaFallback => Target::La,
            C::YearOfBirth => Target::BirthYear,
            C::LaChildId => Target::LaChildId,
            C::Pmr => Target::Pmr,
            c if bytes.contains(&c) => Target::Byte(index(&bytes, c), c),
            c => Target::Date(index(&dates, c)),
        })
        .collect();
    // With --dictionary, text columns other than the identifiers come as dictionaries.
    let meta = if args.dictionary {
        let ids: Vec<&str> = [C::LaChildId, C::Pmr]
            .iter()
            .filter_map(|c| resolved.positions.get(c))
            .map(|&p| names[p].as_str())
            .collect();
        let fields: Vec<Field> = meta
            .schema()
            .fields()
            .iter()
            .map(|f| {
                if *f.data_type() == DataType::Utf8 && !ids.contains(&f.name().as_str()) {
                    let dictionary =
                        DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
                    Field::new(f.name(), dictionary, true)
                } else {
                    f.as_ref().clone()
                }
            })
            .collect();
        ArrowReaderMetadata::try_new(
            meta.metadata().clone(),
            ArrowReaderOptions::new().with_schema(Arc::new(Schema::new(fields))),
        )?
    } else {
        meta
    };
    let mask = ProjectionMask::roots(
        meta.metadata().file_metadata().schema_descr(),
        read.iter().map(|(p, _)| *p),
    );
    let sizes: Vec<usize> = meta
        .metadata()
        .row_groups()
        .iter()
        .map(|g| g.num_rows() as usize)
        .collect();
    let rows: usize = sizes.iter().sum();
    let mut table = Table::new(rows, bytes.len(), dates.len());
    let side = Mutex::new(Vec::new());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()?;
    pool.install(|| {
        table
            .parts(&sizes)
            .into_par_iter()
            .enumerate()
            .try_for_each(|(g, mut part)| -> Result<(), String> {
                let file = File::open(&args.path).map_err(|e| e.to_string())?;
                let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
                    .with_projection(mask.clone())
                    .with_row_groups(vec![g])
                    .with_batch_size(BATCH)
                    .build()
                    .map_err(|e| e.to_string())?;
                let mut at = 0;
                for batch in reader {
                    let batch = batch.map_err(|e| e.to_string())?;
                    fill(&batch, &targets, &mut part, at, &side);
                    at += batch.num_rows();
                }
                Ok(())
            })
    })?;
    let seconds = start.elapsed().as_secs_f64();
    let side = side.into_inner().map_err(|_| "poisoned")?.len();
    let referrals = table.dates[index(&dates, C::ReferralDate)]
        .iter()
        .filter(|d| **d != NO_DATE)
        .count();
    println!(
        "decode floor: read {rows} rows ({} columns, {} row groups, {} threads{}) into a {:.0} MiB table in {seconds:.2} s: {:.0} rows/s; {referrals} referral dates, {side} identifiers outside the fixed formats",
        read.len(),
        sizes.len(),
        args.threads,
        if args.dictionary {
            ", dictionaries kept"
        } else {
            ""
        },
        table.bytes_held() as f64 / 1_048_576.0,
        rows as f64 / seconds,
    );
    Ok(())
}
