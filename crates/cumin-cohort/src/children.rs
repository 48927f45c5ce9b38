//! Per-child attributes: the date of birth and the strata a child belongs to.
//!
//! Values that drift between a child's rows (birth month, sex, ethnicity) take the
//! child's mode, ties going to the latest row (by census year, then referral date).

use crate::age::{AgeRule, BirthCohort};
use cumin_census::{CensusYear, Date, Episodes, Ethnicity, Sex};
use cumin_link::order::{rows_grouped_by_child, sort_rows_by_key};
use cumin_link::{ChildId, ChildRows, EpisodeSet, JoinedRows, Linkage, Renumbering};
use rayon::prelude::*;

/// Why a child cannot be placed in a birth cohort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChildFate {
    /// A date of birth is known and plausible.
    Usable,
    /// No row gives both a birth year and month, nor an expected date of birth.
    NoBirthDate,
    /// First contact at age 25 or over: the birth date is implausible.
    FirstContactAge25Plus,
}

impl ChildFate {
    /// Ledger reason for rows of such children.
    pub fn reason(self) -> &'static str {
        match self {
            ChildFate::Usable => "",
            ChildFate::NoBirthDate => "child_without_birth_date",
            ChildFate::FirstContactAge25Plus => "child_first_contact_age_25_plus",
        }
    }
}

/// Options for birth dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BirthRules {
    /// A referral up to this many days before the notional birth date is pre-birth; an
    /// earlier one resets the birth date to the referral date (Jay et al.: 186).
    pub prebirth_days: i32,
    /// First contact at or above this age makes the birth date unknown (25).
    pub max_first_contact_age: i32,
    /// How ages are counted.
    pub age_rule: AgeRule,
    /// Whether an imputed referral date (1 September) may reset the birth date.
    pub imputed_referral_resets_birth: bool,
    /// Day of the birth month taken as the birthday (only month and year are released).
    /// cumin uses the 15th, so a birthday is off by at most about half a month either
    /// way and ages carry no systematic shift; Jay et al. use the 1st.
    pub notional_day: u32,
}

impl Default for BirthRules {
    fn default() -> BirthRules {
        BirthRules {
            prebirth_days: 186,
            max_first_contact_age: 25,
            age_rule: AgeRule::Calendar,
            imputed_referral_resets_birth: false,
            notional_day: cumin_census::NOTIONAL_BIRTH_DAY,
        }
    }
}

/// One row per child (indexed by [`cumin_link::ChildId`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChildTable {
    /// Date of birth used for ages (the notional day of the modal birth month, or the
    /// expected date of birth, possibly reset by an early referral).
    pub dob: Vec<Option<Date>>,
    /// Birth cohort of `dob`.
    pub cohort: Vec<Option<BirthCohort>>,
    /// Whether the child can be used.
    pub fate: Vec<ChildFate>,
    /// Modal sex.
    pub sex: Vec<Option<Sex>>,
    /// Modal ethnicity.
    pub ethnicity: Vec<Option<Ethnicity>>,
    /// Modal IDACI decile over the child's rows (used where an event has none).
    pub idaci_decile: Vec<Option<u8>>,
    /// Whether the birth date was reset by an early referral.
    pub dob_reset: Vec<bool>,
}

impl ChildTable {
    /// Number of children.
    pub fn len(&self) -> usize {
        self.dob.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.dob.is_empty()
    }
}

/// The mode of `values` (in chronological order); ties go to the value seen last.
///
/// Called four times for each of millions of children, each with a handful of distinct
/// values: the tally lives on the stack, spilling to the heap only past eight values.
pub fn mode_latest<T: Copy + PartialEq>(values: impl IntoIterator<Item = T>) -> Option<T> {
    const INLINE: usize = 8;
    // (value, count, last position)
    let mut inline: [Option<(T, u32, usize)>; INLINE] = [None; INLINE];
    let mut len = 0;
    let mut spill: Vec<(T, u32, usize)> = Vec::new();
    for (pos, v) in values.into_iter().enumerate() {
        let seen = inline[..len]
            .iter_mut()
            .flatten()
            .find(|t| t.0 == v)
            .or_else(|| spill.iter_mut().find(|t| t.0 == v));
        match seen {
            Some(t) => {
                t.1 += 1;
                t.2 = pos;
            }
            None if len < INLINE => {
                inline[len] = Some((v, 1, pos));
                len += 1;
            }
            None => spill.push((v, 1, pos)),
        }
    }
    inline[..len]
        .iter()
        .flatten()
        .chain(&spill)
        .max_by_key(|&&(_, count, last)| (count, last))
        .map(|&(v, _, _)| v)
}

/// Rows of each child in chronological order (census year, referral date), rows of the
/// same year and date by content: the order, and so every "ties go to the latest" below,
/// does not depend on where rows sat in the input. One flat list: child `c`'s rows are
/// `order[start[c]..start[c + 1]]` (children sorted in parallel; the result does not
/// depend on it).
pub fn rows_by_child(episodes: &Episodes, linkage: &Linkage) -> (Vec<u32>, Vec<u32>) {
    rows_grouped_by_child(episodes, linkage, chronological(episodes))
}

/// The key [`rows_by_child`] orders a child's rows by: census year, then referral date.
fn chronological(episodes: &Episodes) -> impl Fn(u32) -> (CensusYear, Option<Date>) + Sync + '_ {
    |i| {
        (
            episodes.census_year[i as usize],
            episodes.referral[i as usize],
        )
    }
}

/// For `n` slots, the earliest referral and the earliest non-imputed referral of the
/// episodes whose child `slot_of` places in a slot (`None`: in none).
fn earliest_referrals(
    set: &EpisodeSet,
    n: usize,
    slot_of: impl Fn(ChildId) -> Option<usize>,
) -> Vec<(Option<Date>, Option<Date>)> {
    let mut first = vec![(None, None); n];
    for e in 0..set.len() {
        let Some(k) = slot_of(set.child[e]) else {
            continue;
        };
        let d = set.referral[e];
        let f: &mut (Option<Date>, Option<Date>) = &mut first[k];
        f.0 = Some(f.0.map_or(d, |x| x.min(d)));
        if !set.referral_imputed[e] {
            f.1 = Some(f.1.map_or(d, |x| x.min(d)));
        }
    }
    first
}

/// Builds the child table.
pub fn build_children(
    episodes: &Episodes,
    linkage: &Linkage,
    set: &EpisodeSet,
    rules: &BirthRules,
) -> ChildTable {
    let (order, start) = rows_by_child(episodes, linkage);
    children_of_rows(episodes, (&order, &start), set, rules, false)
}

/// [`build_children`] from the rows that `cumin_link::deduplicate_grouped` grouped by
/// child, which stay as they are: each child's rows are copied and put in
/// [`rows_by_child`] order one child at a time, not counted into child order again.
/// Equals `build_children(episodes, linkage, set, rules)` for the linkage the rows were
/// grouped under. Of the rows' content it reads only what the child table takes (no
/// column for ties: see `chronological_from_dedup`), and of `set` only its keys.
pub fn build_children_grouped(
    episodes: &Episodes,
    rows: &ChildRows,
    set: &EpisodeSet,
    rules: &BirthRules,
) -> ChildTable {
    children_of_rows(episodes, (&rows.order, &rows.start), set, rules, true)
}

/// Puts one child's rows, in de-duplication's order, in [`rows_by_child`] order.
///
/// De-duplication sorts a child's rows by (referral date, imputation, census year), then
/// by content ([`cumin_link::compare_rows`]: census year, referral date, imputation, then
/// the other columns), then by index. [`rows_by_child`] sorts them by (census year,
/// referral date), then by content, then by index: that is (census year, referral date,
/// imputation, the other columns, index). Rows of equal (census year, referral date,
/// imputation) are in the same order under both, so a stable sort on those three alone
/// turns the one order into the other, with no column read for ties.
fn chronological_from_dedup(episodes: &Episodes, rows: &mut [u32]) {
    rows.sort_by_key(|&i| {
        let i = i as usize;
        (
            episodes.census_year[i],
            episodes.referral[i],
            episodes.referral_imputed[i],
        )
    });
}

/// The child table from each child's rows (child `c`'s are `order[start[c]..start[c +
/// 1]]`): in [`rows_by_child`] order, or in de-duplication's if `from_dedup` (each
/// child's rows are then re-sorted in a copy by [`chronological_from_dedup`]).
fn children_of_rows(
    episodes: &Episodes,
    (order, start): (&[u32], &[u32]),
    set: &EpisodeSet,
    rules: &BirthRules,
    from_dedup: bool,
) -> ChildTable {
    let n = start.len() - 1;
    let earliest = earliest_referrals(set, n, |c| Some(c.index()));
    // Each child's attributes written straight into the table's columns, on every core
    // (no table of whole rows beside the columns).
    let mut t = ChildTable::empty(n);
    let ChildTable {
        dob,
        cohort,
        fate,
        sex,
        ethnicity,
        idaci_decile,
        dob_reset,
    } = &mut t;
    (dob, cohort, fate, sex, ethnicity, idaci_decile, dob_reset)
        .into_par_iter()
        .enumerate()
        .for_each_init(Vec::new, |copy, (c, slots)| {
            let mut rows = &order[start[c] as usize..start[c + 1] as usize];
            if from_dedup && rows.len() > 1 {
                copy.clear();
                copy.extend_from_slice(rows);
                chronological_from_dedup(episodes, copy);
                rows = copy;
            }
            let r = child_row(rows, earliest[c], episodes, rules);
            *slots.0 = r.dob;
            *slots.1 = r.cohort;
            *slots.2 = r.fate;
            *slots.3 = r.sex;
            *slots.4 = r.ethnicity;
            *slots.5 = r.idaci_decile;
            *slots.6 = r.dob_reset;
        });
    t
}

/// One child's attributes, as [`ChildTable`] holds them.
#[derive(Clone, Copy, Debug)]
struct ChildRow {
    dob: Option<Date>,
    cohort: Option<BirthCohort>,
    fate: ChildFate,
    sex: Option<Sex>,
    ethnicity: Option<Ethnicity>,
    idaci_decile: Option<u8>,
    dob_reset: bool,
}

impl ChildTable {
    /// `n` children with nothing known.
    fn empty(n: usize) -> ChildTable {
        ChildTable {
            dob: vec![None; n],
            cohort: vec![None; n],
            fate: vec![ChildFate::NoBirthDate; n],
            sex: vec![None; n],
            ethnicity: vec![None; n],
            idaci_decile: vec![None; n],
            dob_reset: vec![false; n],
        }
    }

    /// Child `c`'s attributes.
    fn row(&self, c: usize) -> ChildRow {
        ChildRow {
            dob: self.dob[c],
            cohort: self.cohort[c],
            fate: self.fate[c],
            sex: self.sex[c],
            ethnicity: self.ethnicity[c],
            idaci_decile: self.idaci_decile[c],
            dob_reset: self.dob_reset[c],
        }
    }

    /// Keeps the first `n` children.
    fn truncate(&mut self, n: usize) {
        self.dob.truncate(n);
        self.cohort.truncate(n);
        self.fate.truncate(n);
        self.sex.truncate(n);
        self.ethnicity.truncate(n);
        self.idaci_decile.truncate(n);
        self.dob_reset.truncate(n);
    }

    /// Sets child `c`'s attributes.
    fn set(&mut self, c: usize, r: ChildRow) {
        self.dob[c] = r.dob;
        self.cohort[c] = r.cohort;
        self.fate[c] = r.fate;
        self.sex[c] = r.sex;
        self.ethnicity[c] = r.ethnicity;
        self.idaci_decile[c] = r.idaci_decile;
        self.dob_reset[c] = r.dob_reset;
    }
}

/// A child's attributes from its rows `r` (in [`rows_by_child`] order) and `earliest`:
/// its earliest referral and its earliest non-imputed referral.
fn child_row(
    r: &[u32],
    earliest: (Option<Date>, Option<Date>),
    episodes: &Episodes,
    rules: &BirthRules,
) -> ChildRow {
    let mut t = ChildRow {
        dob: None,
        cohort: None,
        fate: ChildFate::NoBirthDate,
        sex: None,
        ethnicity: None,
        idaci_decile: None,
        dob_reset: false,
    };
    t.sex = mode_latest(r.iter().filter_map(|&i| episodes.sex[i as usize]));
    t.ethnicity = mode_latest(r.iter().filter_map(|&i| episodes.ethnicity[i as usize]));
    t.idaci_decile = mode_latest(r.iter().filter_map(|&i| episodes.idaci_decile[i as usize]));
    let birth = mode_latest(r.iter().filter_map(|&i| {
        let i = i as usize;
        Some((episodes.birth_year[i]?, episodes.birth_month[i]?))
    }));
    // The notional birthday, and the earliest the true one can be (the 1st of the
    // month): a referral is only "too early to be pre-birth" against the latter, so
    // the choice of notional day never resets a birth date.
    let notional = birth
        .and_then(|(y, m)| {
            let (y, m) = (i32::from(y), u32::from(m));
            Some((
                Date::from_ymd(y, m, rules.notional_day)?,
                Date::from_ymd(y, m, 1)?,
            ))
        })
        .or_else(|| {
            r.iter()
                .rev()
                .find_map(|&i| episodes.expected_dob[i as usize])
                .map(|d| (d, d))
        });
    let Some((mut dob, earliest_dob)) = notional else {
        return t;
    };
    let resetter = if rules.imputed_referral_resets_birth {
        earliest.0
    } else {
        earliest.1
    };
    if let Some(first) = resetter
        && first.days_since(earliest_dob) < -rules.prebirth_days
    {
        dob = first;
        t.dob_reset = true;
    }
    if let Some(first) = earliest.0
        && rules.age_rule.age(dob, first) >= rules.max_first_contact_age
    {
        t.fate = ChildFate::FirstContactAge25Plus;
        return t;
    }
    t.dob = Some(dob);
    t.cohort = Some(BirthCohort::of(dob));
    t.fate = ChildFate::Usable;
    t
}

/// The child table of `merged`, the linkage `linkage` with some children joined (as
/// `cumin_link::merge_pairs` makes it), from `table`, the child table of `linkage`; `set`
/// is the episode set of `merged`. Joined children are built again from their rows; every
/// other child depends on its rows alone and is copied under its new number. Equals
/// `build_children(episodes, merged, set, rules)`.
pub fn rebuild_children(
    episodes: &Episodes,
    linkage: &Linkage,
    table: &ChildTable,
    merged: &Linkage,
    set: &EpisodeSet,
    rules: &BirthRules,
) -> ChildTable {
    let renumbering = Renumbering::between(linkage, merged);
    let joined = JoinedRows::between(linkage, merged, &renumbering);
    let rows = joined.table(episodes);
    rebuild_joined_children(&rows, (&renumbering, &joined), table.clone(), set, rules)
}

/// [`rebuild_children`] after `cumin_link::join_pairs`, from what it returns (the
/// renumbering and the joined children's rows) instead of the linkages, and in place:
/// `table` (the child table before the join) becomes the joined one. `rows` is the joined
/// rows' copy (`JoinedRows::table`): no other row is read.
pub fn rebuild_joined_children(
    rows: &Episodes,
    (renumbering, joined_rows): (&Renumbering, &JoinedRows),
    mut table: ChildTable,
    set: &EpisodeSet,
    rules: &BirthRules,
) -> ChildTable {
    let n = renumbering.members.len();
    // A child keeps or lowers its number (a joined child takes its smallest member's
    // place), so moving rows forward in child order never overwrites one not yet moved.
    for (old, &new) in renumbering.new_of_old.iter().enumerate() {
        let new = new as usize;
        if new < n && renumbering.members[new] == 1 && new != old {
            debug_assert!(new < old, "children are only renumbered downwards");
            let row = table.row(old);
            table.set(new, row);
        }
    }
    table.truncate(n);
    // The joined children's rows, in `rows_by_child` order.
    let mut slot = vec![u32::MAX; n];
    let mut joined: Vec<(usize, Vec<u32>)> = Vec::new();
    // Each row by its place in `rows` (the joined rows' order, so ties by index fall as
    // they would in the row table).
    assert_eq!(rows.len(), joined_rows.rows.len(), "the joined rows' table");
    for (k, old) in joined_rows.old.iter().enumerate() {
        let c = renumbering.new_of_old[old.index()] as usize;
        if slot[c] == u32::MAX {
            slot[c] = joined.len() as u32;
            joined.push((c, Vec::new()));
        }
        joined[slot[c] as usize].1.push(k as u32);
    }
    let first = earliest_referrals(set, joined.len(), |c| {
        let k = slot[c.index()];
        (k != u32::MAX).then_some(k as usize)
    });
    for ((c, r), f) in joined.iter_mut().zip(first) {
        sort_rows_by_key(rows, r, chronological(rows));
        table.set(*c, child_row(r, f, rows, rules));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_census::{CensusYear, EpisodeRow};
    use cumin_link::{LinkOptions, deduplicate, link};

    #[test]
    fn mode_ties_go_to_latest() {
        assert_eq!(mode_latest([1, 2]), Some(2));
        assert_eq!(mode_latest([1, 2, 1]), Some(1));
        assert_eq!(mode_latest([3, 1, 1, 3]), Some(3));
        assert_eq!(mode_latest(Vec::<u8>::new()), None);
        // Past the eight values tallied on the stack: 9 twice, the rest once.
        assert_eq!(mode_latest([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 9, 11]), Some(9));
        assert_eq!(mode_latest([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1]), Some(1));
        assert_eq!(mode_latest([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), Some(11));
    }

    /// A row of child "A" in LA 202.
    fn row(year: i16, referral: Date) -> EpisodeRow {
        let mut r = EpisodeRow::empty(0, 0, CensusYear(year));
        r.la_child_id = Some("A".into());
        r.la = Some(202);
        r.referral = Some(referral);
        r
    }

    fn born(mut r: EpisodeRow, year: i16, month: u8) -> EpisodeRow {
        r.birth_year = Some(year);
        r.birth_month = Some(month);
        r
    }

    fn table_of(rows: &[EpisodeRow], rules: &BirthRules) -> ChildTable {
        let mut e = Episodes::new();
        for (i, r) in rows.iter().enumerate() {
            let mut r = r.clone();
            r.source_row = i as u32 + 1;
            e.push(r);
        }
        let l = link(&e, &LinkOptions::default());
        let (set, _) = deduplicate(&e, &l);
        build_children(&e, &l, &set, rules)
    }

    fn one(rows: &[EpisodeRow]) -> (Option<Date>, ChildFate, bool) {
        let t = table_of(rows, &BirthRules::default());
        assert_eq!(t.len(), 1);
        (t.dob[0], t.fate[0], t.dob_reset[0])
    }

    #[test]
    fn the_notional_birthday_is_the_15th_of_the_modal_month() {
        let r = born(row(2014, Date::ymd(2013, 6, 1)), 2010, 3);
        assert_eq!(
            one(&[r]),
            (Some(Date::ymd(2010, 3, 15)), ChildFate::Usable, false)
        );
        let jay = BirthRules {
            notional_day: 1,
            ..BirthRules::default()
        };
        let r = born(row(2014, Date::ymd(2013, 6, 1)), 2010, 3);
        assert_eq!(table_of(&[r], &jay).dob[0], Some(Date::ymd(2010, 3, 1)));
    }

    #[test]
    fn birth_month_is_the_mode_ties_to_the_latest_and_half_missing_does_not_vote() {
        let d = Date::ymd(2013, 6, 1);
        // Two rows say March, one April: March.
        let rows = [
            born(row(2014, d), 2010, 3),
            born(row(2015, d), 2010, 4),
            born(row(2016, d), 2010, 3),
        ];
        assert_eq!(one(&rows).0, Some(Date::ymd(2010, 3, 15)));
        // One each: the latest census year's wins, in whatever order the rows come.
        let mut rows = vec![born(row(2016, d), 2010, 4), born(row(2014, d), 2010, 3)];
        assert_eq!(one(&rows).0, Some(Date::ymd(2010, 4, 15)));
        rows.reverse();
        assert_eq!(one(&rows).0, Some(Date::ymd(2010, 4, 15)));
        // A month without a year (Jay's `NA-05`) does not vote.
        let mut half = row(2017, d);
        half.birth_month = Some(5);
        let mut half2 = half.clone();
        half2.census_year = CensusYear(2018);
        let rows = [born(row(2014, d), 2010, 3), half, half2];
        assert_eq!(one(&rows).0, Some(Date::ymd(2010, 3, 15)));
    }

    #[test]
    fn sex_and_ethnicity_take_the_mode_ties_to_the_latest() {
        let d = Date::ymd(2013, 6, 1);
        let mut a = born(row(2014, d), 2010, 3);
        a.sex = Some(Sex::Male);
        let mut b = born(row(2015, d), 2010, 3);
        b.sex = Some(Sex::Female);
        let t = table_of(&[b.clone(), a.clone()], &BirthRules::default());
        assert_eq!(t.sex[0], Some(Sex::Female));
        let mut c = a.clone();
        c.census_year = CensusYear(2016);
        let t = table_of(&[a, b, c], &BirthRules::default());
        assert_eq!(t.sex[0], Some(Sex::Male));
    }

    #[test]
    fn up_to_186_days_before_the_1st_is_pre_birth_earlier_resets_the_birth_date() {
        let first = Date::ymd(2012, 7, 1);
        let at = |days: i32| born(row(2013, first.add_days(-days)), 2012, 7);
        assert_eq!(
            one(&[at(186)]),
            (Some(Date::ymd(2012, 7, 15)), ChildFate::Usable, false)
        );
        assert_eq!(
            one(&[at(187)]),
            (Some(first.add_days(-187)), ChildFate::Usable, true)
        );
        // The earliest referral decides, whichever row holds it.
        let later = born(row(2014, Date::ymd(2013, 5, 1)), 2012, 7);
        assert_eq!(one(&[later, at(200)]).0, Some(first.add_days(-200)));
    }

    #[test]
    fn an_imputed_referral_resets_only_when_asked() {
        let mut r = born(row(2012, Date::ymd(2011, 9, 1)), 2012, 7);
        r.referral_imputed = true;
        assert_eq!(one(&[r.clone()]).0, Some(Date::ymd(2012, 7, 15)));
        let rules = BirthRules {
            imputed_referral_resets_birth: true,
            ..BirthRules::default()
        };
        assert_eq!(table_of(&[r], &rules).dob[0], Some(Date::ymd(2011, 9, 1)));
    }

    #[test]
    fn expected_date_of_birth_stands_in_and_can_be_reset() {
        let mut unborn = row(2013, Date::ymd(2012, 11, 1));
        unborn.expected_dob = Some(Date::ymd(2013, 2, 10));
        assert_eq!(
            one(&[unborn.clone()]),
            (Some(Date::ymd(2013, 2, 10)), ChildFate::Usable, false)
        );
        unborn.referral = Some(Date::ymd(2012, 1, 1));
        assert_eq!(one(&[unborn]).0, Some(Date::ymd(2012, 1, 1)));
        // A recorded birth month beats an expected date.
        let mut both = born(row(2014, Date::ymd(2013, 6, 1)), 2013, 3);
        both.expected_dob = Some(Date::ymd(2013, 2, 10));
        assert_eq!(one(&[both]).0, Some(Date::ymd(2013, 3, 15)));
    }

    #[test]
    fn first_contact_at_25_or_over_makes_the_birth_date_unusable() {
        let r = |referral| born(row(2014, referral), 1988, 3);
        // Born (notionally) 15 March 1988: 25 on 15 March 2013.
        assert_eq!(one(&[r(Date::ymd(2013, 3, 14))]).1, ChildFate::Usable);
        assert_eq!(
            one(&[r(Date::ymd(2013, 3, 15))]),
            (None, ChildFate::FirstContactAge25Plus, false)
        );
        assert_eq!(
            ChildFate::FirstContactAge25Plus.reason(),
            "child_first_contact_age_25_plus"
        );
    }

    #[test]
    fn no_birth_month_and_no_expected_date_means_no_birth_date() {
        assert_eq!(
            one(&[row(2014, Date::ymd(2013, 6, 1))]),
            (None, ChildFate::NoBirthDate, false)
        );
    }
}
