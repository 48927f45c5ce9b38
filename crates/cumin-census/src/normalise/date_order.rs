//! The order of slashed dates, told per file and column from the values themselves.
//!
//! NPD extracts write dates `YYYY-MM-DD` or `DD/MM/YYYY`. A file exported on a machine
//! set up for the United States writes `MM/DD/YYYY`, and a date such as `05/06/2013`
//! then reads as 5 June when it means 6 May: silently wrong, not unreadable. So every
//! slashed date is tallied by the orders it allows (`25/12/2013` only day first,
//! `12/25/2013` only month first), and after each file a column with any month-first
//! date stops the run, naming the file, column, rows and the fix; cumin never guesses
//! the order. A column whose slashed dates all allow both orders is read day first, with
//! a note.

use super::counts::RuleCounts;
use crate::error::CensusError;
use crate::notes::{Note, rule};
use crate::progress::Progress;
use crate::schema::Column;
use std::path::Path;

/// Unreadable dates named in the note after each file.
const NAMED: usize = 5;

/// Checks the order of every date column of the file just read (`counts` holds its
/// tallies) and notes its unreadable dates with their rows.
pub fn check(
    path: &Path,
    counts: &RuleCounts,
    (progress, notes): (&dyn Progress, &mut Vec<Note>),
) -> Result<(), CensusError> {
    for &column in Column::ALL {
        let tally = counts.slashes(column);
        if tally.month_first > 0 {
            return Err(CensusError::DateOrder {
                path: path.to_owned(),
                column,
                tally: Box::new(tally.clone()),
            });
        }
        if tally.either > 0 && tally.day_first == 0 {
            progress.note(&format!(
                "{}: column {column}: {} slashed date{}, none showing whether the day or \
                 the month comes first (both 12 or below); read day first (DD/MM/YYYY, the \
                 NPD's order)",
                path.display(),
                tally.either,
                if tally.either == 1 { "" } else { "s" }
            ));
            let action = "no slashed date shows whether the day or the month comes first \
                          (both 12 or below): read day first (DD/MM/YYYY, the NPD's order)";
            notes.push(Note::new(
                path,
                column,
                rule::DAY_FIRST,
                tally.either,
                action,
            ));
        }
    }
    let unreadable = counts.unreadable_dates();
    if !unreadable.is_empty() {
        let total: u64 = counts.get(super::Rule::DateUnreadable);
        let named: Vec<String> = unreadable
            .iter()
            .take(NAMED)
            .map(|(row, column, value)| format!("row {row} {column} {value:?}"))
            .collect();
        let more = if total > named.len() as u64 {
            ", …"
        } else {
            ""
        };
        progress.note(&format!(
            "{}: {total} date{} could not be read and {} missing ({}{more}); every one is \
             listed with its row in quarantine.csv (a run's is analyst-only/quarantine.csv; \
             the ledger counts them as rule:date_unreadable)",
            path.display(),
            if total == 1 { "" } else { "s" },
            if total == 1 { "is" } else { "are" },
            named.join(", ")
        ));
        for &column in Column::ALL {
            let n = counts.unreadable_in(column);
            if n == 0 {
                continue;
            }
            let values: Vec<String> = unreadable
                .iter()
                .filter(|(_, c, _)| *c == column)
                .take(NAMED)
                .map(|(_, _, v)| v.clone())
                .collect();
            let action = "not a date (YYYY-MM-DD or DD/MM/YYYY): read as missing; each is \
                          listed with its row in quarantine.csv (up to 1,000 per column)";
            let note = Note::new(path, column, super::Rule::DateUnreadable.name(), n, action);
            notes.push(note.with_examples(&values));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::SlashOrder;
    use crate::progress::NoProgress;

    fn counts(values: &[&str]) -> RuleCounts {
        let mut c = RuleCounts::default();
        for (i, v) in values.iter().enumerate() {
            c.at_row(i as u64 + 1);
            if let Some(o) = SlashOrder::of(v) {
                c.slash(Column::CppStart, o, v);
            }
        }
        c
    }

    #[test]
    fn day_first_and_ambiguous_columns_pass() {
        let path = Path::new("a.csv");
        let mut notes = Vec::new();
        let day_first = counts(&["25/12/2013", "05/06/2013"]);
        check(path, &day_first, (&NoProgress, &mut notes)).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        let either = counts(&["05/06/2013", "2013-12-25"]);
        check(path, &either, (&NoProgress, &mut notes)).unwrap();
        // the note the terminal shows, kept for analyst-only/notes.csv
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(
            (notes[0].column.as_str(), notes[0].rule, notes[0].rows),
            ("CPPstartDate", "slashed_dates_read_day_first", 1)
        );
    }

    #[test]
    fn a_month_first_date_stops_the_file() {
        let e = check(
            Path::new("a.csv"),
            &counts(&["05/06/2013", "12/25/2013", "1/13/2014"]),
            (&NoProgress, &mut Vec::new()),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("a.csv, column CPPstartDate"), "{e}");
        assert!(e.contains("month first"), "{e}");
        assert!(e.contains("2 of them"), "{e}");
        assert!(e.contains("row 2: \"12/25/2013\""), "{e}");
        let e = check(
            Path::new("a.csv"),
            &counts(&["25/12/2013", "12/25/2013"]),
            (&NoProgress, &mut Vec::new()),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("both orders"), "{e}");
        assert!(e.contains("row 1: \"25/12/2013\""), "{e}");
        assert!(e.contains("row 2: \"12/25/2013\""), "{e}");
    }
}
