//! Per-child attributes: the date of birth and the strata a child belongs to.
//!
//! Values that drift between a child's rows (birth month, sex, ethnicity) take the
//! child's mode, ties going to the latest row (by census year, then referral date).

use crate::age::{AgeRule, BirthCohort};
use cumin_census::{Date, Episodes, Ethnicity, Sex};
use cumin_link::{EpisodeSet, Linkage};

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
            notional_day: 15,
        }
    }
}

/// One row per child (indexed by [`cumin_link::ChildId`]).
#[derive(Clone, Debug, Default)]
pub struct ChildTable {
    /// Date of birth used for ages (notional: 1st of the birth month, possibly reset).
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
pub fn mode_latest<T: Copy + PartialEq>(values: impl IntoIterator<Item = T>) -> Option<T> {
    let mut tally: Vec<(T, u32, usize)> = Vec::new();
    for (pos, v) in values.into_iter().enumerate() {
        match tally.iter_mut().find(|(x, _, _)| *x == v) {
            Some(t) => {
                t.1 += 1;
                t.2 = pos;
            }
            None => tally.push((v, 1, pos)),
        }
    }
    tally
        .into_iter()
        .max_by_key(|&(_, count, last)| (count, last))
        .map(|(v, _, _)| v)
}

/// Rows of each child in chronological order (census year, referral, input position).
pub fn rows_by_child(episodes: &Episodes, linkage: &Linkage) -> Vec<Vec<u32>> {
    let mut rows: Vec<Vec<u32>> = vec![Vec::new(); linkage.n_children];
    for (i, c) in linkage.child_of_row.iter().enumerate() {
        if let Some(c) = c {
            rows[c.index()].push(i as u32);
        }
    }
    for r in &mut rows {
        r.sort_by_key(|&i| {
            let i = i as usize;
            (
                episodes.census_year[i],
                episodes.referral[i],
                episodes.file[i],
                episodes.source_row[i],
            )
        });
    }
    rows
}

/// Builds the child table.
pub fn build_children(
    episodes: &Episodes,
    linkage: &Linkage,
    set: &EpisodeSet,
    rules: &BirthRules,
) -> ChildTable {
    let rows = rows_by_child(episodes, linkage);
    let n = linkage.n_children;
    let mut t = ChildTable {
        dob: vec![None; n],
        cohort: vec![None; n],
        fate: vec![ChildFate::NoBirthDate; n],
        sex: vec![None; n],
        ethnicity: vec![None; n],
        idaci_decile: vec![None; n],
        dob_reset: vec![false; n],
    };
    // Earliest referral of each child, and earliest non-imputed referral.
    let mut first_referral: Vec<Option<Date>> = vec![None; n];
    let mut first_real_referral: Vec<Option<Date>> = vec![None; n];
    for e in 0..set.len() {
        let c = set.child[e].index();
        let d = set.referral[e];
        first_referral[c] = Some(first_referral[c].map_or(d, |x: Date| x.min(d)));
        if !set.referral_imputed[e] {
            first_real_referral[c] = Some(first_real_referral[c].map_or(d, |x: Date| x.min(d)));
        }
    }
    for c in 0..n {
        let r = &rows[c];
        t.sex[c] = mode_latest(r.iter().filter_map(|&i| episodes.sex[i as usize]));
        t.ethnicity[c] = mode_latest(r.iter().filter_map(|&i| episodes.ethnicity[i as usize]));
        t.idaci_decile[c] =
            mode_latest(r.iter().filter_map(|&i| episodes.idaci_decile[i as usize]));
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
            continue;
        };
        let resetter = if rules.imputed_referral_resets_birth {
            first_referral[c]
        } else {
            first_real_referral[c]
        };
        if let Some(first) = resetter
            && first.days_since(earliest_dob) < -rules.prebirth_days
        {
            dob = first;
            t.dob_reset[c] = true;
        }
        if let Some(first) = first_referral[c]
            && rules.age_rule.age(dob, first) >= rules.max_first_contact_age
        {
            t.fate[c] = ChildFate::FirstContactAge25Plus;
            continue;
        }
        t.dob[c] = Some(dob);
        t.cohort[c] = Some(BirthCohort::of(dob));
        t.fate[c] = ChildFate::Usable;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_ties_go_to_latest() {
        assert_eq!(mode_latest([1, 2]), Some(2));
        assert_eq!(mode_latest([1, 2, 1]), Some(1));
        assert_eq!(mode_latest([3, 1, 1, 3]), Some(3));
        assert_eq!(mode_latest(Vec::<u8>::new()), None);
    }
}
