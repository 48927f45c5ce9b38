//! Tallies kept while rows are cleaned: how often each rule fired, per column how many
//! values were present and how many were not of the column's type, which order the
//! slashed dates of each date column allow, and where the unreadable dates are.

use super::Raw;
use super::rule::Rule;
use crate::date::{SlashOrder, SlashTally};
use crate::ledger::{EntryKind, FileIndex, Ledger, QuarantinedRow};
use crate::schema::Column;

/// How many values of a column were present, and how many were of the wrong type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnTally {
    /// Non-empty values seen.
    pub seen: u64,
    /// Values that were not of the column's type.
    pub bad: u64,
    /// The first few bad values, in row order, for error messages.
    pub examples: Vec<String>,
}

/// A date that could not be read: (data row, column, the value as written).
pub type UnreadableDate = (u64, Column, String);

/// Unreadable dates listed per column and file in `quarantine.csv`; the ledger counts
/// them all.
pub const UNREADABLE_LISTED: usize = 1000;

/// Bad values kept per column for the error message.
const EXAMPLES: usize = 3;
/// Longest example kept, in characters: a wrong column can hold long text.
const EXAMPLE_CHARS: usize = 40;

/// Counts of rule applications and per-column type tallies, for rows of one file.
///
/// Arrays indexed by [`Rule`] and [`Column`], so counting in the row loop is an add.
#[derive(Clone, Debug)]
pub struct RuleCounts {
    rules: [u64; Rule::COUNT],
    value_mapped: [u64; Column::COUNT],
    columns: Vec<ColumnTally>,
    slashes: Vec<SlashTally>,
    unreadable: Vec<UnreadableDate>,
    listed: [usize; Column::COUNT],
    /// Unreadable dates per column, listed or not.
    unreadable_total: [u64; Column::COUNT],
    /// The data row being cleaned (1-based), for the rows of unreadable values.
    row: u64,
}

impl Default for RuleCounts {
    fn default() -> RuleCounts {
        RuleCounts {
            rules: [0; Rule::COUNT],
            value_mapped: [0; Column::COUNT],
            columns: vec![ColumnTally::default(); Column::COUNT],
            slashes: vec![SlashTally::default(); Column::COUNT],
            unreadable: Vec::new(),
            listed: [0; Column::COUNT],
            unreadable_total: [0; Column::COUNT],
            row: 0,
        }
    }
}

impl RuleCounts {
    /// The values counted next are those of data row `row` (1-based).
    pub fn at_row(&mut self, row: u64) {
        self.row = row;
    }

    /// Counts a slashed date of `column` by the orders it allows.
    pub fn slash(&mut self, column: Column, order: SlashOrder, value: &str) {
        let t = &mut self.slashes[column.index()];
        let first = match order {
            SlashOrder::DayFirst => {
                t.day_first += 1;
                &mut t.first_day_first
            }
            SlashOrder::MonthFirst => {
                t.month_first += 1;
                &mut t.first_month_first
            }
            SlashOrder::Either => {
                t.either += 1;
                return;
            }
            SlashOrder::Neither => return,
        };
        if first.is_none() {
            *first = Some((self.row, value.chars().take(EXAMPLE_CHARS).collect()));
        }
    }

    /// Records an unreadable date of `column` at the current row.
    pub fn unreadable_date(&mut self, column: Column, value: Raw<'_>) {
        self.unreadable_total[column.index()] += 1;
        let listed = &mut self.listed[column.index()];
        if *listed < UNREADABLE_LISTED {
            *listed += 1;
            self.unreadable
                .push((self.row, column, example(value, DETAIL_CHARS)));
        }
    }

    /// Unreadable dates of `column`, listed or not.
    pub fn unreadable_in(&self, column: Column) -> u64 {
        self.unreadable_total[column.index()]
    }

    /// The slashed-date tally of one column.
    pub fn slashes(&self, column: Column) -> &SlashTally {
        &self.slashes[column.index()]
    }

    /// The unreadable dates listed so far, in row order.
    pub fn unreadable_dates(&self) -> &[UnreadableDate] {
        &self.unreadable
    }

    /// Counts one application of `rule`.
    pub fn hit(&mut self, rule: Rule) {
        self.rules[rule.index()] += 1;
    }

    /// Counts `n` applications of `rule`.
    pub fn hit_n(&mut self, rule: Rule, n: u64) {
        self.rules[rule.index()] += n;
    }

    /// Counts a value of `column` replaced through the study's value map.
    pub fn value_mapped(&mut self, column: Column) {
        self.value_mapped[column.index()] += 1;
    }

    /// Counts a non-empty value of `column`.
    pub fn seen(&mut self, column: Column) {
        self.columns[column.index()].seen += 1;
    }

    /// Counts a value of `column` that is not of its type.
    pub fn bad(&mut self, column: Column, value: Raw<'_>) {
        let t = &mut self.columns[column.index()];
        t.bad += 1;
        if t.examples.len() < EXAMPLES {
            t.examples.push(example(value, EXAMPLE_CHARS));
        }
    }

    /// Adds `other`'s counts; `other`'s rows come after this one's (examples stay in row
    /// order, so merging chunks in order gives the same result as one pass).
    pub fn merge(&mut self, other: &RuleCounts) {
        for (a, b) in self.rules.iter_mut().zip(&other.rules) {
            *a += b;
        }
        for (a, b) in self.value_mapped.iter_mut().zip(&other.value_mapped) {
            *a += b;
        }
        for (a, b) in self.columns.iter_mut().zip(&other.columns) {
            a.seen += b.seen;
            a.bad += b.bad;
            let room = EXAMPLES.saturating_sub(a.examples.len());
            a.examples.extend(b.examples.iter().take(room).cloned());
        }
        for (a, b) in self.slashes.iter_mut().zip(&other.slashes) {
            a.add(b);
        }
        for (a, b) in self
            .unreadable_total
            .iter_mut()
            .zip(&other.unreadable_total)
        {
            *a += b;
        }
        for entry in &other.unreadable {
            let listed = &mut self.listed[entry.1.index()];
            if *listed < UNREADABLE_LISTED {
                *listed += 1;
                self.unreadable.push(entry.clone());
            }
        }
    }

    /// Moves the rule counts and the unreadable dates into the ledger for `file` (column
    /// tallies stay).
    pub fn flush(&mut self, ledger: &mut Ledger, file: FileIndex) {
        for (row, column, value) in std::mem::take(&mut self.unreadable) {
            ledger.set_missing(QuarantinedRow {
                file,
                row,
                reason: Rule::DateUnreadable.name(),
                detail: format!("{column} = {value:?}"),
            });
        }
        self.listed = [0; Column::COUNT];
        for rule in Rule::ALL {
            let n = std::mem::take(&mut self.rules[rule.index()]);
            ledger.add(file, EntryKind::Rule, rule.name(), n);
        }
        for column in Column::ALL {
            let n = std::mem::take(&mut self.value_mapped[column.index()]);
            ledger.add(file, EntryKind::Rule, column.value_map_rule(), n);
        }
    }

    /// The count for one rule.
    pub fn get(&self, rule: Rule) -> u64 {
        self.rules[rule.index()]
    }

    /// The count of values of `column` replaced through the value map.
    pub fn mapped(&self, column: Column) -> u64 {
        self.value_mapped[column.index()]
    }

    /// The tally of one column.
    pub fn column(&self, column: Column) -> &ColumnTally {
        &self.columns[column.index()]
    }

    /// The first column every one of whose non-empty values was bad (of the wrong type
    /// or out of range).
    pub fn wrong_type_throughout(&self) -> Option<(Column, &ColumnTally)> {
        self.wrong_throughout().next()
    }

    /// Every column each of whose non-empty values was bad, in [`Column::ALL`] order.
    pub fn wrong_throughout(&self) -> impl Iterator<Item = (Column, &ColumnTally)> {
        Column::ALL
            .iter()
            .map(|c| (*c, &self.columns[c.index()]))
            .filter(|(_, t)| t.seen > 0 && t.bad == t.seen)
    }
}

/// What cleaning one value counted, when that is only additions that do not depend on
/// the row: the value's column seen, a slashed date readable either way, and rule
/// applications. [`RuleCounts::effect`] takes it from the counts of one value cleaned on
/// its own, [`RuleCounts::apply`] adds it again for each row holding the value, so a
/// dictionary value is cleaned once, not once a row. A value whose counting needs the row
/// (a bad value's example, the first day- or month-first date, an unreadable date) has no
/// effect and is cleaned row by row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Effect {
    seen: bool,
    either: bool,
    rules: [Option<Rule>; 2],
}

impl RuleCounts {
    /// The counts of one value of `column` cleaned into fresh counts, as an [`Effect`];
    /// `None` when they hold anything else.
    pub(crate) fn effect(&self, column: Column) -> Option<Effect> {
        let mut effect = Effect {
            seen: false,
            either: false,
            rules: [None; 2],
        };
        let mut slot = 0;
        for rule in Rule::ALL {
            match self.rules[rule.index()] {
                0 => {}
                1 if slot < effect.rules.len() => {
                    effect.rules[slot] = Some(*rule);
                    slot += 1;
                }
                _ => return None,
            }
        }
        if !self.unreadable.is_empty() || self.value_mapped.iter().any(|n| *n != 0) {
            return None;
        }
        for c in Column::ALL {
            let t = &self.columns[c.index()];
            let s = &self.slashes[c.index()];
            let (seen, either) = (t.seen, s.either);
            if t.bad != 0 || s.day_first != 0 || s.month_first != 0 {
                return None;
            }
            if *c == column {
                if seen > 1 || either > 1 {
                    return None;
                }
                effect.seen = seen == 1;
                effect.either = either == 1;
            } else if seen != 0 || either != 0 {
                return None;
            }
        }
        Some(effect)
    }

    /// Back to no counts, keeping the memory.
    pub(crate) fn reset(&mut self) {
        self.rules = [0; Rule::COUNT];
        self.value_mapped = [0; Column::COUNT];
        for t in &mut self.columns {
            t.seen = 0;
            t.bad = 0;
            t.examples.clear();
        }
        for s in &mut self.slashes {
            *s = SlashTally::default();
        }
        self.unreadable.clear();
        self.listed = [0; Column::COUNT];
        self.unreadable_total = [0; Column::COUNT];
        self.row = 0;
    }

    /// These counts with the reason for closure's own (its rules and its column's tally)
    /// taken from `other`, which counted the same rows' reasons read with another
    /// spelling: the counts of reading them with that spelling.
    pub(crate) fn with_reasons_of(&self, other: &RuleCounts) -> RuleCounts {
        let mut counts = self.clone();
        for rule in REASON_RULES {
            counts.rules[rule.index()] = other.rules[rule.index()];
        }
        let c = Column::ReasonForClosure.index();
        counts.columns[c] = other.columns[c].clone();
        counts
    }

    /// Counts `effect` once more for a value of `column`.
    #[cfg(test)]
    pub(crate) fn apply(&mut self, column: Column, effect: Effect) {
        self.apply_n(column, effect, 1);
    }

    /// Counts `effect` `n` times more for values of `column` (the values of a chunk of
    /// rows tallied by effect: `read/per_value.rs`'s `Tally`).
    pub(crate) fn apply_n(&mut self, column: Column, effect: Effect, n: u64) {
        if effect.seen {
            self.columns[column.index()].seen += n;
        }
        if effect.either {
            self.slashes[column.index()].either += n;
        }
        for rule in effect.rules.into_iter().flatten() {
            self.rules[rule.index()] += n;
        }
    }
}

/// The rules only the reason for closure's reading counts.
pub(crate) const REASON_RULES: [Rule; 3] = [
    Rule::ReasonLegacyRc8,
    Rule::ReasonRespelled,
    Rule::ReasonUnknown,
];

/// Longest value kept in `quarantine.csv`.
const DETAIL_CHARS: usize = 200;

/// A value as a message or `quarantine.csv` shows it, cut to `chars` characters.
fn example(value: Raw<'_>, chars: usize) -> String {
    value.shown().chars().take(chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_in_order_equals_one_pass() {
        let values = ["a", "b", "c", "d", "e"];
        let mut one = RuleCounts::default();
        for v in values {
            one.seen(Column::Gender);
            one.bad(Column::Gender, Raw::Text(v));
            one.hit(Rule::GenderInvalid);
        }
        let mut left = RuleCounts::default();
        let mut right = RuleCounts::default();
        for (i, v) in values.iter().enumerate() {
            let c = if i < 2 { &mut left } else { &mut right };
            c.seen(Column::Gender);
            c.bad(Column::Gender, Raw::Text(v));
            c.hit(Rule::GenderInvalid);
        }
        left.merge(&right);
        assert_eq!(left.column(Column::Gender), one.column(Column::Gender));
        assert_eq!(left.column(Column::Gender).examples, ["a", "b", "c"]);
        assert_eq!(left.get(Rule::GenderInvalid), 5);
        assert_eq!(
            left.wrong_type_throughout().map(|(c, _)| c),
            Some(Column::Gender)
        );
    }

    #[test]
    fn slashed_dates_and_unreadable_rows_merge_in_row_order() {
        let mut one = RuleCounts::default();
        let mut left = RuleCounts::default();
        let mut right = RuleCounts::default();
        let values = ["05/06/2013", "12/25/2013", "25/12/2013", "1/13/2014", "xx"];
        for (i, v) in values.iter().enumerate() {
            let row = i as u64 + 1;
            for c in [&mut one, if i < 2 { &mut left } else { &mut right }] {
                c.at_row(row);
                match SlashOrder::of(v) {
                    Some(o) => c.slash(Column::ReferralDate, o, v),
                    None => c.unreadable_date(Column::ReferralDate, Raw::Text(v)),
                }
            }
        }
        left.merge(&right);
        for c in [&one, &left] {
            let t = c.slashes(Column::ReferralDate);
            assert_eq!((t.day_first, t.month_first, t.either), (1, 2, 1));
            assert_eq!(t.first_month_first, Some((2, "12/25/2013".to_owned())));
            assert_eq!(t.first_day_first, Some((3, "25/12/2013".to_owned())));
            assert_eq!(
                c.unreadable_dates(),
                [(5, Column::ReferralDate, "xx".to_owned())]
            );
        }
        let mut ledger = Ledger::new();
        let f = ledger.add_file("a.csv");
        left.flush(&mut ledger, f);
        assert!(left.unreadable_dates().is_empty());
        let lines = ledger.quarantine_lines();
        assert_eq!(lines.len(), 1);
        assert_eq!(
            (lines[0].row, lines[0].reason, lines[0].detail.as_str()),
            (5, "date_unreadable", "CINreferralDate = \"xx\"")
        );
        assert_eq!(ledger.total(f, EntryKind::Quarantined), 0);
    }

    #[test]
    fn unreadable_dates_listed_are_capped_per_column() {
        let mut c = RuleCounts::default();
        for row in 0..(UNREADABLE_LISTED as u64 + 5) {
            c.at_row(row + 1);
            c.unreadable_date(Column::CppStart, Raw::Text("x"));
        }
        c.unreadable_date(Column::CppEnd, Raw::Text("y"));
        assert_eq!(c.unreadable_dates().len(), UNREADABLE_LISTED + 1);
    }

    #[test]
    fn flush_moves_counts_into_the_ledger() {
        let mut c = RuleCounts::default();
        c.hit_n(Rule::ClosureBeforeReferral, 2);
        c.value_mapped(Column::Ethnicity);
        let mut ledger = Ledger::new();
        let f = ledger.add_file("a.csv");
        c.flush(&mut ledger, f);
        assert_eq!(ledger.get(f, EntryKind::Rule, "closure_before_referral"), 2);
        assert_eq!(ledger.get(f, EntryKind::Rule, "value_map_Ethnicity"), 1);
        assert_eq!(c.get(Rule::ClosureBeforeReferral), 0);
    }
}
