//! Reading episode files: CSV and Parquet, one or many, into one [`Extract`].
//!
//! Each file is checked for the columns the run needs before any row is read, so an
//! unusable file stops the run before any output. Rows are then read in batches and
//! normalised ([`crate::normalise`]); memory grows with the normalised table, not with
//! the file.

mod csv_file;
mod parquet_file;
pub mod table;

use crate::date::Date;
use crate::episodes::Episodes;
use crate::error::CensusError;
use crate::ledger::{EntryKind, FileIndex, Ledger, QuarantinedRow};
use crate::normalise::{self, CleaningRules, Raw, RuleCounts};
use crate::progress::Progress;
use crate::schema::{Column, ColumnMap, ResolvedHeaders};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// File formats cumin reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma-separated text with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
}

/// How to read an extract.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Extra header names from the study config.
    pub columns: ColumnMap,
    /// Cleaning rule switches.
    pub rules: CleaningRules,
    /// Columns needed beyond [`Column::REQUIRED`] (for the outcomes and strata asked for).
    pub required: BTreeSet<Column>,
    /// Rows per batch.
    pub batch_size: usize,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            columns: ColumnMap::default(),
            rules: CleaningRules::default(),
            required: BTreeSet::new(),
            batch_size: 64 * 1024,
        }
    }
}

/// What was learned about one input file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SourceFile {
    /// Path as given.
    pub path: PathBuf,
    /// Format.
    pub format: Format,
    /// Data rows read.
    pub rows: u64,
    /// Known columns present.
    pub columns: Vec<Column>,
    /// Headers that name no known column (ignored).
    pub unknown_columns: Vec<String>,
}

/// Everything read from the episode files of one run.
#[derive(Debug)]
pub struct Extract {
    /// Normalised rows.
    pub episodes: Episodes,
    /// Where every row went so far.
    pub ledger: Ledger,
    /// The files, in the order read (their index is their [`FileIndex`]).
    pub files: Vec<SourceFile>,
    /// The last day of the last census year in the extract.
    pub data_end: Date,
}

/// Expands paths and globs (`data/cin_*.csv`) into files, sorted within each pattern.
pub fn expand_inputs(patterns: &[impl AsRef<str>]) -> Result<Vec<PathBuf>, CensusError> {
    let mut out = Vec::new();
    for p in patterns {
        let p = p.as_ref();
        if Path::new(p).exists() {
            out.push(PathBuf::from(p));
            continue;
        }
        let mut matched: Vec<PathBuf> = glob::glob(p)
            .map_err(|_| CensusError::NoInput {
                pattern: p.to_owned(),
            })?
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect();
        if matched.is_empty() {
            return Err(CensusError::NoInput {
                pattern: p.to_owned(),
            });
        }
        matched.sort();
        out.extend(matched);
    }
    Ok(out)
}

/// The format of a file, from its extension and first bytes.
pub fn detect_format(path: &Path) -> Result<Format, CensusError> {
    use std::io::Read;
    let io = |source| CensusError::Io {
        path: path.to_owned(),
        source,
    };
    let mut head = [0u8; 4];
    let mut f = std::fs::File::open(path).map_err(io)?;
    let n = f.read(&mut head).map_err(io)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let is_parquet_magic = n == 4 && &head == b"PAR1";
    match ext.as_str() {
        "parquet" | "parq" | "pq" if is_parquet_magic => Ok(Format::Parquet),
        "parquet" | "parq" | "pq" if n == 0 => Err(CensusError::Empty {
            path: path.to_owned(),
            detail: "the file has no bytes".to_owned(),
        }),
        "parquet" | "parq" | "pq" => Err(CensusError::UnknownFormat {
            path: path.to_owned(),
            detail: "it is named .parquet but does not start with the Parquet magic bytes PAR1"
                .to_owned(),
        }),
        _ if is_parquet_magic => Ok(Format::Parquet),
        "csv" | "txt" => Ok(Format::Csv),
        _ => Err(CensusError::UnknownFormat {
            path: path.to_owned(),
            detail: format!(
                "its name ends in {:?}",
                if ext.is_empty() { "nothing" } else { &ext }
            ),
        }),
    }
}

/// Checks one file's headers against the columns the run needs.
fn check_columns(
    path: &Path,
    headers: &ResolvedHeaders,
    required: &BTreeSet<Column>,
) -> Result<(), CensusError> {
    let missing: Vec<Column> = required
        .iter()
        .copied()
        .filter(|c| !headers.has(*c))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(CensusError::MissingColumns {
        path: path.to_owned(),
        nearest: missing.iter().map(|c| headers.nearest(*c, 3)).collect(),
        missing,
        found: headers.headers.clone(),
    })
}

/// A file opened and checked, ready to stream rows.
pub(crate) trait RowSource {
    fn headers(&self) -> &ResolvedHeaders;
    /// Calls `sink` with batches of rows until the file is done.
    fn read(
        &mut self,
        batch_size: usize,
        sink: &mut dyn FnMut(RowBatch<'_>) -> Result<(), CensusError>,
    ) -> Result<(), CensusError>;
}

/// A batch of rows in a uniform view: `get(row, column)`.
pub(crate) struct RowBatch<'a> {
    pub first_row: u64,
    pub len: usize,
    pub get: &'a dyn Fn(usize, Column) -> RowValue<'a>,
    /// Rules the reader itself applied to rows of this batch (e.g. UTF-8 repair).
    pub rule_hits: &'a [(&'static str, u64)],
}

/// A row-level view result: a raw value or a structural problem with the row.
pub(crate) enum RowValue<'a> {
    Value(Raw<'a>),
    /// The row is malformed (e.g. wrong field count); the string explains.
    Malformed(String),
}

fn open(path: &Path, options: &ReadOptions) -> Result<(Format, Box<dyn RowSource>), CensusError> {
    let format = detect_format(path)?;
    let source: Box<dyn RowSource> = match format {
        Format::Csv => Box::new(csv_file::CsvSource::open(path, &options.columns)?),
        Format::Parquet => Box::new(parquet_file::ParquetSource::open(path, &options.columns)?),
    };
    Ok((format, source))
}

/// Reads every file into one normalised extract, accounting for every row.
pub fn read_extract(
    paths: &[PathBuf],
    options: &ReadOptions,
    progress: &dyn Progress,
) -> Result<Extract, CensusError> {
    if paths.is_empty() {
        return Err(CensusError::NoInput {
            pattern: String::new(),
        });
    }
    let required: BTreeSet<Column> = Column::REQUIRED
        .iter()
        .copied()
        .chain(options.required.iter().copied())
        .collect();
    // Open and check every file before reading any row.
    let mut sources = Vec::new();
    for path in paths {
        let (format, source) = open(path, options)?;
        sources.push((path.clone(), format, source));
    }
    for column in &required {
        let (with, without): (Vec<_>, Vec<_>) = sources
            .iter()
            .partition(|(_, _, s)| s.headers().has(*column));
        if !with.is_empty() && !without.is_empty() {
            let name = |v: Vec<&(PathBuf, Format, Box<dyn RowSource>)>| {
                v.iter().map(|(p, _, _)| p.display().to_string()).collect()
            };
            return Err(CensusError::MixedSchemas {
                column: *column,
                with: name(with),
                without: name(without),
            });
        }
    }
    for (path, _, source) in &sources {
        check_columns(path, source.headers(), &required)?;
    }

    let mut ledger = Ledger::new();
    let mut episodes = Episodes::new();
    let mut files = Vec::new();
    for (path, format, mut source) in sources {
        let file = ledger.add_file(path.display().to_string());
        let headers = source.headers().clone();
        if !headers.unknown.is_empty() {
            progress.note(&format!(
                "{}: ignoring columns cumin does not use: {}",
                path.display(),
                headers.unknown.join(", ")
            ));
        }
        progress.begin(&format!("reading {}", path.display()), None);
        let mut counts = RuleCounts::default();
        let mut rows = 0u64;
        source.read(options.batch_size, &mut |batch| {
            read_batch(
                &batch,
                file,
                options,
                &mut counts,
                &mut episodes,
                &mut ledger,
            );
            rows += batch.len as u64;
            progress.advance(batch.len as u64);
            Ok(())
        })?;
        progress.end();
        if rows == 0 {
            return Err(CensusError::Empty {
                path: path.clone(),
                detail: "it has a header but no data rows".to_owned(),
            });
        }
        if let Some((column, tally)) = counts.wrong_type_throughout() {
            return Err(CensusError::WrongTypeThroughout {
                path: path.clone(),
                column,
                expected: column.expectation(),
                seen: tally.seen,
                examples: tally.examples.clone(),
            });
        }
        counts.flush(&mut ledger, file);
        ledger.add(file, EntryKind::Read, "", rows);
        files.push(SourceFile {
            path,
            format,
            rows,
            columns: headers.positions.keys().copied().collect(),
            unknown_columns: headers.unknown,
        });
    }
    let data_end = episodes
        .last_census_year()
        .map_or(Date::ymd(2008, 3, 31), super::types::CensusYear::end);
    normalise::finish(&mut episodes, &mut ledger, &options.rules, data_end);
    Ok(Extract {
        episodes,
        ledger,
        files,
        data_end,
    })
}

fn read_batch(
    batch: &RowBatch<'_>,
    file: FileIndex,
    options: &ReadOptions,
    counts: &mut RuleCounts,
    episodes: &mut Episodes,
    ledger: &mut Ledger,
) {
    for &(rule, n) in batch.rule_hits {
        for _ in 0..n {
            counts.hit(rule);
        }
    }
    for i in 0..batch.len {
        let row_number = batch.first_row + i as u64 + 1;
        let mut malformed = None;
        let get = |c: Column| match (batch.get)(i, c) {
            RowValue::Value(v) => v,
            RowValue::Malformed(_) => Raw::Null,
        };
        if let RowValue::Malformed(why) = (batch.get)(i, Column::AcadYr) {
            malformed = Some(why);
        }
        if let Some(detail) = malformed {
            ledger.quarantine(QuarantinedRow {
                file,
                row: row_number,
                reason: normalise::quarantine::WRONG_FIELD_COUNT,
                detail,
            });
            continue;
        }
        let source_row = u32::try_from(row_number).unwrap_or(u32::MAX);
        match normalise::row(get, file, source_row, &options.rules, counts) {
            Ok(r) => episodes.push(r),
            Err((reason, detail)) => ledger.quarantine(QuarantinedRow {
                file,
                row: row_number,
                reason,
                detail,
            }),
        }
    }
}
