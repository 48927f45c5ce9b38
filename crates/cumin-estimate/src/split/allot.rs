//! Re-allotment of the hidden successors among keys by an in-extract risk signal.
//!
//! The successor model spreads a group's hidden successors over its keys by what the
//! extract shows about each key (age, rows, `RC5`, follow-up, decile group). Under a
//! high-risk minority the true successors belong mostly to children with many referrals
//! (a referral after a move is what makes the successor key), which those covariates see
//! only in part. This keeps each group's total as the model gives it (a group: birth
//! cohort × oldest age, so the ages' and the cohorts' totals, and with them the
//! extrapolated keys' and the uncertainty's, are unchanged) and re-allots it among the
//! group's keys, across decile groups too, in proportion to the model's value times the
//! key's own in-window referrals, counted on the key itself: never the predecessors a
//! PMR joined to it (a seen pair's earlier key's referrals stay on that key).

use crate::split::keys::{Key, Keys};
use cumin_cohort::{BirthCohort, EventRules, Identity};
use cumin_link::ids::NO_KEY;
use std::collections::BTreeMap;

/// Each key's own in-window referrals (episodes whose last row is the key's, referred
/// in the window at an age under 18), in the order of [`Keys::keys`].
pub fn key_referrals(keys: &Keys, identity: &Identity, rules: &EventRules) -> Vec<u32> {
    let (linkage, set, children) = (&identity.linkage, &identity.episodes, &identity.children);
    let mut out = vec![0u32; keys.keys.len()];
    for e in 0..set.len() {
        let k = linkage.key_of_row[set.last_row[e] as usize];
        if k == NO_KEY {
            continue;
        }
        let Some(&index) = keys.index_of_key.get(k as usize) else {
            continue;
        };
        if index == u32::MAX {
            continue;
        }
        let Some(dob) = children.dob[set.child[e].index()] else {
            continue;
        };
        if super::in_window_age(dob, set.referral[e], rules).is_some() {
            out[index as usize] += 1;
        }
    }
    out
}

/// A key's risk signal: its own in-window referrals (at least one: every key has one).
pub fn signal(referrals: u32) -> f64 {
    f64::from(referrals.max(1))
}

/// The group a key's total is kept in: birth cohort, oldest age.
pub type Group = (Option<BirthCohort>, u8);

/// The group of a key.
pub fn group(k: &Key, cohort: Option<BirthCohort>) -> Group {
    (cohort, k.oldest)
}

/// Re-allots each of `hidden` (per key, in the order of [`Keys::keys`]) within the keys'
/// groups (birth cohort `cohort`, oldest age) by their own in-window referrals
/// (`referrals`, [`key_referrals`]).
pub fn reallot_keys(
    keys: &Keys,
    cohort: &[Option<BirthCohort>],
    referrals: &[u32],
    hidden: [&mut [f64]; 2],
) {
    let signals: Vec<f64> = referrals.iter().map(|r| signal(*r)).collect();
    let groups: Vec<Group> = (keys.keys.iter().zip(cohort))
        .map(|(k, c)| group(k, *c))
        .collect();
    for h in hidden {
        reallot(h, &signals, &groups);
    }
}

/// Re-allots `hidden` (expected hidden successors per key) within each group in
/// proportion to `hidden · signal`, keeping the group's total; a key gets at most one
/// (what it would get above one goes to the group's other keys, in the same proportion).
/// A group whose keys have no signal where they have hidden successors is left as it is.
pub fn reallot(hidden: &mut [f64], signals: &[f64], groups: &[Group]) {
    let mut members: BTreeMap<Group, Vec<usize>> = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        if hidden[i] > 0.0 {
            members.entry(*g).or_default().push(i);
        }
    }
    for list in members.values() {
        let total: f64 = list.iter().map(|&i| hidden[i]).sum();
        let weight: Vec<f64> = list.iter().map(|&i| hidden[i] * signals[i]).collect();
        if weight.iter().sum::<f64>() <= 0.0 {
            continue;
        }
        // Water-filling: keys that would pass one are held at one and the rest of the
        // total shared among the others, until none passes.
        let mut capped = vec![false; list.len()];
        loop {
            let held = capped.iter().filter(|c| **c).count() as f64;
            let free: f64 = weight
                .iter()
                .zip(&capped)
                .filter(|(_, c)| !**c)
                .map(|(w, _)| w)
                .sum();
            let left = (total - held).max(0.0);
            let mut changed = false;
            for (j, &i) in list.iter().enumerate() {
                hidden[i] = if capped[j] {
                    1.0
                } else if free > 0.0 {
                    left * weight[j] / free
                } else {
                    0.0
                };
                if !capped[j] && hidden[i] > 1.0 {
                    capped[j] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::keys::Status;
    use cumin_census::Date;
    use cumin_link::ChildId;

    fn key(oldest: u8, first: u8, decile_group: u8) -> Key {
        Key {
            child: ChildId(0),
            oldest,
            rows: 1,
            pmr: false,
            rc5: false,
            decile_group,
            first_referral: Date::ymd(2015, 1, 1),
            first_referral_age: first,
            last_referral_age: first,
            follow_up: 4,
            carries_if_matched: 1.0,
            status: Status::NoPmr,
            later_pmr: false,
        }
    }

    #[test]
    fn groups_are_cohort_and_oldest_age_across_decile_groups() {
        let c = Some(BirthCohort(2008));
        assert_eq!(group(&key(8, 6, 0), c), group(&key(8, 5, 2), c));
        assert_ne!(group(&key(8, 6, 0), c), group(&key(7, 6, 0), c));
        assert_ne!(group(&key(8, 6, 0), c), group(&key(8, 6, 0), None));
        assert_eq!(signal(3), 3.0);
        assert_eq!(signal(0), 1.0);
    }

    #[test]
    fn totals_are_kept_per_group_and_move_towards_high_signal_keys() {
        let c = Some(BirthCohort(2008));
        let groups = vec![
            (c, 6),
            (c, 6),
            (c, 6),
            (c, 7),
            (c, 7),
            (Some(BirthCohort(2009)), 6),
        ];
        let before = vec![0.3, 0.3, 0.2, 0.1, 0.1, 0.4];
        let signals = vec![1.0, 3.0, 2.0, 1.0, 1.0, 5.0];
        let mut after = before.clone();
        reallot(&mut after, &signals, &groups);
        // Group (2008, 6): weights 0.3, 0.9, 0.4 share its 0.8.
        assert!((after[0] - 0.8 * 0.3 / 1.6).abs() < 1e-12, "{after:?}");
        assert!((after[1] - 0.8 * 0.9 / 1.6).abs() < 1e-12);
        assert!((after[2] - 0.8 * 0.4 / 1.6).abs() < 1e-12);
        assert!(after[1] > before[1] && after[0] < before[0]);
        // Equal signals, and a group of one: unchanged.
        for (a, b) in after[3..].iter().zip(&before[3..]) {
            assert!((a - b).abs() < 1e-12, "{after:?}");
        }
        let sum = |v: &[f64], g: Group| -> f64 {
            v.iter()
                .zip(&groups)
                .filter(|(_, x)| **x == g)
                .map(|(h, _)| h)
                .sum()
        };
        for g in &groups {
            assert!((sum(&after, *g) - sum(&before, *g)).abs() < 1e-12);
        }
    }

    #[test]
    fn no_key_gets_more_than_one_and_the_total_is_still_kept() {
        let groups = vec![(None, 3); 4];
        let mut hidden = vec![0.8, 0.8, 0.2, 0.2];
        // Key 0's share would be 2.0 · 8 / 9.2 > 1: held at one, the rest
        // (1.0) shared by keys 1-3 in proportion 0.8 : 0.2 : 0.2.
        reallot(&mut hidden, &[10.0, 1.0, 1.0, 1.0], &groups);
        assert_eq!(hidden[0], 1.0);
        assert!((hidden[1] - 1.0 * 0.8 / 1.2).abs() < 1e-12, "{hidden:?}");
        assert!((hidden[2] - 1.0 * 0.2 / 1.2).abs() < 1e-12);
        assert!((hidden.iter().sum::<f64>() - 2.0).abs() < 1e-12);
        // Keys without hidden successors get none.
        let mut h = vec![0.0, 0.5];
        reallot(&mut h, &[9.0, 1.0], &[(None, 3); 2]);
        assert_eq!(h, [0.0, 0.5]);
    }
}
