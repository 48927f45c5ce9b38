//! Tallies kept while rows are cleaned: how often each rule fired, and per column how
//! many values were present and how many were not of the column's type.

use super::Raw;
use super::rule::Rule;
use crate::ledger::{EntryKind, FileIndex, Ledger};
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
}

impl Default for RuleCounts {
    fn default() -> RuleCounts {
        RuleCounts {
            rules: [0; Rule::COUNT],
            value_mapped: [0; Column::COUNT],
            columns: vec![ColumnTally::default(); Column::COUNT],
        }
    }
}

impl RuleCounts {
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
            t.examples
                .push(value.shown().chars().take(EXAMPLE_CHARS).collect());
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
    }

    /// Moves the rule counts into the ledger for `file` (column tallies stay).
    pub fn flush(&mut self, ledger: &mut Ledger, file: FileIndex) {
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
