//! The key table of the split correction built in little memory: the rows' per-key
//! accumulator ([`scan_rows`]), then the keys with an in-window referral written once,
//! in key-number order, their referrals filled in from the episode set and the table put
//! in its order (by child, first referral, key number) in place ([`key_table`]).

use crate::split::CLASS_AGES;
use crate::split::keys::{Key, Status};
use cumin_census::codes::RC_TRANSFERRED;
use cumin_census::{Date, Episodes};
use cumin_cohort::{EventRules, Identity};
use cumin_link::{ChildId, ids::NO_KEY};
use rayon::prelude::*;

/// Per key number, what the rows say (accumulated by min, max, sum and or).
#[derive(Clone, Copy)]
pub(super) struct Acc {
    pub(super) child: u32,
    pub(super) oldest: i8,
    pub(super) rows: u32,
    pub(super) pmr: bool,
    pub(super) last_year: i16,
    pub(super) first_pmr_year: i16,
    pub(super) decile: Option<u8>,
}

/// Per key number: child, oldest age, rows, PMR, last census year, first census year
/// with a PMR on a row, and the decile of its latest row. Each thread owns a range of
/// keys and scans every row for them (the rows of a key are scattered; every update is a
/// min, max, sum or or, so the result does not depend on the threads).
pub(super) fn scan_rows(
    episodes: &Episodes,
    identity: &Identity,
    n_keys: usize,
    age_of_row: &(impl Fn(usize) -> Option<(u32, usize)> + Sync),
) -> Vec<Acc> {
    let linkage = &identity.linkage;
    let mut state = vec![
        Acc {
            child: u32::MAX,
            oldest: i8::MIN,
            rows: 0,
            pmr: false,
            last_year: i16::MIN,
            first_pmr_year: i16::MAX,
            decile: None,
        };
        n_keys
    ];
    let chunk = n_keys.div_ceil(rayon::current_num_threads().max(1)).max(1);
    state
        .par_chunks_mut(chunk)
        .enumerate()
        .for_each(|(j, part)| {
            let (lo, hi) = ((j * chunk) as u32, (j * chunk + part.len()) as u32);
            for i in 0..episodes.len() {
                let k = linkage.key_of_row[i];
                if k == NO_KEY || k < lo || k >= hi {
                    continue;
                }
                let Some((c, age)) = age_of_row(i) else {
                    continue;
                };
                let s = &mut part[(k - lo) as usize];
                let year = episodes.census_year[i].0;
                s.child = s.child.min(c);
                s.oldest = s.oldest.max(age as i8);
                s.rows += 1;
                s.pmr |= linkage.pmr_identified[i];
                if episodes.pmr[i].is_some() {
                    s.first_pmr_year = s.first_pmr_year.min(year);
                }
                // The latest row's decile (ties: the larger, so the order of rows does
                // not matter).
                let d = episodes.idaci_decile[i];
                if year > s.last_year || (year == s.last_year && d > s.decile) {
                    s.decile = d;
                }
                s.last_year = s.last_year.max(year);
            }
        });
    state
}

/// The keys in their order, each key's index in it by key number (`u32::MAX`: not a
/// key), and each key number's first census year with a PMR on a row.
pub(super) struct KeyTable {
    pub(super) keys: Vec<Key>,
    pub(super) index_of_key: Vec<u32>,
    pub(super) first_pmr_year: Vec<i16>,
}

/// The keys with an in-window referral (at an age under 18) and a usable child, from the
/// rows' accumulator `acc` (consumed: freed once the keys are written) and the episode
/// set: first referral and its age, age at the last in-window referral, whether the
/// latest episode closed as a transfer (of two on one date, the one that did). By child,
/// then first referral, then key number; status not yet known.
pub(super) fn key_table(
    identity: &Identity,
    rules: &EventRules,
    acc: Vec<Acc>,
    last_year: i16,
) -> KeyTable {
    let (linkage, set, children) = (&identity.linkage, &identity.episodes, &identity.children);
    let key_of = |e: usize| {
        let k = linkage.key_of_row[set.last_row[e] as usize];
        (k != NO_KEY).then_some(k as usize)
    };
    let dob_of = |e: usize| children.dob[set.child[e].index()];
    // Which key numbers are keys: a usable child and an in-window referral.
    let mut kept = vec![false; acc.len()];
    for e in 0..set.len() {
        if let Some(k) = key_of(e)
            && acc[k].child != u32::MAX
            && let Some(dob) = dob_of(e)
            && crate::split::in_window_age(dob, set.referral[e], rules).is_some()
        {
            kept[k] = true;
        }
    }
    // The keys written once, from the accumulator's end while it shrinks, so that the
    // two never hold their full size together: in reverse key-number order, reversed in
    // place after.
    let first_pmr_year: Vec<i16> = acc.iter().map(|s| s.first_pmr_year).collect();
    let mut index_of_key = vec![u32::MAX; acc.len()];
    let n = kept.iter().filter(|k| **k).count();
    let mut keys = Vec::with_capacity(n);
    let mut acc = acc;
    while let Some(s) = acc.pop() {
        if acc.capacity() - acc.len() >= SHRINK_STEP {
            acc.shrink_to_fit();
        }
        let k = acc.len();
        if !kept[k] {
            continue;
        }
        keys.push(Key {
            child: ChildId(s.child),
            oldest: s.oldest.clamp(0, CLASS_AGES as i8 - 1) as u8,
            rows: s.rows,
            pmr: s.pmr,
            rc5: false,
            follow_up: (last_year - s.last_year).clamp(0, 8) as u8,
            decile_group: match s.decile {
                Some(1..=3) => 0,
                Some(8..=10) => 2,
                _ => 1,
            },
            // Set from the referrals below: every key has an in-window referral.
            first_referral: rules.window_start,
            first_referral_age: 0,
            last_referral_age: 0,
            carries_if_matched: 1.0,
            status: Status::NoPmr,
            later_pmr: false,
        });
        index_of_key[k] = (n - keys.len()) as u32;
    }
    drop((acc, kept));
    keys.reverse();
    // Each key's referrals, from its episodes (8 bytes a key while they are read: its
    // first in-window referral is the key's own, set when the first is seen).
    let mut seen = vec![Referrals::default(); keys.len()];
    for e in 0..set.len() {
        let Some(k) = key_of(e) else { continue };
        let i = index_of_key[k];
        if i == u32::MAX {
            continue;
        }
        let Some(dob) = dob_of(e) else { continue };
        let (r, key) = (&mut seen[i as usize], &mut keys[i as usize]);
        let referral = set.referral[e];
        let rc5 = set.reason_for_closure[e] == Some(RC_TRANSFERRED);
        if r.last.is_none_or(|d| (referral, rc5) > (d, key.rc5)) {
            (r.last, key.rc5) = (Some(referral), rc5);
        }
        let Some(age) = crate::split::in_window_age(dob, referral, rules) else {
            continue;
        };
        // No in-window referral seen yet: none is the first yet either.
        if r.last_in.is_none() || referral < key.first_referral {
            (key.first_referral, key.first_referral_age) = (referral, age);
        }
        if r.last_in.is_none_or(|d| referral > d) {
            (r.last_in, key.last_referral_age) = (Some(referral), age);
        }
    }
    drop(seen);
    // The table's order, sorted in place: each key's key number rides in
    // `carries_if_matched` (exact in an `f64`) to break ties as the key number does and to
    // find each key's new place, then is reset.
    for (k, i) in index_of_key.iter().enumerate() {
        if *i != u32::MAX {
            keys[*i as usize].carries_if_matched = k as f64;
        }
    }
    keys.sort_unstable_by(|a, b| {
        (a.child, a.first_referral)
            .cmp(&(b.child, b.first_referral))
            .then(a.carries_if_matched.total_cmp(&b.carries_if_matched))
    });
    for (i, key) in keys.iter_mut().enumerate() {
        index_of_key[key.carries_if_matched as usize] = i as u32;
        key.carries_if_matched = 1.0;
    }
    KeyTable {
        keys,
        index_of_key,
        first_pmr_year,
    }
}

/// How far the accumulator is let run over its length before it is shrunk to it while
/// the keys are written (16 MiB of entries).
const SHRINK_STEP: usize = 1 << 20;

/// A key's referrals seen so far: its last in-window referral and its latest referral of
/// all.
#[derive(Clone, Copy, Default)]
struct Referrals {
    last_in: Option<Date>,
    last: Option<Date>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::keys::ages_of_rows;
    use cumin_census::{CensusYear, EpisodeRow};
    use cumin_cohort::{BirthRules, IdentitySpec};
    use cumin_link::{LinkOptions, LinkageMode};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A random extract: children born 2005-2015 with one to four LA records each (one
    /// to four rows each, some closed as transfers, some without a PMR).
    fn extract(seed: u64) -> Episodes {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut e = Episodes::new();
        for c in 0..150 {
            let (born, month) = (rng.random_range(2005..=2015), rng.random_range(1..=12));
            for j in 0..rng.random_range(1..=4) {
                let la = rng.random_range(200u16..=210);
                for _ in 0..rng.random_range(1..=4) {
                    let referral = Date::ymd(
                        rng.random_range(2009..=2024),
                        rng.random_range(1..=3),
                        rng.random_range(1..=2),
                    );
                    let mut r = EpisodeRow::empty(
                        0,
                        e.len() as u32 + 1,
                        CensusYear(referral.year() as i16),
                    );
                    r.la_child_id = Some(format!("L{c}-{j}"));
                    r.pmr = rng.random_bool(0.6).then(|| format!("P{c}"));
                    r.la = Some(la);
                    r.birth_year = Some(born);
                    r.birth_month = Some(month);
                    r.referral = Some(referral);
                    r.nfa = Some(false);
                    if rng.random_bool(0.5) {
                        r.closure = Some(Date::ymd(referral.year(), 3, 20));
                        r.reason_for_closure = Some(rng.random_range(4..=6));
                    }
                    r.idaci_decile = rng.random_bool(0.8).then(|| rng.random_range(1..=10));
                    e.push(r);
                }
            }
        }
        e
    }

    /// The table as it was built before (a list of key numbers and keys from per-key-
    /// number referrals, sorted by child, first referral and key number): the reference.
    fn reference(identity: &Identity, rules: &EventRules, acc: &[Acc], last_year: i16) -> KeyTable {
        #[derive(Clone, Copy, Default)]
        struct Refs {
            first: Option<Date>,
            last_in: Option<Date>,
            last: Option<Date>,
            first_age: u8,
            last_in_age: u8,
            last_rc5: bool,
        }
        let (linkage, set, children) = (&identity.linkage, &identity.episodes, &identity.children);
        let mut refs = vec![Refs::default(); acc.len()];
        for e in 0..set.len() {
            let k = linkage.key_of_row[set.last_row[e] as usize];
            if k == NO_KEY || acc[k as usize].child == u32::MAX {
                continue;
            }
            let Some(dob) = children.dob[set.child[e].index()] else {
                continue;
            };
            let referral = set.referral[e];
            let rc5 = set.reason_for_closure[e] == Some(RC_TRANSFERRED);
            let r = &mut refs[k as usize];
            if r.last.is_none_or(|d| (referral, rc5) > (d, r.last_rc5)) {
                (r.last, r.last_rc5) = (Some(referral), rc5);
            }
            let Some(age) = crate::split::in_window_age(dob, referral, rules) else {
                continue;
            };
            if r.first.is_none_or(|d| referral < d) {
                (r.first, r.first_age) = (Some(referral), age);
            }
            if r.last_in.is_none_or(|d| referral > d) {
                (r.last_in, r.last_in_age) = (Some(referral), age);
            }
        }
        let mut list: Vec<(u32, Key)> = acc
            .iter()
            .zip(&refs)
            .enumerate()
            .filter_map(|(k, (s, r))| {
                let first_referral = r.first?;
                let key = Key {
                    child: ChildId(s.child),
                    oldest: s.oldest.clamp(0, CLASS_AGES as i8 - 1) as u8,
                    rows: s.rows,
                    pmr: s.pmr,
                    rc5: r.last.is_some() && r.last_rc5,
                    follow_up: (last_year - s.last_year).clamp(0, 8) as u8,
                    decile_group: match s.decile {
                        Some(1..=3) => 0,
                        Some(8..=10) => 2,
                        _ => 1,
                    },
                    first_referral,
                    first_referral_age: r.first_age,
                    last_referral_age: r.last_in.map_or(r.first_age, |_| r.last_in_age),
                    carries_if_matched: 1.0,
                    status: Status::NoPmr,
                    later_pmr: false,
                };
                Some((k as u32, key))
            })
            .collect();
        list.sort_by(|a, b| {
            (a.1.child, a.1.first_referral, a.0).cmp(&(b.1.child, b.1.first_referral, b.0))
        });
        let mut index_of_key = vec![u32::MAX; acc.len()];
        for (i, (k, _)) in list.iter().enumerate() {
            index_of_key[*k as usize] = i as u32;
        }
        KeyTable {
            keys: list.into_iter().map(|(_, k)| k).collect(),
            index_of_key,
            first_pmr_year: acc.iter().map(|s| s.first_pmr_year).collect(),
        }
    }

    #[test]
    fn the_table_equals_the_sorted_list_it_replaces() {
        for (seed, linkage) in [
            (1, LinkageMode::Exact),
            (2, LinkageMode::Corrected),
            (3, LinkageMode::Corrected),
        ] {
            let episodes = extract(seed);
            let spec = IdentitySpec {
                link: LinkOptions::default(),
                linkage,
                birth: BirthRules::default(),
            };
            let identity = cumin_cohort::identify(&episodes, &spec);
            let rules = spec.event_rules(Date::ymd(2011, 4, 1), Date::ymd(2024, 3, 31));
            let n_keys = super::super::key_numbers(&identity.linkage);
            let ages = ages_of_rows(&episodes, &identity);
            let age_of_row = |i: usize| {
                let c = identity.linkage.child_of(i)?;
                (ages[i] != u8::MAX).then(|| (c.0, usize::from(ages[i])))
            };
            let acc = scan_rows(&episodes, &identity, n_keys, &age_of_row);
            let want = reference(&identity, &rules, &acc, 2024);
            let got = key_table(&identity, &rules, acc, 2024);
            assert!(want.keys.len() > 100, "{}", want.keys.len());
            // Children with several keys, in an order other than their key numbers'.
            let moved = want
                .keys
                .windows(2)
                .filter(|w| w[0].child == w[1].child)
                .count();
            assert!(moved > 20, "{moved}");
            assert!(want.keys.iter().any(|k| k.rc5));
            assert_eq!(got.keys, want.keys, "seed {seed}");
            assert_eq!(got.index_of_key, want.index_of_key, "seed {seed}");
            assert_eq!(got.first_pmr_year, want.first_pmr_year, "seed {seed}");
        }
    }
}
