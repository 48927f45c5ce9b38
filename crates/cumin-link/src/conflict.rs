//! Identifiers that contradict each other: found, counted, and never merged silently.
//!
//! Three kinds (docs/methods.md §2):
//! - an LA key whose rows carry two or more different PMRs (one LA's child with two
//!   pupil references: a reused LA ID or a wrong PMR);
//! - a PMR whose LA keys give incompatible birth dates (one pupil reference on two
//!   children);
//! - a child spanning implausibly many LAs (a PMR shared by mistake, chaining children).
//!
//! The first two are properties of the identifiers and are found here; the third needs
//! the components and is found by [`crate::link`]. What is done about them is the
//! [`crate::ConflictPolicy`].

use crate::ids::{IdTable, NO_KEY};
use cumin_census::{CensusYear, Episodes};
use rayon::prelude::*;

/// The kinds of conflict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConflictKind {
    /// An (LA child ID, LA) key carrying two or more PMRs.
    LaKeySeveralPmrs,
    /// A PMR joining LA keys whose birth dates are incompatible.
    PmrBirthMismatch,
    /// A child recorded by more LAs than is plausible.
    ManyLas,
}

impl ConflictKind {
    /// Every kind, in output order.
    pub const ALL: [ConflictKind; 3] = [
        ConflictKind::LaKeySeveralPmrs,
        ConflictKind::PmrBirthMismatch,
        ConflictKind::ManyLas,
    ];

    /// Name in `linkage.csv` (`conflict_<name>`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::LaKeySeveralPmrs => "la_key_several_pmrs",
            ConflictKind::PmrBirthMismatch => "pmr_birth_mismatch",
            ConflictKind::ManyLas => "many_las",
        }
    }
}

/// Conflicts found on the identifiers themselves.
#[derive(Clone, Debug, Default)]
pub struct IdConflicts {
    /// Per LA key: it carries two or more PMRs.
    pub key_several_pmrs: Vec<bool>,
    /// Per PMR: its keys' birth dates are incompatible.
    pub pmr_birth_mismatch: Vec<bool>,
}

impl IdConflicts {
    /// Number of keys with several PMRs.
    pub fn n_key_several_pmrs(&self) -> u64 {
        self.key_several_pmrs.iter().filter(|b| **b).count() as u64
    }

    /// Number of PMRs with incompatible birth dates.
    pub fn n_pmr_birth_mismatch(&self) -> u64 {
        self.pmr_birth_mismatch.iter().filter(|b| **b).count() as u64
    }
}

/// A birth (year, month) as a month count, so distances are in months.
pub fn birth_month_number(year: i16, month: u8) -> i32 {
    i32::from(year) * 12 + i32::from(month) - 1
}

/// The modal birth month of some rows; ties go to the value of the latest census year,
/// then to the later month, so the answer does not depend on row order.
pub fn modal_birth(episodes: &Episodes, rows: &[u32]) -> Option<i32> {
    let mut tally: Vec<(i32, u32, CensusYear)> = Vec::new();
    for &i in rows {
        let i = i as usize;
        let (Some(y), Some(m)) = (episodes.birth_year[i], episodes.birth_month[i]) else {
            continue;
        };
        let b = birth_month_number(y, m);
        let year = episodes.census_year[i];
        match tally.iter_mut().find(|t| t.0 == b) {
            Some(t) => {
                t.1 += 1;
                t.2 = t.2.max(year);
            }
            None => tally.push((b, 1, year)),
        }
    }
    tally
        .into_iter()
        .max_by_key(|&(b, count, year)| (count, year, b))
        .map(|(b, _, _)| b)
}

/// Finds the keys with several PMRs and the PMRs whose keys were born more than
/// `tolerance_months` apart.
pub fn find_id_conflicts(episodes: &Episodes, ids: &IdTable, tolerance_months: u16) -> IdConflicts {
    let key_several_pmrs: Vec<bool> = (0..ids.n_keys() as u32)
        .into_par_iter()
        .map(|k| ids.pmrs_of_key(k).len() > 1)
        .collect();
    let (pmr_start, pmr_keys) = ids.keys_by_pmr();
    let keys_of = |p: usize| &pmr_keys[pmr_start[p] as usize..pmr_start[p + 1] as usize];
    // Only keys that share a PMR with another key need a birth month: their rows are
    // listed by key and each key's modal birth found, on every core.
    let mut needed: Vec<u32> = (0..ids.n_pmrs)
        .into_par_iter()
        .filter(|&p| keys_of(p).len() > 1)
        .flat_map_iter(|p| keys_of(p).iter().copied())
        .collect();
    needed.par_sort_unstable();
    needed.dedup();
    let mut birth_of_key: Vec<Option<i32>> = vec![None; ids.n_keys()];
    if !needed.is_empty() {
        let mut wanted = vec![false; ids.n_keys()];
        for &k in &needed {
            wanted[k as usize] = true;
        }
        let mut rows: Vec<(u32, u32)> = (0..ids.key_of_row.len() as u32)
            .into_par_iter()
            .filter_map(|i| {
                let k = ids.key_of_row[i as usize];
                (k != NO_KEY && wanted[k as usize]).then_some((k, i))
            })
            .collect();
        rows.par_sort_unstable();
        let births: Vec<(u32, Option<i32>)> = rows
            .par_chunk_by(|a, b| a.0 == b.0)
            .map_init(Vec::new, |rows, run| {
                rows.clear();
                rows.extend(run.iter().map(|r| r.1));
                (run[0].0, modal_birth(episodes, rows))
            })
            .collect();
        for (k, b) in births {
            birth_of_key[k as usize] = b;
        }
    }
    let pmr_birth_mismatch: Vec<bool> = (0..ids.n_pmrs)
        .into_par_iter()
        .map(|p| {
            let keys = keys_of(p);
            if keys.len() < 2 {
                return false;
            }
            let (mut lo, mut hi) = (i32::MAX, i32::MIN);
            for b in keys.iter().filter_map(|&k| birth_of_key[k as usize]) {
                lo = lo.min(b);
                hi = hi.max(b);
            }
            lo <= hi && hi - lo > i32::from(tolerance_months)
        })
        .collect();
    IdConflicts {
        key_several_pmrs,
        pmr_birth_mismatch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_census::EpisodeRow;

    /// LA child ID, PMR, LA, birth (year, month), census year.
    type Row<'a> = (&'a str, Option<&'a str>, u16, Option<(i16, u8)>, i16);

    fn table(rows: &[Row]) -> Episodes {
        let mut e = Episodes::new();
        for &(la_id, pmr, la, birth, year) in rows {
            let mut r = EpisodeRow::empty(0, e.len() as u32 + 1, CensusYear(year));
            r.la_child_id = Some(la_id.to_owned());
            r.pmr = pmr.map(str::to_owned);
            r.la = Some(la);
            r.birth_year = birth.map(|b| b.0);
            r.birth_month = birth.map(|b| b.1);
            e.push(r);
        }
        e
    }

    #[test]
    fn modal_birth_ties_go_to_the_latest_census_year_whatever_the_row_order() {
        let e = table(&[
            ("A", None, 202, Some((2010, 3)), 2014),
            ("A", None, 202, Some((2010, 5)), 2013),
            ("A", None, 202, None, 2016),
        ]);
        assert_eq!(
            modal_birth(&e, &[0, 1, 2]),
            Some(birth_month_number(2010, 3))
        );
        assert_eq!(
            modal_birth(&e, &[2, 1, 0]),
            Some(birth_month_number(2010, 3))
        );
        assert_eq!(modal_birth(&e, &[2]), None);
    }

    #[test]
    fn a_pmr_on_keys_born_apart_is_a_conflict_within_tolerance_it_is_not() {
        // P1 joins A@202 (born 2010-03) and B@203 (born 2010-04): one month apart.
        // P2 joins C@202 (born 2010-03) and D@204 (born 2011-03): a year apart.
        // P3 sits on one key whose rows disagree: drift, not a join, so no conflict.
        let e = table(&[
            ("A", Some("P1"), 202, Some((2010, 3)), 2014),
            ("B", Some("P1"), 203, Some((2010, 4)), 2015),
            ("C", Some("P2"), 202, Some((2010, 3)), 2014),
            ("D", Some("P2"), 204, Some((2011, 3)), 2015),
            ("E", Some("P3"), 205, Some((2009, 1)), 2014),
            ("E", Some("P3"), 205, Some((2012, 1)), 2015),
        ]);
        let ids = IdTable::build(&e).0;
        let c = find_id_conflicts(&e, &ids, 1);
        let flag = |p: &str| c.pmr_birth_mismatch[e.pmrs.lookup(p).unwrap().index()];
        assert!(!flag("P1"));
        assert!(flag("P2"));
        assert!(!flag("P3"));
        assert_eq!(c.n_pmr_birth_mismatch(), 1);
        let strict = find_id_conflicts(&e, &ids, 0);
        assert_eq!(strict.n_pmr_birth_mismatch(), 2, "P1 too at tolerance 0");
        assert_eq!(c.n_key_several_pmrs(), 0);
    }

    #[test]
    fn a_key_with_two_pmrs_is_a_conflict() {
        let e = table(&[
            ("A", Some("P1"), 202, None, 2014),
            ("A", Some("P2"), 202, None, 2015),
            ("A", Some("P1"), 203, None, 2015),
        ]);
        let c = find_id_conflicts(&e, &IdTable::build(&e).0, 1);
        assert_eq!(c.key_several_pmrs, [true, false]);
    }
}
