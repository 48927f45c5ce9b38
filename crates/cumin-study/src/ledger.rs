//! The ledger's last entries: every row read that passed ingest gets its final place
//! (used, or excluded with the reason), and the totals the terminal shows.

use crate::error::StudyError;
use cumin_census::{CensusError, EntryKind, Extract};
use rayon::prelude::*;

/// Exclusions of rows whose child has no usable birth date: not a choice of the
/// analysis (as the window or the identifier mode are) but a fault of the data, so the
/// terminal counts them apart from the rows excluded by design.
pub const WITHOUT_BIRTH_DATE: [&str; 2] = ["child_without_birth_date", "jay_no_birth_date"];

/// Rows read, used, quarantined, excluded by design and excluded for want of a birth
/// date (a child with no row giving a month and year of birth) over all files:
/// `read = used + quarantined + excluded by design + without a birth date`.
pub fn totals(extract: &Extract) -> [u64; 5] {
    let ledger = &extract.ledger;
    let total = |k| {
        (0..ledger.files().len())
            .map(|f| ledger.total(f as u16, k))
            .sum::<u64>()
    };
    let no_birth: u64 = WITHOUT_BIRTH_DATE
        .iter()
        .map(|r| ledger.total_all(EntryKind::Excluded, r))
        .sum();
    [
        total(EntryKind::Read),
        total(EntryKind::Used),
        total(EntryKind::Quarantined),
        total(EntryKind::Excluded) - no_birth,
        no_birth,
    ]
}

/// Stops a run whose identifier mode counts children by PMR (`pmr-only`: every child;
/// `pmr-school-age`: every child from age 5; the Jay presets' main analysis) when no row
/// of the extract has one: the run went on and estimated no child ever referred (or none
/// from 5). Under `combined` and `la-only` such an extract is linked by LA child ID, with
/// the reader's note (`pmr_empty_in_every_row`).
pub fn check_pmrs_for_mode(mode: cumin_link::IdMode, extract: &Extract) -> Result<(), StudyError> {
    let lost = match mode {
        cumin_link::IdMode::PmrOnly => "every child",
        cumin_link::IdMode::PmrSchoolAge => "every child from age 5",
        cumin_link::IdMode::Combined | cumin_link::IdMode::LaOnly => return Ok(()),
    };
    let pmr = &extract.episodes.pmr;
    if pmr.is_empty() || pmr.iter().any(Option::is_some) {
        return Ok(());
    }
    let rows = totals(extract)[0];
    Err(StudyError::NoPmrForMode { mode, lost, rows })
}

/// The reader's error, naming the identifier `mode` (`--id-mode pmr-only`, or a preset's
/// modes) when it is the stop on LA child IDs that cannot be read: a user who chose a mode
/// that links by PMR is told why the LA child ID still stops the run.
pub fn with_id_mode(e: CensusError, mode: impl FnOnce() -> String) -> StudyError {
    use cumin_census::{CensusError as E, Column};
    let column = match &e {
        E::EmptyThroughout { column, .. }
        | E::WrongTypeThroughout { column, .. }
        | E::NullColumn { column, .. }
        | E::NestedColumn { column, .. } => Some(*column),
        _ => None,
    };
    if column == Some(Column::LaChildId) {
        StudyError::LaChildIdUnreadable {
            mode: mode(),
            source: Box::new(e),
        }
    } else {
        StudyError::Census(e)
    }
}

/// Quarantine reasons whose detail describes the line, never a value of it.
const STRUCTURAL: [&str; 3] = ["wrong_field_count", "unclosed_quote", "blank_line"];

/// Stops the run when a file had rows and every one was quarantined: the file cannot be
/// used at all (a trailing delimiter on every data line but not the header, say), and
/// without this check the run went on with the rows of the other files, or stopped with a
/// message about the census years that an empty extract implies.
pub fn check_files_usable(extract: &Extract) -> Result<(), StudyError> {
    let ledger = &extract.ledger;
    for (f, name) in ledger.files().iter().enumerate() {
        let f = f as u16;
        let read = ledger.total(f, EntryKind::Read);
        if read == 0 || ledger.total(f, EntryKind::Quarantined) < read {
            continue;
        }
        let mut reasons: Vec<(u64, &str)> = ledger
            .lines()
            .filter(|(file, e, _)| *file == name && e.kind == EntryKind::Quarantined)
            .map(|(_, e, n)| (n, e.reason))
            .collect();
        reasons.sort_by(|a, b| b.cmp(a));
        let first = ledger
            .quarantined_rows()
            .iter()
            .find(|q| q.file == f && STRUCTURAL.contains(&q.reason))
            .map_or(String::new(), |q| {
                format!("; the first, row {}: {}", q.row, q.detail)
            });
        return Err(StudyError::NoUsableRow {
            file: name.clone(),
            rows: read,
            reasons: reasons
                .iter()
                .map(|(n, r)| format!("{r} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            first,
        });
    }
    Ok(())
}

/// Gives every row read a final place in the ledger, `reason(i)` being the reason row
/// `i` of the episode table was excluded (`""`: used), and checks the ledger balances.
pub fn account_rows(
    extract: &mut Extract,
    reason: impl Fn(usize) -> &'static str + Sync,
) -> Result<(), StudyError> {
    let files = &extract.episodes.file;
    // Per thread, a short list of (file, reason) counts (a handful of distinct reasons);
    // then summed by key in order.
    let lists: Vec<Vec<((u16, &'static str), u64)>> = (0..files.len())
        .into_par_iter()
        .fold(Vec::new, |mut list: Vec<((u16, &'static str), u64)>, i| {
            let key = (files[i], reason(i));
            match list.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += 1,
                None => list.push((key, 1)),
            }
            list
        })
        .collect();
    let mut tally: std::collections::BTreeMap<(u16, &'static str), u64> =
        std::collections::BTreeMap::new();
    for (key, n) in lists.into_iter().flatten() {
        *tally.entry(key).or_insert(0) += n;
    }
    for ((file, reason), n) in tally {
        if reason.is_empty() {
            extract.ledger.add(file, EntryKind::Used, "", n);
        } else {
            extract.ledger.add(file, EntryKind::Excluded, reason, n);
        }
    }
    extract.ledger.check()?;
    Ok(())
}
