//! The checks after each file and after the whole extract: columns wrong or empty
//! throughout, and the other reason spelling's reading ([`super::read_extract_with_other_reasons`]).

use super::OtherReasons;
use super::ingest;
use crate::error::CensusError;
use crate::ledger::{EntryKind, Ledger};
use crate::normalise::{self, REASON_RULES};
use crate::notes::{Note, rule};
use crate::progress::Progress;
use crate::schema::{Column, ResolvedHeaders};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Required columns that must hold a value in some row of a file: without one, every
/// birth date or referral date would be missing (and every referral imputed), or every
/// row would have no LA, so that LA child IDs, unique only within an LA, would join the
/// children of different LAs who share one (`LA` counts as holding a value where
/// `CIN_CIN_LA`, read where it is empty, does), or every row would lack its LA child ID,
/// the only identifier of a child too young to have a PMR, so that those children's rows
/// would all be quarantined. (A Parquet column of the null type, holding no value either,
/// stops the run as well: [`CensusError::NullColumn`].)
const NEVER_ALL_EMPTY: [Column; 5] = [
    Column::La,
    Column::LaChildId,
    Column::MonthOfBirth,
    Column::YearOfBirth,
    Column::ReferralDate,
];

/// Values of `column` seen in the file: for `LA`, those of its fallback `CIN_CIN_LA` too.
fn seen(counts: &normalise::RuleCounts, column: Column) -> u64 {
    let fallback = match column {
        Column::La => counts.column(Column::LaFallback).seen,
        _ => 0,
    };
    counts.column(column).seen + fallback
}

/// What the reading with the other reason spelling counted, file by file.
#[derive(Default)]
pub(super) struct OtherFiles {
    /// Per file, the counts of the reason's rules.
    rules: Vec<(crate::ledger::FileIndex, [u64; REASON_RULES.len()])>,
    /// What it has seen of the extract.
    pub(super) whole: WholeExtract,
}

impl OtherFiles {
    /// After a file: the checks of the other spelling's reading (`counts` are the
    /// file's, `o.counts` its reasons' under the other spelling), then its counts kept.
    pub(super) fn check(
        &mut self,
        o: &mut ingest::Other,
        counts: &normalise::RuleCounts,
        (path, headers, file): (&Path, &ResolvedHeaders, crate::ledger::FileIndex),
        cleaned: u64,
        required: &BTreeSet<Column>,
        progress: &dyn Progress,
    ) -> Result<(), CensusError> {
        let counts = counts.with_reasons_of(&o.counts);
        // The notes are the main reading's (the same columns, but for the reason's),
        // which prints them next: this reading's are shown only if it stops the run.
        let scratch = &mut Vec::new();
        let held = Held::default();
        let checked = check_wrong_throughout(path, &counts, required, cleaned, (&held, scratch))
            .and_then(|()| normalise::date_order::check(path, &counts, (&held, scratch)));
        if let Err(e) = checked {
            held.show(progress);
            return Err(e);
        }
        self.whole.add(path, headers, &counts, cleaned);
        self.rules
            .push((file, REASON_RULES.map(|r| o.counts.get(r))));
        o.counts = normalise::RuleCounts::default();
        Ok(())
    }

    /// The other reading: its reasons of the rows `kept` by the whole-extract rules
    /// (which do not read the reason for closure, so keep the same rows for both), and
    /// `ledger` with its reason rule counts.
    pub(super) fn finish(
        self,
        o: ingest::Other,
        ledger: &Ledger,
        kept: Option<&[bool]>,
    ) -> OtherReasons {
        let mut reasons = o.reasons;
        if let Some(kept) = kept {
            let mut i = 0;
            reasons.retain(|_| {
                i += 1;
                kept[i - 1]
            });
        }
        let mut ledger = ledger.clone();
        for (file, counts) in self.rules {
            for (rule, n) in REASON_RULES.into_iter().zip(counts) {
                ledger.set(file, EntryKind::Rule, rule.name(), n);
            }
        }
        OtherReasons {
            spelling: o.spelling,
            reasons,
            ledger,
        }
    }
}

/// Progress that keeps the notes it is given, for [`OtherFiles::check`]: the other
/// spelling's reading notes what the main reading notes next (the same columns), so its
/// notes are shown only when its checks stop the run (once each, not twice: session 13).
#[derive(Default)]
struct Held(std::sync::Mutex<Vec<String>>);

impl Held {
    /// Shows the notes kept, in order.
    fn show(self, progress: &dyn Progress) {
        for message in self
            .0
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            progress.note(&message);
        }
    }
}

impl Progress for Held {
    fn begin(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
    fn end(&self) {}
    fn note(&self, message: &str) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(message.to_owned());
    }
}

/// Columns an early census year's file may leave empty but the whole extract may not:
/// read empty everywhere, `ReferralNFA` would make every referral assessed,
/// `ReasonForClosure` every closure one with further action, and `CPPstartDate` no child
/// ever on a plan. (The s47 outcome's either-of-two dates are checked by the study.)
const NEVER_EMPTY_IN_EXTRACT: [Column; 3] = [
    Column::ReferralNfa,
    Column::ReasonForClosure,
    Column::CppStart,
];

/// What the files read so far hold of [`NEVER_EMPTY_IN_EXTRACT`].
#[derive(Default)]
pub(super) struct WholeExtract {
    /// Rows that reached the cleaning of every column.
    cleaned: u64,
    /// Per column: non-empty values seen, and the files that have the column.
    columns: [(u64, Vec<PathBuf>); NEVER_EMPTY_IN_EXTRACT.len()],
}

impl WholeExtract {
    pub(super) fn add(
        &mut self,
        path: &Path,
        headers: &ResolvedHeaders,
        counts: &normalise::RuleCounts,
        cleaned: u64,
    ) {
        self.cleaned += cleaned;
        for (c, (seen, files)) in NEVER_EMPTY_IN_EXTRACT.iter().zip(&mut self.columns) {
            if headers.has(*c) {
                *seen += counts.column(*c).seen;
                files.push(path.to_owned());
            }
        }
    }

    /// Stops the run when a required column of [`NEVER_EMPTY_IN_EXTRACT`] is empty in
    /// every row of every file.
    pub(super) fn check(self, required: &BTreeSet<Column>) -> Result<(), CensusError> {
        for (column, (seen, files)) in NEVER_EMPTY_IN_EXTRACT.into_iter().zip(self.columns) {
            if self.cleaned > 0 && seen == 0 && required.contains(&column) && !files.is_empty() {
                return Err(CensusError::EmptyInExtract {
                    column,
                    files,
                    rows: self.cleaned,
                });
            }
        }
        Ok(())
    }
}

/// Columns no outcome requires but every run reads where a file has them: the closure
/// date ends an episode and finds the transfers the linkage merges. A file whose values
/// of one are all unreadable (e.g. spreadsheet serials) would have every episode read as
/// open, so it stops the run as a required column does; a column left empty does not.
pub(super) const READ_BY_EVERY_RUN: [Column; 1] = [Column::ClosureDate];

/// Stops the run when a required column of the file just read (or one of
/// [`READ_BY_EVERY_RUN`]) is wrong throughout (no
/// valid value in any non-empty row) or, for [`NEVER_ALL_EMPTY`], empty in every one of
/// the `cleaned` rows; notes a column not required that is wrong throughout.
pub(super) fn check_wrong_throughout(
    path: &Path,
    counts: &normalise::RuleCounts,
    required: &BTreeSet<Column>,
    cleaned: u64,
    (progress, notes): (&dyn Progress, &mut Vec<Note>),
) -> Result<(), CensusError> {
    if let Some((column, tally)) = counts
        .wrong_throughout()
        .find(|(c, _)| required.contains(c) || READ_BY_EVERY_RUN.contains(c))
    {
        return Err(CensusError::WrongTypeThroughout {
            path: path.to_owned(),
            column,
            expected: column.expectation(),
            seen: tally.seen,
            examples: crate::error::shown_values(&tally.examples),
        });
    }
    for (column, tally) in counts.wrong_throughout() {
        progress.note(&format!(
            "{}: column {column} holds no valid value ({}) in any of its {} non-empty \
             rows, e.g. {:?}; it is read as missing",
            path.display(),
            column.expectation(),
            tally.seen,
            crate::error::shown_values(&tally.examples)
        ));
        notes.push(
            Note::new(
                path,
                column,
                rule::NO_VALID_VALUE,
                tally.seen,
                format!(
                    "no value is {}: the column is read as missing",
                    column.expectation()
                ),
            )
            .with_examples(&tally.examples),
        );
    }
    if let Some(column) = NEVER_ALL_EMPTY
        .into_iter()
        .find(|c| cleaned > 0 && required.contains(c) && seen(counts, *c) == 0)
    {
        return Err(CensusError::EmptyThroughout {
            path: path.to_owned(),
            column,
            expected: column.expectation(),
            rows: cleaned,
        });
    }
    if cleaned > 0 && seen(counts, Column::Pmr) == 0 {
        progress.note(&format!(
            "{}: column {} is empty in every one of the {cleaned} rows read; they are \
             linked by LA child ID alone (as --id-mode la-only links)",
            path.display(),
            Column::Pmr
        ));
        notes.push(Note::new(
            path,
            Column::Pmr,
            rule::PMR_EMPTY,
            cleaned,
            "no row has a PMR: the file's rows are linked by LA child ID alone (as \
             --id-mode la-only links)",
        ));
    }
    Ok(())
}

/// Notes the columns of a file that are not read: ones cumin does not use, and Parquet
/// columns of the null type or of a nested type that the run does not need (read as
/// missing).
pub(super) fn note_unread_columns(
    path: &Path,
    source: &super::Source,
    progress: &dyn Progress,
) -> Vec<Note> {
    let headers = source.headers();
    let mut notes = Vec::new();
    if !headers.overridden.is_empty() {
        progress.note(&format!(
            "{}: ignoring columns the study config's [columns] replaces with others: {}",
            path.display(),
            headers.overridden.join(", ")
        ));
    }
    for h in &headers.overridden {
        let action = "not read: the study file's [columns] maps another header to its column";
        notes.push(Note::new(path, h, rule::COLUMN_REPLACED_BY_MAP, 0, action));
    }
    for (column, at) in &headers.ambiguous {
        let named: Vec<&str> = at.iter().map(|&i| headers.headers[i].as_str()).collect();
        progress.note(&format!(
            "{}: column {column} is named by {} headers ({}); this run does not read it",
            path.display(),
            at.len(),
            named.join(", ")
        ));
        let action = format!("not read: named by the headers {}", named.join(" and "));
        notes.push(Note::new(path, column, rule::COLUMN_NAMED_TWICE, 0, action));
    }
    if !headers.unknown.is_empty() {
        progress.note(&format!(
            "{}: ignoring columns cumin does not use: {}",
            path.display(),
            headers.unknown.join(", ")
        ));
    }
    for h in &headers.unknown {
        notes.push(Note::new(path, h, rule::COLUMN_NOT_USED, 0, "ignored"));
    }
    for column in source.null_columns() {
        // The PMR's own note says more (as for a text column empty in every row).
        if *column == Column::Pmr {
            continue;
        }
        progress.note(&format!(
            "{}: column {column} has the Parquet type null (no value in any row); it is read \
             as missing",
            path.display()
        ));
        let action = "the Parquet type null (no value in any row): read as missing";
        notes.push(Note::new(path, column, rule::NULL_TYPE, 0, action));
    }
    for (column, found) in source.nested_columns() {
        progress.note(&format!(
            "{}: column {column} has the Parquet type {found}, which holds no single value in \
             a row; it is read as missing",
            path.display()
        ));
        let action = format!("the Parquet type {found}, no single value in a row: read as missing");
        notes.push(Note::new(path, column, rule::NESTED_TYPE, 0, action));
    }
    notes
}

/// The birth columns: a value not read leaves the row's birth date to the child's other
/// rows, and a child none of whose rows gives one is left out of the estimates.
const BIRTH: [(Column, crate::normalise::Rule); 2] = [
    (
        Column::MonthOfBirth,
        crate::normalise::Rule::BirthMonthInvalid,
    ),
    (
        Column::YearOfBirth,
        crate::normalise::Rule::BirthYearInvalid,
    ),
];

/// Notes, for the file just read, each birth column some (not all) of whose values could
/// not be read: how many, a few of them, and what became of them. (A column none of whose
/// values can be read stops the run: [`check_wrong_throughout`].)
pub(super) fn note_unreadable_birth(
    path: &Path,
    counts: &normalise::RuleCounts,
    (progress, notes): (&dyn Progress, &mut Vec<Note>),
) {
    for (column, rule) in BIRTH {
        let tally = counts.column(column);
        if tally.bad == 0 || tally.bad == tally.seen {
            continue;
        }
        progress.note(&format!(
            "{}: column {column}: {} of its {} non-empty values are not {} (e.g. {:?}) and \
             are read as missing (rule:{rule} in the ledger); a child takes its birth month \
             and year from its other rows, and a child with no row giving both is left out \
             of the estimates (excluded:child_without_birth_date)",
            path.display(),
            tally.bad,
            tally.seen,
            column.expectation(),
            crate::error::shown_values(&tally.examples)
        ));
        let action = format!(
            "not {}: read as missing; a child takes its birth month and year from its other \
             rows, and a child with no row giving both is left out \
             (excluded:child_without_birth_date)",
            column.expectation()
        );
        notes.push(
            Note::new(path, column, rule.name(), tally.bad, action).with_examples(&tally.examples),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    /// Red team round 4: a file whose `LA` was empty in every row ran (exit 0, no note),
    /// and its LA child IDs joined the children of different LAs who shared one.
    #[test]
    fn a_file_with_no_la_in_any_row_stops_unless_the_fallback_has_one() {
        let required: BTreeSet<Column> = Column::REQUIRED.iter().copied().collect();
        let mut counts = normalise::RuleCounts::default();
        for c in [
            Column::LaChildId,
            Column::MonthOfBirth,
            Column::YearOfBirth,
            Column::ReferralDate,
        ] {
            counts.seen(c);
        }
        let path = Path::new("ep.csv");
        let e = check_wrong_throughout(path, &counts, &required, 5, (&NoProgress, &mut Vec::new()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("ep.csv: column LA is empty in every one of the 5 rows"),
            "{e}"
        );
        let mut fallback = counts.clone();
        fallback.seen(Column::LaFallback);
        check_wrong_throughout(
            path,
            &fallback,
            &required,
            5,
            (&NoProgress, &mut Vec::new()),
        )
        .unwrap();
        counts.seen(Column::La);
        check_wrong_throughout(path, &counts, &required, 5, (&NoProgress, &mut Vec::new()))
            .unwrap();
        // a file whose rows were all quarantined is left to the check that says so
        let none = normalise::RuleCounts::default();
        check_wrong_throughout(path, &none, &required, 0, (&NoProgress, &mut Vec::new())).unwrap();
    }

    /// Red team round 4: `LAchildID_Anon` empty in every row of a text column ran (the
    /// rows without a PMR quarantined, a third of the demo's), while the same column of
    /// the Parquet null type stopped the run. Both stop now.
    #[test]
    fn a_file_with_no_la_child_id_in_any_row_stops() {
        let required: BTreeSet<Column> = Column::REQUIRED.iter().copied().collect();
        let mut counts = normalise::RuleCounts::default();
        for c in [
            Column::La,
            Column::MonthOfBirth,
            Column::YearOfBirth,
            Column::ReferralDate,
        ] {
            counts.seen(c);
        }
        let path = Path::new("ep.csv");
        let e = check_wrong_throughout(path, &counts, &required, 7, (&NoProgress, &mut Vec::new()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("ep.csv: column LAchildID_Anon is empty in every one of the 7 rows"),
            "{e}"
        );
        assert!(e.contains("too young to have a PMR"), "{e}");
        counts.seen(Column::LaChildId);
        check_wrong_throughout(path, &counts, &required, 7, (&NoProgress, &mut Vec::new()))
            .unwrap();
    }

    /// Red team round 4: a third of the birth months written `Jan` ran with no note
    /// (495 values missing, 363 rows excluded later); dates had one.
    #[test]
    fn some_unreadable_birth_months_are_noted_with_their_count() {
        struct Notes(std::sync::Mutex<Vec<String>>);
        impl Progress for Notes {
            fn begin(&self, _: &str, _: Option<u64>) {}
            fn advance(&self, _: u64) {}
            fn end(&self) {}
            fn note(&self, message: &str) {
                self.0.lock().unwrap().push(message.to_owned());
            }
        }
        let notes = Notes(std::sync::Mutex::default());
        let mut counts = normalise::RuleCounts::default();
        for v in ["Jan", "3", "Feb", "13"] {
            normalise::field::bounded_int(
                normalise::Raw::Text(v),
                Column::MonthOfBirth,
                1..=12,
                normalise::Rule::BirthMonthInvalid,
                &mut counts,
            );
        }
        note_unreadable_birth(Path::new("ep.csv"), &counts, (&notes, &mut Vec::new()));
        let notes = notes.0.into_inner().unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        for want in [
            "ep.csv: column MonthOfBirth: 3 of its 4 non-empty values",
            "a month number 1-12",
            "[\"Jan\", \"Feb\", \"13\"]",
            "rule:birth_month_invalid",
            "excluded:child_without_birth_date",
        ] {
            assert!(notes[0].contains(want), "{want:?} not in {}", notes[0]);
        }
        // every value unreadable: the check that stops the run says so, not this note
        let mut all = normalise::RuleCounts::default();
        all.seen(Column::YearOfBirth);
        all.bad(Column::YearOfBirth, normalise::Raw::Text("x"));
        let quiet = Notes(std::sync::Mutex::default());
        note_unreadable_birth(Path::new("ep.csv"), &all, (&quiet, &mut Vec::new()));
        assert!(quiet.0.into_inner().unwrap().is_empty());
    }
}
