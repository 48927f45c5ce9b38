//! Reading episode files: CSV and Parquet, one or many, into one [`Extract`].
//!
//! Every file is opened and checked — format, header, at least one row, the columns the
//! run needs, one schema across files — before any row is read, so an unusable file
//! stops the run before any work or output. Rows then stream in batches through the
//! cleaning rules ([`crate::normalise`]): memory holds one batch of the columns cumin
//! reads plus the cleaned table, never the file.

mod cells;
mod checks;
mod csv_file;
mod format;
mod ingest;
mod parquet_file;
mod parquet_types;
mod per_value;
pub mod table;

pub use format::{Format, detect_format};
use format::{SNIFF, detect};

use crate::date::Date;
use crate::episodes::Episodes;
use crate::error::CensusError;
use crate::ledger::{EntryKind, Ledger};
use crate::lookup::LsoaLookup;
use crate::normalise::values::ValueMap;
use crate::normalise::{self, CleaningRules, ReasonSpelling, RowContext, Rule};
use crate::progress::Progress;
use crate::schema::{Column, ColumnMap, ResolvedHeaders};
use crate::types::CensusYear;
use crate::years::CensusYearsUsed;
use cells::BatchSource;
use checks::{OtherFiles, WholeExtract, check_wrong_throughout};
use csv_file::CsvSource;
use ingest::Ingest;
use parquet_file::ParquetSource;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How to read an extract.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Extra header names from the study config.
    pub columns: ColumnMap,
    /// Value replacements from the study config.
    pub values: ValueMap,
    /// LSOA → IDACI decile, for rows without a decile.
    pub lsoa: Option<Arc<LsoaLookup>>,
    /// Cleaning rule switches.
    pub rules: CleaningRules,
    /// Columns needed beyond [`Column::REQUIRED`] (for the outcomes and strata asked for).
    pub required: BTreeSet<Column>,
    /// Why a column of `required` is needed (`outcomes assessed, cin`, `--by sex`), for
    /// the message when a file lacks it.
    pub needed_by: BTreeMap<Column, String>,
    /// Rows per batch.
    pub batch_size: usize,
    /// The census years the user states (first, last): rows of other years are excluded
    /// and counted. `None`: the extract's own years, checked ([`crate::years`]).
    pub census_years: Option<(CensusYear, CensusYear)>,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            columns: ColumnMap::default(),
            values: ValueMap::default(),
            lsoa: None,
            rules: CleaningRules::default(),
            required: BTreeSet::new(),
            needed_by: BTreeMap::new(),
            batch_size: 64 * 1024,
            census_years: None,
        }
    }
}

impl ReadOptions {
    /// Every column the run needs in every file.
    pub fn required_columns(&self) -> BTreeSet<Column> {
        Column::REQUIRED
            .iter()
            .copied()
            .chain(self.required.iter().copied())
            .collect()
    }

    /// Whether a file with `headers` supplies `column`: an LSOA column stands in for the
    /// IDACI decile when there is a lookup.
    fn supplies(&self, headers: &ResolvedHeaders, column: Column) -> bool {
        headers.has(column)
            || (column == Column::IdaciDecile && self.lsoa.is_some() && headers.has(Column::Lsoa))
    }

    /// Whether the cleaning rules read `column` (the rest are never decoded).
    fn reads(&self, column: Column) -> bool {
        match column {
            Column::ReferralSource
            | Column::InitialCategoryOfAbuse
            | Column::LatestCategoryOfAbuse
            | Column::NumberOfPreviousCpp
            | Column::La09 => false,
            Column::Lsoa => self.lsoa.is_some(),
            _ => true,
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
    /// The files, in the order read (their index is their [`crate::FileIndex`]).
    pub files: Vec<SourceFile>,
    /// The last day of the last census year in the extract.
    pub data_end: Date,
    /// The census years used, and why.
    pub census_years: CensusYearsUsed,
    /// `LatestReferralDate` / `LatestClosureDate` where they differ from the row's own
    /// dates, by row of `episodes` (for callers that defer the whole-extract rules).
    pub latest: normalise::LatestDates,
    /// The cleaning notes shown on the terminal, in file order, for the analyst's record.
    pub notes: Vec<crate::notes::Note>,
}

impl Extract {
    /// Rows of each file that passed ingest (still in `episodes`).
    pub fn rows_kept(&self) -> Vec<u64> {
        let mut kept = vec![0u64; self.files.len()];
        for f in &self.episodes.file {
            kept[usize::from(*f)] += 1;
        }
        kept
    }
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

/// An opened, checked file.
enum Source {
    Csv(CsvSource),
    Parquet(ParquetSource),
}

impl Source {
    fn headers(&self) -> &ResolvedHeaders {
        match self {
            Source::Csv(s) => s.headers(),
            Source::Parquet(s) => s.headers(),
        }
    }

    /// Columns read whose type is null (Parquet): no value in any row.
    fn null_columns(&self) -> &[Column] {
        match self {
            Source::Csv(_) => &[],
            Source::Parquet(s) => s.null_columns(),
        }
    }

    /// Columns read whose type is nested (Parquet), with the type in words.
    fn nested_columns(&self) -> &[(Column, String)] {
        match self {
            Source::Csv(_) => &[],
            Source::Parquet(s) => s.nested_columns(),
        }
    }
}

struct Opened {
    path: PathBuf,
    format: Format,
    source: Source,
}

fn open(path: &Path, options: &ReadOptions) -> Result<Opened, CensusError> {
    let (format, head) = detect(path)?;
    let wanted = |c| options.reads(c);
    let source = match format {
        Format::Csv => {
            let file = std::fs::File::open(path).map_err(|source| CensusError::Io {
                path: path.to_owned(),
                source,
            })?;
            let delimiter = csv_file::sniff_delimiter(&head);
            Source::Csv(CsvSource::open(
                path,
                Box::new(file),
                delimiter,
                &options.columns,
                &wanted,
            )?)
        }
        Format::Parquet => Source::Parquet(ParquetSource::open(path, &options.columns, &wanted)?),
    };
    Ok(Opened {
        path: path.to_owned(),
        format,
        source,
    })
}

/// Checks that the files share the columns the run needs and that each has them.
fn check_columns(opened: &[Opened], options: &ReadOptions) -> Result<(), CensusError> {
    for o in opened {
        if let Some((column, headers)) = o.source.headers().first_ambiguous(|c| options.reads(c)) {
            return Err(CensusError::AmbiguousColumn {
                path: o.path.clone(),
                column,
                headers,
            });
        }
    }
    let required = options.required_columns();
    for column in &required {
        let (with, without): (Vec<&Opened>, Vec<&Opened>) = opened
            .iter()
            .partition(|o| options.supplies(o.source.headers(), *column));
        if !with.is_empty() && !without.is_empty() {
            let names = |v: Vec<&Opened>| v.iter().map(|o| o.path.display().to_string()).collect();
            return Err(CensusError::MixedSchemas {
                column: *column,
                with: names(with),
                without: names(without),
            });
        }
    }
    for o in opened {
        let headers = o.source.headers();
        let missing: Vec<Column> = required
            .iter()
            .copied()
            .filter(|c| !options.supplies(headers, *c))
            .collect();
        if !missing.is_empty() {
            return Err(CensusError::MissingColumns {
                path: o.path.clone(),
                nearest: missing.iter().map(|c| headers.nearest(*c, 3)).collect(),
                why: missing
                    .iter()
                    .map(|c| options.needed_by.get(c).cloned())
                    .collect(),
                missing,
                found: headers.headers.clone(),
            });
        }
        if let Some(column) = o
            .source
            .null_columns()
            .iter()
            // A PMR column of the null type reads as one of text empty in every row: the
            // rows are linked by LA child ID alone, with a note (`checks::check_wrong_throughout`).
            .find(|c| required.contains(c) && **c != Column::Pmr)
        {
            return Err(CensusError::NullColumn {
                path: o.path.clone(),
                column: *column,
                expected: column.expectation(),
            });
        }
        if let Some((column, found)) = o
            .source
            .nested_columns()
            .iter()
            .find(|(c, _)| required.contains(c) || checks::READ_BY_EVERY_RUN.contains(c))
        {
            return Err(CensusError::NestedColumn {
                path: o.path.clone(),
                column: *column,
                found: found.clone(),
                expected: column.expectation(),
            });
        }
    }
    Ok(())
}

/// Reads every file into one normalised extract, accounting for every row.
pub fn read_extract(
    paths: &[PathBuf],
    options: &ReadOptions,
    progress: &dyn Progress,
) -> Result<Extract, CensusError> {
    let opened = open_all(paths, options)?;
    read_opened(opened, options, None, progress).map(|(extract, _)| extract)
}

/// The reasons for closure of an extract read a second time with another spelling.
#[derive(Clone, Debug)]
pub struct OtherReasons {
    /// The spelling.
    pub spelling: ReasonSpelling,
    /// By row of the extract's episodes.
    pub reasons: Vec<Option<u8>>,
    /// The extract's ledger as that reading gives it (only the reason for closure's
    /// rule counts differ).
    pub ledger: Ledger,
}

/// Reads as [`read_extract`] does and, in the same pass, the reason for closure with
/// `other` too: the extract `read_extract` gives with `options`, and the reasons and
/// ledger it gives with `other` as the reason spelling (every other part of that reading
/// equals the first: the spelling decides no row's fate and no other value). After each
/// file the checks of reading it with `other` run first, then those with `options`'
/// spelling; after the last, the same. The Jay et al. 2025 presets need both spellings.
pub fn read_extract_with_other_reasons(
    paths: &[PathBuf],
    options: &ReadOptions,
    other: ReasonSpelling,
    progress: &dyn Progress,
) -> Result<(Extract, OtherReasons), CensusError> {
    let opened = open_all(paths, options)?;
    let (extract, reasons) = read_opened(opened, options, Some(other), progress)?;
    Ok((extract, reasons.expect("asked for")))
}

fn open_all(paths: &[PathBuf], options: &ReadOptions) -> Result<Vec<Opened>, CensusError> {
    if paths.is_empty() {
        return Err(CensusError::NoInput {
            pattern: String::new(),
        });
    }
    paths.iter().map(|p| open(p, options)).collect()
}

/// Reads CSV text held in memory as if it were the file `name` (tests, fuzzing).
pub fn read_csv_bytes(
    name: &str,
    bytes: Vec<u8>,
    options: &ReadOptions,
) -> Result<Extract, CensusError> {
    let path = PathBuf::from(name);
    let delimiter = csv_file::sniff_delimiter(&bytes[..bytes.len().min(SNIFF)]);
    let wanted = |c| options.reads(c);
    let source = CsvSource::open(
        &path,
        Box::new(std::io::Cursor::new(bytes)),
        delimiter,
        &options.columns,
        &wanted,
    )?;
    let opened = vec![Opened {
        path,
        format: Format::Csv,
        source: Source::Csv(source),
    }];
    read_opened(opened, options, None, &crate::progress::NoProgress).map(|(extract, _)| extract)
}

fn read_opened(
    opened: Vec<Opened>,
    options: &ReadOptions,
    other: Option<ReasonSpelling>,
    progress: &dyn Progress,
) -> Result<(Extract, Option<OtherReasons>), CensusError> {
    check_columns(&opened, options)?;
    let required = options.required_columns();
    let mut ingest = start_ingest(&opened, options, other);
    let mut other_files = OtherFiles::default();
    let mut files = Vec::new();
    let mut whole = WholeExtract::default();
    let mut notes = Vec::new();
    for Opened {
        path,
        format,
        source,
    } in opened
    {
        let file = ingest.ledger.add_file(path.display().to_string());
        let headers = source.headers().clone();
        let mut columns_unread = checks::note_unread_columns(&path, &source, progress);
        let declared = match &source {
            Source::Parquet(s) => s.declared_rows(),
            Source::Csv(_) => None,
        };
        progress.begin_counting(&format!("reading {}", path.display()), declared, "rows");
        let kept_before = ingest.rows + ingest.outside_window as usize;
        let rows = match source {
            Source::Csv(s) => stream(s, file, options, &mut ingest, progress)?,
            // Corrupt Parquet data can make the library panic while decoding a batch,
            // or leave arrays that panic when read: the whole file is guarded.
            Source::Parquet(s) => {
                parquet_file::guarded(&path, || stream(s, file, options, &mut ingest, progress))?
            }
        };
        progress.end();
        // Rows that reached the cleaning of every column (not quarantined first).
        let cleaned = (ingest.rows + ingest.outside_window as usize - kept_before) as u64;
        // The other spelling's reading is checked first, as if read first.
        if let Some(o) = &mut ingest.other {
            other_files.check(
                o,
                &ingest.counts,
                (&path, &headers, file),
                cleaned,
                &required,
                progress,
            )?;
        }
        notes.extend(columns_unread.drain(..).map(|n| n.with_rows(rows)));
        let recorded = (progress, &mut notes);
        check_wrong_throughout(&path, &ingest.counts, &required, cleaned, recorded)?;
        checks::note_unreadable_birth(&path, &ingest.counts, (progress, &mut notes));
        let counts = &mut ingest.counts;
        normalise::date_order::check(&path, counts, (progress, &mut notes))?;
        whole.add(&path, &headers, counts, cleaned);
        counts.flush(&mut ingest.ledger, file);
        *counts = normalise::RuleCounts::default();
        ingest.ledger.add(file, EntryKind::Read, "", rows);
        files.push(SourceFile {
            path,
            format,
            rows,
            columns: headers.positions.keys().copied().collect(),
            unknown_columns: headers.unknown,
        });
    }
    ingest.number_identifiers();
    let Ingest {
        episodes,
        ledger,
        latest,
        outside_window,
        other: other_read,
        ..
    } = ingest;
    if other.is_some() {
        std::mem::take(&mut other_files.whole).check(&required)?;
    }
    whole.check(&required)?;
    // Whether or not the census years are stated: a stated range cannot undo a shift.
    crate::years::referrals_within_their_years(&episodes, ledger.files())?;
    let census_years = crate::years::check(
        &episodes,
        ledger.files(),
        options.census_years,
        outside_window,
        crate::years::today(),
    )?;
    let data_end = episodes
        .last_census_year()
        .map_or(Date::ymd(2008, 3, 31), crate::types::CensusYear::end);
    let mut extract = Extract {
        episodes,
        ledger,
        files,
        data_end,
        census_years,
        latest,
        notes,
    };
    let kept = if options.rules.defer_whole_extract_rules {
        extract.ledger.check_with_pending(&extract.rows_kept())?;
        None
    } else {
        Some(finish_kept(&mut extract, options.rules)?)
    };
    let other = other_read.map(|o| other_files.finish(o, &extract.ledger, kept.as_deref()));
    Ok((extract, other))
}

/// The ingest of `opened`, with the other reason spelling if asked for and the table
/// sized for the rows the Parquet footers declare.
fn start_ingest<'o>(
    opened: &[Opened],
    options: &'o ReadOptions,
    other: Option<ReasonSpelling>,
) -> Ingest<'o> {
    let mut ingest = Ingest::new(
        RowContext {
            rules: &options.rules,
            values: &options.values,
            lsoa: options.lsoa.as_deref(),
        },
        options.census_years,
    );
    ingest.other = other.map(|spelling| ingest::Other {
        spelling,
        reasons: Vec::new(),
        counts: normalise::RuleCounts::default(),
    });
    // Every column sized once for the rows the Parquet footers declare (bounded: a
    // corrupt footer may declare any number).
    let declared: u64 = opened
        .iter()
        .filter_map(|o| match &o.source {
            Source::Parquet(s) => s.declared_rows(),
            Source::Csv(_) => None,
        })
        .sum();
    ingest.reserve(usize::try_from(declared.min(1 << 26)).unwrap_or(0));
    ingest
}

/// Applies the whole-extract rules ([`normalise::finish`]) under `rules` to an extract
/// read with them deferred ([`CleaningRules::defer_whole_extract_rules`]), which then
/// equals the extract a read with `rules` gives when the two readings clean rows alike
/// (the same reason spelling; the other switches act only here): the Jay et al. 2025
/// presets read the files once for the R code's steps and for cumin's own.
pub fn finish_deferred(extract: &mut Extract, rules: &CleaningRules) -> Result<(), CensusError> {
    finish_kept(extract, *rules).map(drop)
}

/// [`finish_deferred`], returning for each row before whether it stayed.
fn finish_kept(extract: &mut Extract, rules: CleaningRules) -> Result<Vec<bool>, CensusError> {
    let latest = std::mem::take(&mut extract.latest);
    let kept = normalise::finish(
        &mut extract.episodes,
        &latest,
        &mut extract.ledger,
        &rules,
        extract.data_end,
    );
    extract.ledger.check_with_pending(&extract.rows_kept())?;
    Ok(kept)
}

/// Streams one file's batches through the cleaning rules; returns the rows read.
fn stream<S: BatchSource>(
    mut source: S,
    file: crate::ledger::FileIndex,
    options: &ReadOptions,
    ingest: &mut Ingest<'_>,
    progress: &dyn Progress,
) -> Result<u64, CensusError> {
    let mut rows = 0u64;
    while let Some(batch) = source.next_batch(options.batch_size)? {
        let n = cells::Cells::len(&batch) as u64;
        ingest.batch(file, rows, &batch);
        rows += n;
        progress.advance(n);
    }
    ingest
        .counts
        .hit_n(Rule::TextNotUtf8, source.repaired_text());
    Ok(rows)
}
