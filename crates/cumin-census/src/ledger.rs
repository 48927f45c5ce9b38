//! The row ledger: where every input row went.
//!
//! Each input row ends in exactly one place: used, quarantined at ingest (unusable, with
//! a reason), or excluded by an analysis rule (with a reason). Cleaning rules that
//! *change* a value are counted beside, without moving the row. [`Ledger::check`]
//! asserts `read = used + quarantined + excluded` for every file.

use std::collections::BTreeMap;
use std::fmt;

/// What a ledger line counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntryKind {
    /// Rows read from the file.
    Read,
    /// Rows that reached the analysis.
    Used,
    /// Rows unusable at ingest (written to the quarantine file).
    Quarantined,
    /// Rows dropped by an analysis rule (age, window, identifier mode...).
    Excluded,
    /// Rows in which a cleaning rule changed a value (rows stay where they are).
    Rule,
}

impl EntryKind {
    fn prefix(self) -> &'static str {
        match self {
            EntryKind::Read => "read",
            EntryKind::Used => "used",
            EntryKind::Quarantined => "quarantined",
            EntryKind::Excluded => "excluded",
            EntryKind::Rule => "rule",
        }
    }
}

/// One ledger key: a kind and, except for read/used, a reason or rule name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    /// What is counted.
    pub kind: EntryKind,
    /// Reason or rule name (`""` for read and used).
    pub reason: &'static str,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reason.is_empty() {
            f.write_str(self.kind.prefix())
        } else {
            write!(f, "{}:{}", self.kind.prefix(), self.reason)
        }
    }
}

/// Index of an input file in a run (files are numbered in the order given).
pub type FileIndex = u16;

/// A row quarantined at ingest: where it was and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuarantinedRow {
    /// Input file.
    pub file: FileIndex,
    /// Data row number in the file, 1-based, header not counted.
    pub row: u64,
    /// Why it could not be used.
    pub reason: &'static str,
    /// The offending value or a short explanation.
    pub detail: String,
}

/// A ledger imbalance: a bug, never a data problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "ledger does not balance for {file}: {read} rows read but {used} used + {quarantined} \
     quarantined + {excluded} excluded"
)]
pub struct LedgerImbalance {
    /// The file.
    pub file: String,
    /// Rows read.
    pub read: u64,
    /// Rows used.
    pub used: u64,
    /// Rows quarantined.
    pub quarantined: u64,
    /// Rows excluded.
    pub excluded: u64,
}

/// Per-file counts of rows read, used, quarantined, excluded, and changed by each rule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    files: Vec<String>,
    counts: BTreeMap<(FileIndex, Entry), u64>,
    quarantine: Vec<QuarantinedRow>,
    /// Values set missing because they could not be read (the row is used): listed in
    /// the quarantine file beside the rows, counted by their rule.
    set_missing: Vec<QuarantinedRow>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Registers an input file (by its display name) and returns its index.
    pub fn add_file(&mut self, name: impl Into<String>) -> FileIndex {
        self.files.push(name.into());
        FileIndex::try_from(self.files.len() - 1).expect("fewer than 65536 input files")
    }

    /// Display names of the files, by index.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Adds `n` to an entry.
    pub fn add(&mut self, file: FileIndex, kind: EntryKind, reason: &'static str, n: u64) {
        if n > 0 {
            *self
                .counts
                .entry((file, Entry { kind, reason }))
                .or_insert(0) += n;
        }
    }

    /// Sets an entry to `n` (no entry when 0, as [`Ledger::add`] leaves it).
    pub(crate) fn set(&mut self, file: FileIndex, kind: EntryKind, reason: &'static str, n: u64) {
        let key = (file, Entry { kind, reason });
        if n > 0 {
            self.counts.insert(key, n);
        } else {
            self.counts.remove(&key);
        }
    }

    /// Records a quarantined row (counted and kept for the quarantine file).
    pub fn quarantine(&mut self, row: QuarantinedRow) {
        self.add(row.file, EntryKind::Quarantined, row.reason, 1);
        self.quarantine.push(row);
    }

    /// The quarantined rows, in file and row order.
    pub fn quarantined_rows(&self) -> &[QuarantinedRow] {
        &self.quarantine
    }

    /// Records a value that could not be read and became missing (its row stays where it
    /// is; its rule counts it): listed in the quarantine file with its row.
    pub fn set_missing(&mut self, value: QuarantinedRow) {
        self.set_missing.push(value);
    }

    /// The values set missing because unreadable, in file and row order.
    pub fn values_set_missing(&self) -> &[QuarantinedRow] {
        &self.set_missing
    }

    /// Every line of the quarantine file: the quarantined rows and the unreadable values,
    /// in file and row order (a row's own quarantine first).
    pub fn quarantine_lines(&self) -> Vec<&QuarantinedRow> {
        let mut lines: Vec<&QuarantinedRow> =
            self.quarantine.iter().chain(&self.set_missing).collect();
        lines.sort_by_key(|q| (q.file, q.row));
        lines
    }

    /// The count of one entry.
    pub fn get(&self, file: FileIndex, kind: EntryKind, reason: &'static str) -> u64 {
        self.counts
            .get(&(file, Entry { kind, reason }))
            .copied()
            .unwrap_or(0)
    }

    /// Total of one kind across reasons, for one file.
    pub fn total(&self, file: FileIndex, kind: EntryKind) -> u64 {
        self.counts
            .iter()
            .filter(|((f, e), _)| *f == file && e.kind == kind)
            .map(|(_, n)| n)
            .sum()
    }

    /// Total of one entry over all files.
    pub fn total_all(&self, kind: EntryKind, reason: &'static str) -> u64 {
        self.counts
            .iter()
            .filter(|((_, e), _)| e.kind == kind && e.reason == reason)
            .map(|(_, n)| n)
            .sum()
    }

    /// Every line: file name, entry, count — in file then entry order.
    pub fn lines(&self) -> impl Iterator<Item = (&str, &Entry, u64)> {
        self.counts
            .iter()
            .map(|((f, e), n)| (self.files[usize::from(*f)].as_str(), e, *n))
    }

    /// Merges another ledger's counts for the same files (same indices) into this one.
    pub fn merge(&mut self, other: Ledger) {
        for ((f, e), n) in other.counts {
            *self.counts.entry((f, e)).or_insert(0) += n;
        }
        self.quarantine.extend(other.quarantine);
        self.quarantine.sort_by_key(|q| (q.file, q.row));
        self.set_missing.extend(other.set_missing);
        self.set_missing.sort_by_key(|q| (q.file, q.row));
    }

    /// Checks `read = used + quarantined + excluded` for every file.
    pub fn check(&self) -> Result<(), LedgerImbalance> {
        self.check_with_pending(&[])
    }

    /// Checks `read = used + quarantined + excluded + pending` for every file, where
    /// `pending[f]` rows of file `f` are still on their way (kept by ingest, not yet given
    /// a final place by the analysis); missing entries count as zero.
    pub fn check_with_pending(&self, pending: &[u64]) -> Result<(), LedgerImbalance> {
        for (i, name) in self.files.iter().enumerate() {
            let f = i as FileIndex;
            let read = self.total(f, EntryKind::Read);
            let used = self.total(f, EntryKind::Used) + pending.get(i).copied().unwrap_or(0);
            let quarantined = self.total(f, EntryKind::Quarantined);
            let excluded = self.total(f, EntryKind::Excluded);
            if read != used + quarantined + excluded {
                return Err(LedgerImbalance {
                    file: name.clone(),
                    read,
                    used,
                    quarantined,
                    excluded,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances_and_reports_imbalance() {
        let mut l = Ledger::new();
        let f = l.add_file("a.csv");
        l.add(f, EntryKind::Read, "", 5);
        l.quarantine(QuarantinedRow {
            file: f,
            row: 3,
            reason: "no_identifier",
            detail: String::new(),
        });
        l.add(f, EntryKind::Excluded, "age_18_or_over", 1);
        l.add(f, EntryKind::Rule, "closure_before_referral", 2);
        l.add(f, EntryKind::Used, "", 2);
        let err = l.check().unwrap_err();
        assert_eq!(
            (err.read, err.used, err.quarantined, err.excluded),
            (5, 2, 1, 1)
        );
        l.add(f, EntryKind::Used, "", 1);
        l.check().unwrap();
        let lines: Vec<String> = l.lines().map(|(f, e, n)| format!("{f},{e},{n}")).collect();
        assert_eq!(
            lines,
            [
                "a.csv,read,5",
                "a.csv,used,3",
                "a.csv,quarantined:no_identifier,1",
                "a.csv,excluded:age_18_or_over,1",
                "a.csv,rule:closure_before_referral,2"
            ]
        );
    }
}
