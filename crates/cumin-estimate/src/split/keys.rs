//! The keys of the split-identity correction: every LA key (one LA's record of a child)
//! with what the extract shows about it, the PMR diagnostics of its rows, and the order of
//! the keys inside each linked child (which key follows which, which pairs are seen).

use crate::split::CLASS_AGES;
use cumin_census::codes::RC_TRANSFERRED;
use cumin_census::{CensusYear, Date, Episodes};
use cumin_cohort::{EventRules, Identity};
use cumin_link::transfer::TRANSFER_WINDOW_DAYS;
use cumin_link::{ChildId, ids::NO_KEY};
use rayon::prelude::*;
use table::{Acc, KeyTable, key_table, scan_rows};

mod table;

/// Rows needed at an age for the persistence `κ` to be read from the rows themselves;
/// below it `κ = φ / h` (the row-by-row reading).
const MIN_PERSISTENCE_ROWS: f64 = 200.0;

/// Oldest ages whose keys define `h`, the share of children who ever carry a PMR: well
/// into school age, before the oldest years' lower coverage.
const REFERENCE_AGES: std::ops::RangeInclusive<usize> = 7..=13;

/// Bands of ages `θ` is read in, one `θ` each: before school age, where a PMR comes from
/// the early-years census (funded early education, taken up or not, and the only place a
/// family's circumstances can delay a match), and school age, where every child is in the
/// school census.
pub const BANDS: usize = 2;
/// The first age (31 March) of the school band: from 5 every child is in the school census.
pub const SCHOOL_AGE: usize = 5;

/// The band of an age.
pub fn band(age: usize) -> usize {
    usize::from(age >= SCHOOL_AGE)
}

/// What a key's status says about its successor (the next key of the same child).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// The key carries no PMR and its linked child holds no later key: a successor, if
    /// any, is hidden (unless the transfer rule would have joined it).
    NoPmr,
    /// The key carries a PMR but its linked child holds no later key: a successor, if
    /// any, carried no PMR (or is joined to it by nothing).
    PmrNoLater,
    /// Its linked child holds a later key: the successor is seen.
    HasLater,
}

/// One key with an in-window referral and a usable child.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Key {
    /// The linked child (the smallest, for a key the conflict policy split).
    pub child: ChildId,
    /// Oldest age on its rows at the census date (31 March), 0..=17.
    pub oldest: u8,
    /// Its rows.
    pub rows: u32,
    /// Whether a row carries a PMR.
    pub pmr: bool,
    /// Its last episode (by referral date) was closed as a transfer (`RC5`).
    pub rc5: bool,
    /// Decile group of its last episode: 0 for deciles 1–3, 2 for 8–10, else 1.
    pub decile_group: u8,
    /// Census years between its last row and the data's last: `min(·, 8)`.
    pub follow_up: u8,
    /// Its first in-window referral.
    pub first_referral: Date,
    /// Age at that referral (0..=17).
    pub first_referral_age: u8,
    /// Age at its last in-window referral (0..=17): where the delay to a successor's
    /// first event is counted from.
    pub last_referral_age: u8,
    /// Chance the key carries the PMR given its child was matched before it:
    /// `ρ = 1 − Π_rows (1 − κ(age))`.
    pub carries_if_matched: f64,
    /// What its linked child says about its successor.
    pub status: Status,
    /// Whether its linked child holds a later key carrying a PMR (the successor model's
    /// response, for keys with a PMR).
    pub later_pmr: bool,
}

/// Row-level PMR diagnostics by age on the census date.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowShares {
    /// Rows at each age.
    pub rows: [f64; CLASS_AGES],
    /// Of them, rows carrying a PMR.
    pub with_pmr: [f64; CLASS_AGES],
    /// Rows at each age whose key carried a PMR on a row of an earlier census year.
    pub after_pmr: [f64; CLASS_AGES],
    /// Of them, rows carrying a PMR.
    pub after_pmr_with: [f64; CLASS_AGES],
    /// Rows at each age whose key carried a PMR in an earlier census year *and* has a
    /// seen successor (its linked child holds a later key: the child moved later).
    pub after_pmr_moving: [f64; CLASS_AGES],
    /// Of them, rows carrying a PMR. Against `after_pmr_with / after_pmr`, the check of
    /// assumption 1 (docs/methods.md §2.1): if PMR presence on a child's early rows does
    /// not depend on whether the child moves later, the two persistences agree.
    pub after_pmr_moving_with: [f64; CLASS_AGES],
    /// Share of children who ever carry a PMR (`h`: keys of the reference ages with
    /// three or more rows).
    pub h: f64,
    /// The same check key by key: each key with a seen successor and rows after its first
    /// PMR year, with those rows by age and whether one of them still carries the PMR, per
    /// band of ages ([`BANDS`]). A key is one observation however
    /// many rows it has (its rows share a child).
    pub moving_keys: Vec<MovingKey>,
}

/// A key whose child is seen to move later (a seen successor), its rows after the census
/// year of its first PMR: how many at each age, and whether any still carries the PMR,
/// in each band of ages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MovingKey {
    /// Rows after its first PMR year, by age (at most 255 counted per age).
    pub after_rows: [u8; CLASS_AGES],
    /// Per band: whether one of those rows at the band's ages carries the PMR.
    pub carried: [bool; BANDS],
}

impl RowShares {
    /// `φ(age)`: the share of rows carrying a PMR.
    pub fn phi(&self, age: usize) -> Option<f64> {
        (self.rows[age] > 0.0).then(|| self.with_pmr[age] / self.rows[age])
    }

    /// `κ(age)` read from the rows: the share carrying a PMR among rows whose key carried
    /// one in an earlier census year (`None` with fewer than 200 such rows).
    pub fn persistence(&self, age: usize) -> Option<f64> {
        (self.after_pmr[age] >= MIN_PERSISTENCE_ROWS)
            .then(|| self.after_pmr_with[age] / self.after_pmr[age])
    }

    /// `κ(age)` as the correction uses it: the persistence where enough rows show it,
    /// else the persistence of the nearest age where they do (the older first: at the
    /// youngest ages few keys have an earlier year, and persistence is a property of the
    /// mechanism, not of the age), else `φ / h` (at most 1).
    pub fn kappa(&self, age: usize) -> f64 {
        let nearest = (0..CLASS_AGES).find_map(|step| {
            self.persistence((age + step).min(CLASS_AGES - 1))
                .or_else(|| age.checked_sub(step).and_then(|a| self.persistence(a)))
        });
        nearest.unwrap_or_else(|| {
            let phi = self.phi(age).unwrap_or(0.0);
            if self.h > 0.0 {
                (phi / self.h).min(1.0)
            } else {
                1.0
            }
        })
    }
}

/// One seen pair: consecutive PMR keys of one linked child.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pair {
    /// Index of the earlier key in [`Keys::keys`].
    pub from: u32,
    /// Index of the later key.
    pub to: u32,
    /// Whether the transfer rule could have joined it had it been split (an `RC5`
    /// closure of the earlier key, the later key's first referral within the transfer
    /// window in another LA).
    pub transfer_like: bool,
}

/// Every key, the rows' PMR diagnostics and the seen pairs.
#[derive(Clone, Debug, Default)]
pub struct Keys {
    /// Keys with an in-window referral and a usable child, by child then first referral.
    pub keys: Vec<Key>,
    /// Row-level diagnostics.
    pub rows: RowShares,
    /// Seen pairs.
    pub pairs: Vec<Pair>,
    /// Each key's index in [`Keys::keys`] by key number (`u32::MAX`: not a key used);
    /// empty in a built correction ([`crate::split::SplitInputs::read`] frees it).
    pub index_of_key: Vec<u32>,
}

/// A row's age when it has no linked child or no date of birth.
const NO_AGE: u8 = u8::MAX;

impl Keys {
    /// The keys of `identity`'s children (transfer pairs joined), from the extract's rows
    /// (`episodes`) and the episode set; in-window by `rules`.
    pub fn build(episodes: &Episodes, identity: &Identity, rules: &EventRules) -> Keys {
        let linkage = &identity.linkage;
        let n_keys = key_numbers(linkage);
        // Each row's age at the end of its census year (every pass over the rows reads
        // it), found again after the key table: freed while the table is built, where the
        // key-table step's memory peaks.
        let ages = ages_of_rows(episodes, identity);
        let acc = scan_rows(episodes, identity, n_keys, &age_lookup(linkage, &ages));
        let rows = row_shares(episodes, identity, &acc, &age_lookup(linkage, &ages));
        drop(ages);
        let last_year = episodes.last_census_year().map_or(0, |y| y.0);
        let KeyTable {
            mut keys,
            index_of_key,
            first_pmr_year,
        } = key_table(identity, rules, acc, last_year);
        let ages = ages_of_rows(episodes, identity);
        let age_of_row = age_lookup(linkage, &ages);
        // ρ per key from κ over its rows: `log Π (1 − κ)` summed on the key itself, row by
        // row in the rows' order (the same sums as a table by key number).
        let kappa: Vec<f64> = (0..CLASS_AGES).map(|a| rows.kappa(a)).collect();
        for k in &mut keys {
            k.carries_if_matched = 0.0;
        }
        for i in 0..episodes.len() {
            let k = linkage.key_of_row[i];
            if k == NO_KEY {
                continue;
            }
            let index = index_of_key[k as usize];
            if index == u32::MAX {
                continue;
            }
            if let Some((_, age)) = age_of_row(i) {
                keys[index as usize].carries_if_matched += (1.0 - kappa[age]).max(0.0).ln();
            }
        }
        for k in &mut keys {
            k.carries_if_matched = 1.0 - k.carries_if_matched.exp();
        }
        let pairs = order_within_children(&mut keys, identity, &index_of_key);
        let mut rows = rows;
        moving_persistence(
            &mut rows,
            episodes,
            identity,
            &first_pmr_year,
            &keys,
            &index_of_key,
            &age_of_row,
        );
        Keys {
            keys,
            rows,
            pairs,
            index_of_key,
        }
    }

    /// Each key's rows by age at the census date (at most 255 counted per age), in the
    /// order of [`Keys::keys`]: what `ρ` is recomputed from when movers' rows carry the
    /// PMR less often ([`crate::split::mobility`]). Read again from the rows, and only
    /// where that adjustment is made, rather than kept on every key (18 bytes a key,
    /// ~0.2 GiB at England scale with the scan's copy).
    pub fn row_ages(&self, episodes: &Episodes, identity: &Identity) -> Vec<[u8; CLASS_AGES]> {
        let ages = ages_of_rows(episodes, identity);
        let mut out = vec![[0u8; CLASS_AGES]; self.keys.len()];
        for (i, age) in ages.iter().enumerate() {
            let k = identity.linkage.key_of_row[i];
            if k == NO_KEY || *age == NO_AGE || identity.linkage.child_of_row[i].is_none() {
                continue;
            }
            let Some(&index) = self.index_of_key.get(k as usize) else {
                continue;
            };
            if index != u32::MAX {
                let slot = &mut out[index as usize][usize::from(*age)];
                *slot = slot.saturating_add(1);
            }
        }
        out
    }
}

/// A row's linked child and age (as [`ages_of_rows`] found it), if it has both.
fn age_lookup<'a>(
    linkage: &'a cumin_link::Linkage,
    ages: &'a [u8],
) -> impl Fn(usize) -> Option<(u32, usize)> + Sync + 'a {
    move |i| {
        let c = linkage.child_of(i)?;
        (ages[i] != NO_AGE).then(|| (c.0, usize::from(ages[i])))
    }
}

/// Each row's age at the end of its census year (`NO_AGE` without a child or a birth
/// date), clamped to the model's ages.
fn ages_of_rows(episodes: &Episodes, identity: &Identity) -> Vec<u8> {
    let (linkage, children) = (&identity.linkage, &identity.children);
    (0..episodes.len())
        .into_par_iter()
        .map(|i| {
            let Some(dob) = linkage.child_of(i).and_then(|c| children.dob[c.index()]) else {
                return NO_AGE;
            };
            let on = CensusYear::end(episodes.census_year[i]);
            cumin_census::age_at(dob, on).clamp(0, CLASS_AGES as i32 - 1) as u8
        })
        .collect()
}

/// `φ` and `κ` counts by age, and `h`.
fn row_shares(
    episodes: &Episodes,
    identity: &Identity,
    acc: &[Acc],
    age_of_row: &impl Fn(usize) -> Option<(u32, usize)>,
) -> RowShares {
    let linkage = &identity.linkage;
    let mut r = RowShares::default();
    for i in 0..episodes.len() {
        let k = linkage.key_of_row[i];
        if k == NO_KEY {
            continue;
        }
        let Some((_, age)) = age_of_row(i) else {
            continue;
        };
        let has = f64::from(u8::from(episodes.pmr[i].is_some()));
        r.rows[age] += 1.0;
        r.with_pmr[age] += has;
        if acc[k as usize].first_pmr_year < episodes.census_year[i].0 {
            r.after_pmr[age] += 1.0;
            r.after_pmr_with[age] += has;
        }
    }
    let (mut with, mut all) = (0.0, 0.0);
    for s in acc.iter().filter(|s| s.child != u32::MAX && s.rows >= 3) {
        if REFERENCE_AGES.contains(&(s.oldest as usize)) {
            all += 1.0;
            with += f64::from(u8::from(s.pmr));
        }
    }
    r.h = if all > 0.0 { with / all } else { 1.0 };
    r
}

/// The persistence counts of keys with a seen successor (`after_pmr_moving*`), and the
/// same key by key (`moving_keys`), once the keys' statuses are known.
fn moving_persistence(
    r: &mut RowShares,
    episodes: &Episodes,
    identity: &Identity,
    first_pmr_year: &[i16],
    keys: &[Key],
    index_of_key: &[u32],
    age_of_row: &impl Fn(usize) -> Option<(u32, usize)>,
) {
    let linkage = &identity.linkage;
    let mut by_key = std::collections::BTreeMap::<u32, MovingKey>::new();
    for i in 0..episodes.len() {
        let k = linkage.key_of_row[i];
        if k == NO_KEY || first_pmr_year[k as usize] >= episodes.census_year[i].0 {
            continue;
        }
        let index = index_of_key[k as usize];
        if index == u32::MAX || keys[index as usize].status != Status::HasLater {
            continue;
        }
        let Some((_, age)) = age_of_row(i) else {
            continue;
        };
        let has = episodes.pmr[i].is_some();
        r.after_pmr_moving[age] += 1.0;
        r.after_pmr_moving_with[age] += f64::from(u8::from(has));
        let m = by_key.entry(index).or_default();
        m.after_rows[age] = m.after_rows[age].saturating_add(1);
        m.carried[band(age)] |= has;
    }
    r.moving_keys = by_key.into_values().collect();
}

/// Sets each key's status and `later_pmr` from the keys of its linked child in order of
/// first referral, and returns the seen pairs (consecutive PMR keys of a child).
fn order_within_children(keys: &mut [Key], identity: &Identity, index_of_key: &[u32]) -> Vec<Pair> {
    let set = &identity.episodes;
    let linkage = &identity.linkage;
    // Each child's episode range, to test a pair for the transfer rule's pattern: the
    // episode set and the keys are both in child order.
    let mut by_child = set.by_child().peekable();
    let mut pairs = Vec::new();
    let mut start = 0;
    while start < keys.len() {
        let child = keys[start].child;
        let end = start
            + keys[start..]
                .iter()
                .take_while(|k| k.child == child)
                .count();
        let mut later_pmr = false;
        for i in (start..end).rev() {
            keys[i].later_pmr = later_pmr;
            keys[i].status = if i + 1 < end {
                Status::HasLater
            } else if keys[i].pmr {
                Status::PmrNoLater
            } else {
                Status::NoPmr
            };
            later_pmr |= keys[i].pmr;
        }
        let pmr_keys: Vec<usize> = (start..end).filter(|&i| keys[i].pmr).collect();
        while by_child.peek().is_some_and(|(c, _)| *c < child) {
            by_child.next();
        }
        let range = by_child
            .peek()
            .filter(|(c, _)| *c == child)
            .map(|(_, r)| r.clone());
        for w in pmr_keys.windows(2) {
            let (a, b) = (w[0], w[1]);
            let transfer_like = range
                .clone()
                .is_some_and(|r| transfer_like(set, linkage, index_of_key, r, a as u32, &keys[b]));
            pairs.push(Pair {
                from: a as u32,
                to: b as u32,
                transfer_like,
            });
        }
        start = end;
    }
    pairs
}

/// Whether an episode of key `from` (by index) closed as a transfer (`RC5`) at most the
/// transfer window before key `to`'s first referral, in another LA.
fn transfer_like(
    set: &cumin_link::EpisodeSet,
    linkage: &cumin_link::Linkage,
    index_of_key: &[u32],
    episodes: std::ops::Range<usize>,
    from: u32,
    to: &Key,
) -> bool {
    let key_index = |e: usize| {
        let k = linkage.key_of_row[set.last_row[e] as usize];
        (k != NO_KEY).then(|| index_of_key[k as usize])
    };
    let Some(b) = episodes
        .clone()
        .find(|&e| set.referral[e] == to.first_referral && key_index(e) != Some(from))
    else {
        return false;
    };
    episodes.into_iter().any(|e| {
        key_index(e) == Some(from)
            && set.reason_for_closure[e] == Some(RC_TRANSFERRED)
            && set.la[e] != set.la[b]
            && set.closure[e].is_some_and(|d| {
                (0..=TRANSFER_WINDOW_DAYS).contains(&to.first_referral.days_since(d))
            })
    })
}

/// How many key numbers `linkage` gives its rows (one more than the largest).
pub(super) fn key_numbers(linkage: &cumin_link::Linkage) -> usize {
    linkage
        .key_of_row
        .iter()
        .filter(|k| **k != NO_KEY)
        .map(|k| *k as usize + 1)
        .max()
        .unwrap_or(0)
}
