//! Cleaning notes kept for the analyst: what the terminal says after each file (values
//! that could not be read, columns read as missing or not read at all, slashed dates read
//! day first), as records an analyst keeps (`analyst-only/notes.csv`), so that `--quiet`
//! or a closed terminal loses none of it. A note names a file, a column, a rule, how many
//! rows or values it concerns and what was done; never a row or an identifier.

use std::fmt::Display;
use std::path::Path;

/// One cleaning note.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Note {
    /// The file, as the ledger names it.
    pub file: String,
    /// The column (cumin's name, or the header as found for columns cumin does not read).
    pub column: String,
    /// What happened, as a name: a ledger rule (`birth_month_invalid`,
    /// `date_unreadable`) or a reading of the whole column (`column_not_used`, ...).
    pub rule: &'static str,
    /// Rows or values concerned (per [`Note::rule`]; the file's rows for a whole column).
    pub rows: u64,
    /// What cumin did, in words.
    pub action: String,
    /// A few of the values, as the terminal shows them (a value that could be an
    /// identifier by its length only), `; `-separated; empty when none apply.
    pub examples: String,
}

impl Note {
    /// A note on `column` of the file at `path`.
    pub(crate) fn new(
        path: &Path,
        column: impl Display,
        rule: &'static str,
        rows: u64,
        action: impl Into<String>,
    ) -> Note {
        Note {
            file: path.display().to_string(),
            column: column.to_string(),
            rule,
            rows,
            action: action.into(),
            examples: String::new(),
        }
    }

    /// The note counting `rows` (a whole column's, known once the file is read).
    pub(crate) fn with_rows(self, rows: u64) -> Note {
        Note { rows, ..self }
    }

    /// The note with a few of the values (shown as error messages show them).
    pub(crate) fn with_examples(mut self, values: &[String]) -> Note {
        self.examples = crate::error::shown_values(values).join("; ");
        self
    }
}

/// Rule names of notes on a whole column rather than on values.
pub mod rule {
    /// A header cumin does not know: ignored.
    pub const COLUMN_NOT_USED: &str = "column_not_used";
    /// A header the study file's `[columns]` replaces with another.
    pub const COLUMN_REPLACED_BY_MAP: &str = "column_replaced_by_study_map";
    /// Two headers name one column the run does not need: neither is read.
    pub const COLUMN_NAMED_TWICE: &str = "column_named_twice_not_read";
    /// A Parquet column of the null type, not needed: read as missing.
    pub const NULL_TYPE: &str = "null_type_read_as_missing";
    /// A Parquet column of a nested type, not needed: read as missing.
    pub const NESTED_TYPE: &str = "nested_type_read_as_missing";
    /// A column not required with no valid value in any row: read as missing.
    pub const NO_VALID_VALUE: &str = "no_valid_value_read_as_missing";
    /// Slashed dates none of which shows its order: read day first.
    pub const DAY_FIRST: &str = "slashed_dates_read_day_first";
    /// `PupilMatchingRefAnonymous` empty in every row of a file (text, or the Parquet
    /// null type): its rows are linked by LA child ID alone.
    pub const PMR_EMPTY: &str = "pmr_empty_in_every_row";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_shows_identifier_like_values_by_length_only() {
        let n = Note::new(
            Path::new("a.csv"),
            "MonthOfBirth",
            "birth_month_invalid",
            3,
            "x",
        )
        .with_examples(&["Jan".to_owned(), "P7A827DCACA8B4B39".to_owned()]);
        assert_eq!(n.file, "a.csv");
        assert_eq!(n.examples, "Jan; <17 letters/digits>");
        assert!(!n.examples.contains("P7A8"));
    }
}
