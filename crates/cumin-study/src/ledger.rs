//! The ledger's last entries: every row read that passed ingest gets its final place
//! (used, or excluded with the reason), and the totals the terminal shows.

use crate::error::StudyError;
use cumin_census::{EntryKind, Extract};

/// Rows read, used, quarantined and excluded over all files.
pub fn totals(extract: &Extract) -> [u64; 4] {
    let ledger = &extract.ledger;
    let total = |k| {
        (0..ledger.files().len())
            .map(|f| ledger.total(f as u16, k))
            .sum::<u64>()
    };
    [
        total(EntryKind::Read),
        total(EntryKind::Used),
        total(EntryKind::Quarantined),
        total(EntryKind::Excluded),
    ]
}

/// Gives every row read a final place in the ledger, `reason(i)` being the reason row
/// `i` of the episode table was excluded (`""`: used), and checks the ledger balances.
pub fn account_rows(
    extract: &mut Extract,
    reason: impl Fn(usize) -> &'static str,
) -> Result<(), StudyError> {
    let mut tally: std::collections::BTreeMap<(u16, &'static str), u64> =
        std::collections::BTreeMap::new();
    for i in 0..extract.episodes.len() {
        *tally
            .entry((extract.episodes.file[i], reason(i)))
            .or_insert(0) += 1;
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
