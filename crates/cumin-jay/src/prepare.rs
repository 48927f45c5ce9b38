//! The R pipeline's own cleaning, linking and birth-date steps ("1 CIN CLEANING.R"),
//! in its order, on rows read with the whole-extract rules deferred
//! ([`cumin_census::CleaningRules::defer_whole_extract_rules`]).
//!
//! With no correction in force every step is the R code's, ⚠ behaviours included; each
//! [`JayRule`] changes one step. cumin-census supplies the typed values (dates, NFA,
//! census year, reason codes) and drops rows with no identifier, as the R code does.

use crate::birth_month::{AgeRow, Ym, birth_months_in_order, r_mode};
use crate::rules::{JayRule, JayRules};
use cumin_census::normalise::LatestDates;
use cumin_census::{Date, Episodes, IdRef};
use rustc_hash::FxHashMap;

mod shared;
pub use shared::{Births, Ids, Shared};

/// A referral more than this many days before the notional birth date resets it
/// (`-6*31` in the R code).
pub const PREBIRTH_DAYS: i32 = 6 * 31;

/// Ages at first contact above this many days wipe the child's birth date.
pub const OLDEST_FIRST_CONTACT_DAYS: f64 = 365.25 * 25.0;

/// What the R pipeline reads.
#[derive(Clone, Copy, Debug)]
pub struct JayInput<'a> {
    /// Rows read with the whole-extract rules deferred (dates as recorded).
    pub episodes: &'a Episodes,
    /// Their `Latest*` dates.
    pub latest: &'a LatestDates,
    /// End of the last census year in the extract (their 2019-03-31).
    pub data_end: Date,
    /// First day of usable data (1 April 2008).
    pub data_start: Date,
    /// Reason for closure of each row read as the R code reads it.
    pub reason_strict: &'a [Option<u8>],
    /// Reason for closure read tolerantly (cumin's reading), when read.
    pub reason_tolerant: Option<&'a [Option<u8>]>,
}

/// Why a row did not reach the analysis table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fate {
    /// In the analysis table.
    Kept,
    /// Referral before the data start.
    ReferralBeforeDataStart,
    /// Closure before the data start (R only, ⚠).
    ClosureBeforeDataStart,
    /// The child has no usable birth date.
    NoBirthDate,
    /// Aged 18 or over at referral.
    Age18OrOver,
}

impl Fate {
    /// Reason name in the ledger.
    pub fn reason(self) -> &'static str {
        match self {
            Fate::Kept => "",
            Fate::ReferralBeforeDataStart => "jay_referral_before_data_start",
            Fate::ClosureBeforeDataStart => "jay_closure_before_data_start",
            Fate::NoBirthDate => "jay_no_birth_date",
            Fate::Age18OrOver => "jay_age_18_or_over",
        }
    }
}

/// One row of the analysis table ("cin_processed").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JayRow {
    /// Row of the episode table it came from.
    pub row: u32,
    /// Child (`id_combined`), numbered in order of first appearance.
    pub child: u32,
    /// Whether the child is identified by a PMR (`id_type`).
    pub pmr_identified: bool,
    /// Referral date (imputed where missing).
    pub referral: Date,
    /// Whether the referral went on to assessment (`ReferralNFA` = 0 after the mode;
    /// missing counts as assessed).
    pub assessed: bool,
    /// Whether the reason for closure is `RC8` (after the mode).
    pub rc8: bool,
    /// CPP start date, where recorded.
    pub cpp_start: Option<Date>,
    /// Completed years at referral, −1 before birth.
    pub age: i8,
    /// The child's notional birth date (its financial year, named by its end, is the
    /// child's cohort: [`Date::financial_year`]).
    pub dob: Date,
}

/// Age in the R code's years (`trunc(days / 365.25)`, −1 before birth) at `date` for a
/// child born `dob`; `None` at 18 or over.
pub fn age_at(date: Date, dob: Date) -> Option<i8> {
    let age = cumin_census::age::age_in_r_years(dob, date);
    (age < 18).then_some(age as i8)
}

/// The analysis table and where every input row went.
#[derive(Clone, Debug, Default)]
pub struct Prepared {
    /// Rows that reached the analysis table.
    pub rows: Vec<JayRow>,
    /// Fate of every row of the episode table.
    pub fate: Vec<Fate>,
    /// Children (`id_combined` values) numbered in [`JayRow::child`].
    pub children: usize,
}

/// Runs the cleaning steps under `rules`, in the R code's order.
pub fn prepare(input: &JayInput<'_>, rules: &JayRules) -> Prepared {
    Shared::new(input).prepare(rules)
}

/// Identity: a missing LA child ID takes the PMR; key = ID + LA. Each row's key,
/// numbered in order of first appearance, and the number of keys.
///
/// Keys are compared as integers, not text: an LA child ID is its interned index; a PMR
/// standing in for a missing one is the index of the same text among the LA child IDs
/// (so the R code's pasted key is the same), or a number past them if no LA child ID
/// has that text. Most IDs occur in one LA: the key of an ID's first LA sits in an array,
/// any other LA's in a hash map.
fn la_keys(e: &Episodes) -> (Vec<u32>, usize) {
    const NONE: u32 = u32::MAX;
    let n_la = e.la_child_ids.len();
    // Each PMR's number as an ID, looked up once per PMR that stands in for an ID.
    let mut pmr_id: Vec<u32> = vec![NONE; e.pmrs.len()];
    let mut next_id = n_la as u32;
    let mut id_of = |i: usize| -> u32 {
        if let Some(id) = e.la_child_id[i] {
            return id.index() as u32;
        }
        let p = e.pmr[i].expect("rows without any identifier are quarantined at ingest");
        let slot = &mut pmr_id[p.index()];
        if *slot == NONE {
            *slot = e.la_child_ids.lookup(e.pmrs.get(p)).map_or_else(
                || {
                    next_id += 1;
                    next_id - 1
                },
                |id| id.index() as u32,
            );
        }
        *slot
    };
    let mut first: Vec<(Option<u16>, u32)> = vec![(None, NONE); n_la + e.pmrs.len()];
    let mut other: FxHashMap<(u32, Option<u16>), u32> = FxHashMap::default();
    let mut n_keys = 0u32;
    let key: Vec<u32> = (0..e.len())
        .map(|i| {
            let id = id_of(i);
            let la = e.la[i];
            let (first_la, first_key) = &mut first[id as usize];
            if *first_key == NONE {
                (*first_la, *first_key) = (la, n_keys);
            } else if *first_la != la {
                return *other.entry((id, la)).or_insert_with(|| {
                    n_keys += 1;
                    n_keys - 1
                });
            } else {
                return *first_key;
            }
            n_keys += 1;
            n_keys - 1
        })
        .collect();
    (key, n_keys as usize)
}

/// Every row as an age-table row (its birth month left out), in the age table's order.
fn age_order(e: &Episodes, key: &[u32]) -> Vec<u32> {
    let row = |i: usize| AgeRow {
        key: key[i],
        census_year: e.census_year[i],
        referral: e.referral[i],
        ym: None,
    };
    let mut order: Vec<u32> = (0..e.len() as u32).collect();
    order.sort_by_key(|&i| row(i as usize).order());
    order
}

/// The birth month of each key, from the age table; `order` is every row in the age
/// table's order ([`age_order`]).
fn key_birth_months(
    e: &Episodes,
    (key, n_keys): (&[u32], usize),
    order: &[u32],
    rules: &JayRules,
) -> Vec<Option<Ym>> {
    let age_rows: Vec<AgeRow> = order
        .iter()
        .map(|&i| i as usize)
        .filter(|&i| e.la_child_id[i].is_some() || rules.has(JayRule::BirthMonthWithPmrKey))
        .map(|i| AgeRow {
            key: key[i],
            census_year: e.census_year[i],
            referral: e.referral[i],
            ym: Ym::of(
                e.birth_year[i],
                e.birth_month[i],
                rules.has(JayRule::HalfMissingBirthMonth),
            ),
        })
        .collect();
    birth_months_in_order(&age_rows, n_keys)
}

/// Referral and closure dates: after the data end → missing, then the `Latest*`
/// fall-backs.
fn dates_within_data(input: &JayInput<'_>) -> (Vec<Option<Date>>, Vec<Option<Date>>) {
    let e = input.episodes;
    let end = input.data_end;
    let within = |d: Option<Date>| d.filter(|d| *d <= end);
    let mut referral: Vec<Option<Date>> = Vec::with_capacity(e.len());
    let mut closure: Vec<Option<Date>> = Vec::with_capacity(e.len());
    for i in 0..e.len() {
        let latest = input.latest.get(i).unwrap_or((None, None));
        referral.push(within(e.referral[i]).or(within(latest.0)));
        closure.push(within(e.closure[i]).or(within(latest.1)));
    }
    (referral, closure)
}

/// Every row in the order the steps after the early rows take them: key, census year,
/// referral and closure (missing last), ties in row order.
fn kept_order(e: &Episodes, key: &[u32], (referral, closure): DateColumns<'_>) -> Vec<u32> {
    let last_missing = |d: Option<Date>| (d.is_none(), d);
    let mut order: Vec<u32> = (0..e.len() as u32).collect();
    order.sort_by_key(|&i| {
        let i = i as usize;
        (
            key[i],
            e.census_year[i],
            last_missing(referral[i]),
            last_missing(closure[i]),
        )
    });
    order
}

/// Referral and closure dates of every row.
type DateColumns<'a> = (&'a [Option<Date>], &'a [Option<Date>]);

/// Early rows leave (their fate recorded); the rows kept, in the order of `order`
/// ([`kept_order`]), the order the later steps take them in.
fn drop_early_rows(
    input: &JayInput<'_>,
    order: &[u32],
    (referral, closure): DateColumns<'_>,
    rules: &JayRules,
    fate: &mut [Fate],
) -> Vec<u32> {
    let start = input.data_start;
    for (i, f) in fate.iter_mut().enumerate() {
        if referral[i].is_some_and(|d| d < start) {
            *f = Fate::ReferralBeforeDataStart;
        } else if !rules.has(JayRule::KeepClosureBeforeDataStart)
            && closure[i].is_some_and(|d| d < start)
        {
            *f = Fate::ClosureBeforeDataStart;
        }
    }
    order
        .iter()
        .copied()
        .filter(|&i| fate[i as usize] == Fate::Kept)
        .collect()
}

/// PMR back-fill within a key, in the order of `kept`.
fn backfill_pmrs(e: &Episodes, kept: &[u32], key: &[u32], rules: &JayRules) -> Vec<Option<IdRef>> {
    let mut pmr: Vec<Option<IdRef>> = vec![None; e.len()];
    for run in kept.chunk_by(|a, b| key[*a as usize] == key[*b as usize]) {
        let first = run.iter().find_map(|&i| e.pmr[i as usize]);
        for &i in run {
            let i = i as usize;
            pmr[i] = if rules.has(JayRule::PmrFillKeepsOwn) {
                e.pmr[i].or(first)
            } else {
                first
            };
        }
    }
    pmr
}

/// NFA and reason for closure: the mode per (key, referral date). Whether each row was
/// assessed, and whether its reason is `RC8`.
fn modal_nfa_and_reason(
    input: &JayInput<'_>,
    kept: &[u32],
    key: &[u32],
    (referral, imputed): (&[Date], &[bool]),
    rules: &JayRules,
) -> (Vec<bool>, Vec<bool>) {
    let e = input.episodes;
    let reasons = match (
        rules.has(JayRule::TolerantReasonSpelling),
        input.reason_tolerant,
    ) {
        (true, Some(t)) => t,
        (true, None) => panic!("the tolerant reason spelling was not read"),
        (false, _) => input.reason_strict,
    };
    let separate = rules.has(JayRule::ImputedReferralSeparate);
    let mut assessed = vec![true; e.len()];
    let mut rc8 = vec![false; e.len()];
    let group = |i: u32| {
        let i = i as usize;
        (referral[i], separate && imputed[i])
    };
    let mut run: Vec<u32> = Vec::new();
    for rows in kept.chunk_by(|a, b| key[*a as usize] == key[*b as usize]) {
        run.clear();
        run.extend_from_slice(rows);
        // Stable: within a group the rows keep their order, which breaks ties of modes.
        run.sort_by_key(|&i| group(i));
        for g in run.chunk_by(|a, b| group(*a) == group(*b)) {
            let nfa = r_mode(g.iter().map(|&i| e.nfa[i as usize]));
            let reason = r_mode(g.iter().map(|&i| reasons[i as usize]));
            for &i in g {
                assessed[i as usize] = nfa != Some(true);
                rc8[i as usize] = reason == Some(cumin_census::codes::RC_NO_FURTHER_ACTION);
            }
        }
    }
    (assessed, rc8)
}

/// `id_combined`: the PMR where there is one, else the key. Each kept row's child,
/// numbered in order of first appearance among the kept rows, and the number of
/// children. (A PMR and a key are different values of `id_combined`: the key has the
/// LA pasted to it.)
fn combined_ids(
    kept: &[u32],
    (key, n_keys): (&[u32], usize),
    (pmr, n_pmrs): (&[Option<IdRef>], usize),
) -> (Vec<u32>, usize) {
    const NONE: u32 = u32::MAX;
    // The child of each PMR (indices 0..n_pmrs) and of each key (after them).
    let mut child_of = vec![NONE; n_pmrs + n_keys];
    let mut n_children = 0u32;
    let mut child = vec![0u32; key.len()];
    for &i in kept {
        let i = i as usize;
        let k = pmr[i].map_or(n_pmrs + key[i] as usize, IdRef::index);
        if child_of[k] == NONE {
            child_of[k] = n_children;
            n_children += 1;
        }
        child[i] = child_of[k];
    }
    (child, n_children as usize)
}

/// The notional birth date of each kept row's child: its key's birth month, reset by a
/// referral long before it, then the child's earliest; the expected date of birth where
/// none is known, reset and minimised again. `kept` may be in any order (the minimum
/// of a child's dates does not depend on it).
fn birth_dates(
    e: &Episodes,
    kept: &[u32],
    (key, key_dob): (&[u32], &[Option<Date>]),
    referral: &[Date],
    (child, n_children): (&[u32], usize),
    rules: &JayRules,
) -> Vec<Option<Date>> {
    let mut dob: Vec<Option<Date>> = vec![None; e.len()];
    for &i in kept {
        let i = i as usize;
        dob[i] = key_dob[key[i] as usize];
    }
    let keep_known = rules.has(JayRule::DobMinIgnoresMissing);
    let reset_and_min = |dob: &mut Vec<Option<Date>>| {
        for &i in kept {
            let i = i as usize;
            if dob[i].is_some_and(|d| referral[i].days_since(d) < -PREBIRTH_DAYS) {
                dob[i] = Some(referral[i]);
            }
        }
        // Per child: the earliest date; without the correction, missing if any is.
        let mut min: Vec<Option<Option<Date>>> = vec![None; n_children];
        for &i in kept {
            let i = i as usize;
            let m = &mut min[child[i] as usize];
            *m = Some(match (*m, dob[i]) {
                (None, d) => d,
                (Some(Some(a)), Some(b)) => Some(a.min(b)),
                (Some(None), d) if keep_known => d,
                (Some(Some(a)), None) if keep_known => Some(a),
                (Some(None), _) | (Some(Some(_)), None) => None,
            });
        }
        for &i in kept {
            let i = i as usize;
            dob[i] = min[child[i] as usize].flatten();
        }
    };
    reset_and_min(&mut dob);
    for &i in kept {
        let i = i as usize;
        if dob[i].is_none() {
            dob[i] = e.expected_dob[i];
        }
    }
    reset_and_min(&mut dob);
    dob
}

/// Whether each child loses its birth date: its first row (by census year, referral) is
/// at over 25.
fn wiped_birth_dates(
    e: &Episodes,
    kept: &[u32],
    referral: &[Date],
    dob: &[Option<Date>],
    (child, n_children): (&[u32], usize),
) -> Vec<bool> {
    let mut first: Vec<Option<u32>> = vec![None; n_children];
    for &i in kept {
        let iu = i as usize;
        let f = &mut first[child[iu] as usize];
        let earlier = f.is_none_or(|j| {
            let j = j as usize;
            (e.census_year[iu], referral[iu]) < (e.census_year[j], referral[j])
        });
        if earlier {
            *f = Some(i);
        }
    }
    first
        .iter()
        .map(|f| {
            f.is_some_and(|j| {
                let j = j as usize;
                dob[j].is_some_and(|d| {
                    f64::from(referral[j].days_since(d)) > OLDEST_FIRST_CONTACT_DAYS
                })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_census::{CensusYear, EpisodeRow};

    struct Row {
        cy: i16,
        la_id: Option<&'static str>,
        pmr: Option<&'static str>,
        ym: (Option<i16>, Option<u8>),
        referral: Option<Date>,
        nfa: Option<bool>,
    }

    fn row(cy: i16, la_id: Option<&'static str>, referral: Option<Date>) -> Row {
        Row {
            cy,
            la_id,
            pmr: None,
            ym: (Some(2012), Some(6)),
            referral,
            nfa: Some(false),
        }
    }

    fn episodes(rows: &[Row]) -> Episodes {
        let mut e = Episodes::new();
        for (i, r) in rows.iter().enumerate() {
            let mut x = EpisodeRow::empty(0, i as u32 + 1, CensusYear(r.cy));
            x.la_child_id = r.la_id.map(str::to_owned);
            x.pmr = r.pmr.map(str::to_owned);
            x.la = Some(202);
            x.birth_year = r.ym.0;
            x.birth_month = r.ym.1;
            x.referral = r.referral;
            x.nfa = r.nfa;
            e.push(x);
        }
        e
    }

    fn run(e: &Episodes, rules: &JayRules) -> Prepared {
        let latest = LatestDates::default();
        let reasons = vec![None; e.len()];
        let input = JayInput {
            episodes: e,
            latest: &latest,
            data_end: Date::ymd(2019, 3, 31),
            data_start: Date::ymd(2008, 4, 1),
            reason_strict: &reasons,
            reason_tolerant: Some(&reasons),
        };
        prepare(&input, rules)
    }

    /// Keys as the R code pastes them, numbered in order of first appearance: the
    /// reference [`la_keys`] must equal.
    fn keys_by_text(e: &Episodes) -> (Vec<u32>, usize) {
        let mut index: std::collections::HashMap<(String, Option<u16>), u32> =
            std::collections::HashMap::new();
        let key = (0..e.len())
            .map(|i| {
                let id = e.la_child_id_str(i).or_else(|| e.pmr_str(i)).unwrap();
                let next = index.len() as u32;
                *index.entry((id.to_owned(), e.la[i])).or_insert(next)
            })
            .collect();
        (key, index.len())
    }

    #[test]
    fn integer_keys_equal_the_pasted_text_keys() {
        // IDs and PMRs drawn from one pool of texts, so a PMR standing in for a missing
        // ID often has the text of some LA child ID; IDs recur across LAs.
        let mut state = 7u64;
        let mut next = |m: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % m
        };
        for n in [1, 10, 200, 3000] {
            let mut e = Episodes::new();
            for i in 0..n {
                let mut x = EpisodeRow::empty(0, i as u32 + 1, CensusYear(2013));
                x.la_child_id = (next(3) != 0).then(|| format!("X{}", next(40)));
                x.pmr = (x.la_child_id.is_none() || next(2) == 0).then(|| format!("X{}", next(60)));
                x.la = [None, Some(201), Some(202), Some(203)][next(4) as usize];
                e.push(x);
            }
            assert_eq!(la_keys(&e), keys_by_text(&e), "{n} rows");
        }
    }

    #[test]
    fn a_key_made_from_a_pmr_gets_a_birth_month_only_with_the_correction() {
        let mut r = row(2013, None, Some(Date::ymd(2013, 1, 1)));
        r.pmr = Some("P1");
        let e = episodes(&[r]);
        let strict = run(&e, &JayRules::strict());
        assert_eq!(strict.fate, [Fate::NoBirthDate]);
        let fixed = run(&e, &JayRules::only(JayRule::BirthMonthWithPmrKey));
        assert_eq!(fixed.fate, [Fate::Kept]);
        assert_eq!(fixed.rows[0].dob.financial_year(), 2013);
        assert_eq!(fixed.rows[0].age, 0);
        assert!(fixed.rows[0].pmr_identified);
    }

    #[test]
    fn a_half_missing_birth_month_wins_the_mode_only_without_the_correction() {
        let full = row(2013, Some("A"), Some(Date::ymd(2013, 1, 1)));
        let mut half = row(2014, Some("A"), Some(Date::ymd(2013, 6, 1)));
        half.ym = (None, Some(6));
        let e = episodes(&[full, half]);
        assert_eq!(
            run(&e, &JayRules::strict()).fate,
            [Fate::NoBirthDate, Fate::NoBirthDate]
        );
        let fixed = run(&e, &JayRules::only(JayRule::HalfMissingBirthMonth));
        assert_eq!(fixed.rows.len(), 2);
        assert_eq!(fixed.rows[0].dob.financial_year(), 2013);
    }

    #[test]
    fn an_imputed_referral_takes_a_real_referrals_nfa_only_without_the_correction() {
        let sept = Date::ymd(2012, 9, 1);
        let mut real1 = row(2013, Some("A"), Some(sept));
        real1.nfa = Some(true);
        let mut real2 = row(2014, Some("A"), Some(sept));
        real2.nfa = Some(true);
        let imputed = row(2013, Some("A"), None);
        let e = episodes(&[real1, real2, imputed]);
        let strict = run(&e, &JayRules::strict());
        assert!(
            strict
                .rows
                .iter()
                .all(|r| !r.assessed && r.referral == sept)
        );
        let fixed = run(&e, &JayRules::only(JayRule::ImputedReferralSeparate));
        let assessed: Vec<bool> = fixed.rows.iter().map(|r| r.assessed).collect();
        assert_eq!(assessed, [false, false, true]);
    }

    #[test]
    fn a_referral_long_before_the_notional_birth_resets_it_and_late_first_contact_wipes_it() {
        // Born June 2012 by the record, referred in March 2011: the birth date becomes
        // the referral date, for every row of the child.
        let early = row(2011, Some("A"), Some(Date::ymd(2011, 3, 1)));
        let later = row(2013, Some("A"), Some(Date::ymd(2012, 3, 2)));
        let p = run(&episodes(&[early, later]), &JayRules::strict());
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[0].age, 0);
        assert_eq!(p.rows[1].age, 1);
        assert_eq!(p.rows[0].dob.financial_year(), 2011);
        // First contact (by census year) at over 25 removes the child.
        let mut old = row(2009, Some("B"), Some(Date::ymd(2018, 6, 1)));
        old.ym = (Some(1993), Some(1));
        let mut young = row(2010, Some("B"), Some(Date::ymd(2010, 6, 1)));
        young.ym = (Some(1993), Some(1));
        let p = run(&episodes(&[old, young]), &JayRules::corrected());
        assert_eq!(p.fate, [Fate::NoBirthDate, Fate::NoBirthDate]);
    }
}
