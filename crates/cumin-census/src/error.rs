//! Errors for input that cannot be used at all. Row-level problems are not errors: they
//! are cleaned or quarantined and counted in the ledger.

use crate::date::SlashTally;
use crate::schema::Column;
use std::path::{Path, PathBuf};

/// A file (or set of files) that stops the run before any output is written.
#[derive(Debug, thiserror::Error)]
pub enum CensusError {
    /// No file matched what was asked for.
    #[error(
        "no input file matches {pattern:?}: check the path or glob (quote globs so the shell does not expand them)"
    )]
    NoInput {
        /// The path or glob given.
        pattern: String,
    },
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Neither CSV nor Parquet.
    #[error(
        "{path} is neither CSV nor Parquet: cumin reads `.csv` files (comma-separated, \
         UTF-8, header row) and `.parquet` files; {detail}"
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        detail: String,
    },
    /// No header, or a header and no rows.
    #[error(
        "{path} is empty: {detail}; an episode file needs a header row and at least one data row"
    )]
    Empty {
        /// The file.
        path: PathBuf,
        /// What is missing.
        detail: String,
    },
    /// Required columns absent.
    #[error("{}", missing_columns_message(path, missing, found, nearest, why))]
    MissingColumns {
        /// The file.
        path: PathBuf,
        /// Columns required but absent.
        missing: Vec<Column>,
        /// Headers the file does have.
        found: Vec<String>,
        /// For each missing column, the closest headers found.
        nearest: Vec<Vec<String>>,
        /// For each missing column, why the run needs it (`None`: every run does).
        why: Vec<Option<String>>,
    },
    /// A Parquet timestamp column in a time zone with summer time.
    #[error(
        "{path}: column {header} holds timestamps in time zone {zone}, whose offset from \
         UTC changes through the year; cumin reads dates and does not carry the zone's \
         rules, so it cannot tell which local date each value is (a midnight in summer \
         time is the day before in UTC). Write the column as dates (pandas: \
         `.dt.date`; R: `as.Date()`), as timestamps without a zone holding local time \
         (pandas: `.dt.tz_localize(None)`), or as text (`2013-06-01`)"
    )]
    TimeZone {
        /// The file.
        path: PathBuf,
        /// The column's header.
        header: String,
        /// The zone the file declares.
        zone: String,
    },
    /// A column the run reads is named by more than one header.
    #[error(
        "{path}: {} headers name column {column}: {}; cumin cannot tell which one holds \
         the data. Drop all but one, or rename the others to names cumin does not use (they \
         are then listed as ignored)",
        headers.len(), headers.join(", ")
    )]
    AmbiguousColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: Column,
        /// The headers naming it, each with its position (`CIN_LA (column 2)`).
        headers: Vec<String>,
    },
    /// Files of one run disagree on the columns the run needs.
    #[error(
        "the input files do not share one schema: column {column} is in {} but not in {}; \
         read them in separate runs or add the column to every file",
        with.join(", "), without.join(", ")
    )]
    MixedSchemas {
        /// The column in question.
        column: Column,
        /// Files that have it.
        with: Vec<String>,
        /// Files that lack it.
        without: Vec<String>,
    },
    /// No value of a column is valid: of the wrong type, out of range or unreadable.
    #[error(
        "{path}: column {column} holds no valid value ({expected}) in any of its {seen} \
         non-empty rows, e.g. {examples:?}; check the column mapping in the study config or \
         the extract"
    )]
    WrongTypeThroughout {
        /// The file.
        path: PathBuf,
        /// The column.
        column: Column,
        /// What was expected.
        expected: &'static str,
        /// Non-empty rows seen.
        seen: u64,
        /// A few offending values.
        examples: Vec<String>,
    },
    /// A date column written month first (`12/25/2013`), or in both orders.
    #[error("{}", date_order_message(path, *column, tally))]
    DateOrder {
        /// The file.
        path: PathBuf,
        /// The column.
        column: Column,
        /// What its slashed dates allow.
        tally: Box<SlashTally>,
    },
    /// A Parquet column of the null type: no value in any row.
    #[error(
        "{path}: column {column} has the Parquet type null, so it holds no value in any row \
         (cumin needs {expected}); a column that was empty when exported loses its type: \
         check the export"
    )]
    NullColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: Column,
        /// What was expected.
        expected: &'static str,
    },
    /// A Parquet column of a nested type (struct, list, map) that the run needs: no row
    /// holds a single value.
    #[error(
        "{path}: column {column} has the Parquet type {found}, which holds no single value \
         in a row (cumin needs {expected}); write the column flat, one value per row (e.g. \
         the struct's field or the list's element)"
    )]
    NestedColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: Column,
        /// Its type, in words.
        found: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A decimal value with a fraction, in a column of whole numbers.
    #[error(
        "{path}: row {row}, column {header}: {value:?} has a fraction (the column's Parquet \
         type is {found}); cumin reads codes, years, months and dates here, so a decimal \
         column must hold whole values (2005.00 reads as 2005)"
    )]
    DecimalFraction {
        /// The file.
        path: PathBuf,
        /// The column's header in the file.
        header: String,
        /// Its type.
        found: String,
        /// The data row (1-based).
        row: u64,
        /// The value as written.
        value: String,
    },
    /// A required column empty in every row read.
    #[error(
        "{path}: column {column} is empty in every one of the {rows} rows read (cumin needs \
         {expected}); check the column mapping in the study config or the extract"
    )]
    EmptyThroughout {
        /// The file.
        path: PathBuf,
        /// The column.
        column: Column,
        /// What was expected.
        expected: &'static str,
        /// Rows read whose other values were usable.
        rows: u64,
    },
    /// A required column empty in every row of every file (an early census year's file
    /// may leave it empty; the whole extract may not).
    #[error(
        "column {column} is empty in every one of the {rows} rows read, in every file ({}): \
         read as it is, {}. Check the column mapping in the study config or the extract, or \
         name outcomes that do not need {column} with --outcome (e.g. --outcome {})",
        files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "),
        empty_column_reading(*column),
        outcomes_without(*column)
    )]
    EmptyInExtract {
        /// The column.
        column: Column,
        /// The files that have it.
        files: Vec<PathBuf>,
        /// Rows read whose other values were usable.
        rows: u64,
    },
    /// The census years of the extract are not ones cumin can take as they are.
    #[error(transparent)]
    CensusYears(#[from] crate::years::CensusYearsError),
    /// The CSV could not be parsed at all.
    #[error("{path}: not readable as CSV at line {line}: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// Line number, 1-based.
        line: u64,
        /// The parser's message.
        message: String,
    },
    /// The LSOA lookup lacks its columns.
    #[error(
        "{path}: the LSOA lookup needs an LSOA column and an IDACI decile column \
         (LSOA,IDACI_Decile, as input contract section 3); the file has: {}",
        found.join(", ")
    )]
    LookupColumns {
        /// The file.
        path: PathBuf,
        /// Headers it has.
        found: Vec<String>,
    },
    /// A bad value in the LSOA lookup.
    #[error("{path}, row {row}, column {column}: {found:?} is not {expected}")]
    LookupValue {
        /// The file.
        path: PathBuf,
        /// Data row, 1-based.
        row: u64,
        /// The column as headed in the file.
        column: String,
        /// The value found.
        found: String,
        /// What it should be.
        expected: &'static str,
    },
    /// Rows went missing between reading and cleaning: a bug in cumin, never the data.
    #[error("internal error, please report it: {0}")]
    Ledger(#[from] crate::ledger::LedgerImbalance),
    /// The Parquet file could not be read.
    #[error("{path}: not readable as Parquet: {message}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The reader's message.
        message: String,
    },
}

/// Headers listed in a message: a wrong file can have thousands; the first few show
/// what it is.
const SHOWN: usize = 40;

fn missing_columns_message(
    path: &std::path::Path,
    missing: &[Column],
    found: &[String],
    nearest: &[Vec<String>],
    why: &[Option<String>],
) -> String {
    let mut parts = Vec::new();
    for ((c, near), why) in missing.iter().zip(nearest).zip(why) {
        let alternative = if *c == Column::IdaciDecile {
            ", or LSOA with an LSOA lookup (--lsoa-lookup, or lsoa_lookup in the study config)"
        } else {
            ""
        };
        let why = why
            .as_ref()
            .map_or(String::new(), |w| format!("needed by {w}; "));
        if near.is_empty() {
            parts.push(format!(
                "{c} ({why}with or without the CIN_ prefix{alternative})"
            ));
        } else {
            parts.push(format!(
                "{c} ({why}closest found: {}{alternative})",
                near.join(", ")
            ));
        }
    }
    let mut found_list = found
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if found.len() > SHOWN {
        found_list = format!("{found_list} and {} more", found.len() - SHOWN);
    }
    format!(
        "{}: required column{} missing: {}. The file has: {}. Rename the column in the file or \
         map it in the study config ([columns] {} = \"your_name\").",
        path.display(),
        if missing.len() == 1 { " is" } else { "s are" },
        parts.join("; "),
        found_list,
        missing.first().map_or("LA", |c| c.name()),
    )
}

/// The message for a column written month first, or in both orders.
/// What reading a column empty throughout would do to the estimates.
fn empty_column_reading(column: Column) -> &'static str {
    match column {
        Column::ReferralNfa => {
            "no referral would end with no further action, so every referral would count as \
             assessed"
        }
        Column::ReasonForClosure => {
            "no case would close with no further action (RC8), so every assessed child would \
             count as in need"
        }
        Column::CppStart => {
            "no child would ever start a child protection plan, so the outcome cpp would be \
             estimated as none"
        }
        _ => "every value would be missing",
    }
}

/// Outcomes that do not need `column`, for the example in [`CensusError::EmptyInExtract`].
fn outcomes_without(column: Column) -> &'static str {
    match column {
        Column::CppStart => "referral,assessed,cin",
        _ => "referral,cpp",
    }
}

fn date_order_message(path: &Path, column: Column, t: &SlashTally) -> String {
    let (row, value) = t.first_month_first.clone().unwrap_or_default();
    let fix = format!(
        "cumin reads dates as YYYY-MM-DD or DD/MM/YYYY and does not guess the order. Write \
         the column as YYYY-MM-DD (R: format(as.Date(x, \"%m/%d/%Y\"), \"%Y-%m-%d\"); \
         Python: pandas.to_datetime(x, format=\"%m/%d/%Y\").dt.strftime(\"%Y-%m-%d\")) and \
         run again; a few stray values can be rewritten in the study file \
         ([values.{column}] \"{value}\" = \"YYYY-MM-DD\")"
    );
    let path = path.display();
    match &t.first_day_first {
        None => format!(
            "{path}, column {column}: dates are written month first (MM/DD/YYYY): {} of them \
             can only be read that way, the first at row {row}: {value:?}; read day first, \
             a date such as 05/06/2013 would become 5 June when it means 6 May. {fix}.",
            t.month_first
        ),
        Some((day_row, day_value)) => format!(
            "{path}, column {column}: dates are written in both orders: {} day first (the \
             first at row {day_row}: {day_value:?}) and {} month first (the first at row \
             {row}: {value:?}), so a date such as 05/06/2013 cannot be read safely. {fix}.",
            t.day_first, t.month_first
        ),
    }
}

impl Column {
    /// What a value of this column should look like (for error messages).
    pub fn expectation(self) -> &'static str {
        match self {
            Column::AcadYr => "a census year such as 2012/13, 2012/2013 or 2013",
            Column::La | Column::LaFallback | Column::La09 => "a 3-digit LA code, 100-999",
            Column::Gender => "0, 1, 2 or 9",
            Column::MonthOfBirth => "a month number 1-12",
            Column::YearOfBirth => "a 4-digit year, 1900-2100",
            Column::IdaciDecile => "a decile 1-10",
            Column::NumberOfPreviousCpp => "a whole number",
            c if c.is_date() => "a date, YYYY-MM-DD or DD/MM/YYYY",
            Column::ReferralNfa => "1/0, true/false or Y/N",
            Column::LaChildId => {
                "text: an LA child ID, the only identifier of a child too young to have a PMR"
            }
            _ => "text",
        }
    }
}

/// Shortest run of letters and digits, holding a digit, that a message shows only by its
/// length: pseudonymised identifiers (a PMR has 17 characters, an LA child ID usually 6
/// or more) must not reach the terminal when a column holds them by mistake (a header
/// mapped to the wrong column), while the values a wrong column usually holds (`Camden`,
/// `2013/14`, `1e308`, `20`) stay readable.
const MASKED_RUN: usize = 6;

/// `value` as an error message or note may show it: every run of at least
/// [`MASKED_RUN`] letters and digits that holds a digit is replaced by its length
/// (`P7A827DCACA8B4B39` → `<17 letters/digits>`, `001234567` → `<9 digits>`,
/// `2013-01-01T00:00:00` unchanged).
pub(crate) fn shown_value(value: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(value.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let n = run.chars().count();
        if n >= MASKED_RUN && run.chars().all(|c| c.is_ascii_digit()) {
            let _ = write!(out, "<{n} digits>");
        } else if n >= MASKED_RUN && run.chars().any(|c| c.is_ascii_digit()) {
            let _ = write!(out, "<{n} letters/digits>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in value.chars() {
        if c.is_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// [`shown_value`] of each example.
pub(crate) fn shown_values(values: &[String]) -> Vec<String> {
    values.iter().map(|v| shown_value(v)).collect()
}

#[cfg(test)]
mod shown_tests {
    use super::shown_value;

    #[test]
    fn identifiers_are_shown_by_their_length_only() {
        assert_eq!(shown_value("P7A827DCACA8B4B39"), "<17 letters/digits>");
        assert_eq!(shown_value("001234567"), "<9 digits>");
        assert_eq!(shown_value(" 1234567 "), " <7 digits> ");
        assert_eq!(shown_value("4611686018427387904"), "<19 digits>");
        for kept in [
            "Camden",
            "2013/14",
            "2013-01-01T00:00:00",
            "1e308",
            "20",
            "-5",
            "not known",
            "13/25/2013",
        ] {
            assert_eq!(shown_value(kept), kept);
        }
    }
}
