//! Counts from which a reader of `linkage.csv` recomputes two statistics that tell the
//! simulator's mechanisms apart (docs/notes/2026-12-07-seeds-4-5-decomposed.md §9;
//! docs/output-contract.md, `linkage.csv`): the over-dispersion of each key's own
//! in-window referrals by decile group (a high-risk minority against a gamma or
//! log-normal frailty), and PMR presence against a key's rows among keys of oldest age
//! 2–4 (a PMR that is a property of the child against the row-by-row draw). Counts only:
//! nothing here feeds the correction.

use super::keys::Keys;

/// Decile groups of a key's last episode, as [`super::keys::Key::decile_group`]: deciles
/// 1–3, 4–7 or unknown, 8–10.
pub const DECILE_GROUPS: usize = 3;

/// Bands of a key's rows: 1, 2, 3 or more.
pub const ROW_BANDS: usize = 3;

/// The oldest ages (on 31 March) of the keys whose PMR presence is read against their
/// rows: ages at which a PMR first appears under a per-child onset, so the two mechanisms
/// differ most there.
pub const YOUNG_AGES: std::ops::RangeInclusive<u8> = 2..=4;

/// The counts, summed over keys (keys with an in-window referral and a usable child).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MechanismCounts {
    /// Per decile group: keys.
    pub keys: [u64; DECILE_GROUPS],
    /// Per decile group: the keys' own in-window referrals, `Σ r`.
    pub referrals: [u64; DECILE_GROUPS],
    /// Per decile group: pairs of referrals on one key, `Σ r (r − 1) / 2`. With `K` keys
    /// and `R` referrals, the referrals' variance over their mean per key is
    /// `1 + 2·pairs / R − R / K`.
    pub referral_pairs: [u64; DECILE_GROUPS],
    /// Keys of oldest age 2–4, per band of rows.
    pub young_keys: [u64; ROW_BANDS],
    /// Of them, keys carrying a PMR.
    pub young_keys_with_pmr: [u64; ROW_BANDS],
    /// Of them, the keys expected to carry one if each row drew its PMR on its own with
    /// the share `φ` of the key's oldest age: `Σ 1 − (1 − φ)^rows`.
    pub young_expected_pmr: [f64; ROW_BANDS],
}

/// The band of a key's rows (0: one row, 1: two, 2: three or more).
pub fn row_band(rows: u32) -> usize {
    (rows.clamp(1, 3) - 1) as usize
}

/// The counts of `keys`, with each key's own in-window referrals `referrals` (in the
/// order of [`Keys::keys`]; [`super::allot::key_referrals`]).
pub fn collect(keys: &Keys, referrals: &[u32]) -> MechanismCounts {
    let mut c = MechanismCounts::default();
    for (k, r) in keys.keys.iter().zip(referrals) {
        let (g, r) = (
            usize::from(k.decile_group).min(DECILE_GROUPS - 1),
            u64::from(*r),
        );
        c.keys[g] += 1;
        c.referrals[g] += r;
        c.referral_pairs[g] += r * r.saturating_sub(1) / 2;
        if YOUNG_AGES.contains(&k.oldest) {
            let b = row_band(k.rows);
            c.young_keys[b] += 1;
            c.young_keys_with_pmr[b] += u64::from(k.pmr);
            let phi = keys.rows.phi(usize::from(k.oldest)).unwrap_or(0.0);
            c.young_expected_pmr[b] += 1.0 - (1.0 - phi).powf(f64::from(k.rows));
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::keys::{Key, Status};
    use cumin_census::Date;
    use cumin_link::ChildId;

    fn key(oldest: u8, rows: u32, pmr: bool, decile_group: u8) -> Key {
        Key {
            child: ChildId(0),
            oldest,
            rows,
            pmr,
            rc5: false,
            decile_group,
            first_referral: Date::ymd(2015, 1, 1),
            first_referral_age: oldest,
            last_referral_age: oldest,
            follow_up: 4,
            carries_if_matched: 1.0,
            status: Status::NoPmr,
            later_pmr: false,
        }
    }

    #[test]
    fn a_hand_made_key_set_gives_its_counts() {
        let mut keys = Keys::default();
        // φ: age 2 one row in four carries a PMR, age 3 one in two, age 5 all.
        keys.rows.rows[2] = 4.0;
        keys.rows.with_pmr[2] = 1.0;
        keys.rows.rows[3] = 2.0;
        keys.rows.with_pmr[3] = 1.0;
        keys.rows.rows[5] = 1.0;
        keys.rows.with_pmr[5] = 1.0;
        keys.keys = vec![
            key(2, 1, false, 0), // young, 1 row
            key(3, 1, true, 0),  // young, 1 row
            key(2, 2, true, 1),  // young, 2 rows
            key(3, 4, true, 2),  // young, 3+ rows
            key(5, 3, true, 2),  // not young
        ];
        let referrals = [1, 4, 2, 3, 1];
        let c = collect(&keys, &referrals);
        assert_eq!(c.keys, [2, 1, 2]);
        assert_eq!(c.referrals, [5, 2, 4]);
        // 4 referrals make 6 pairs, 2 make 1, 3 make 3, 1 makes none.
        assert_eq!(c.referral_pairs, [6, 1, 3]);
        assert_eq!(c.young_keys, [2, 1, 1]);
        assert_eq!(c.young_keys_with_pmr, [1, 1, 1]);
        let e = c.young_expected_pmr;
        assert!((e[0] - (0.25 + 0.5)).abs() < 1e-12, "{e:?}");
        assert!((e[1] - (1.0 - 0.75f64.powi(2))).abs() < 1e-12, "{e:?}");
        assert!((e[2] - (1.0 - 0.5f64.powi(4))).abs() < 1e-12, "{e:?}");
        // The dispersion recomputed from the counts is the referrals' variance over
        // their mean per key (deciles 1–3: 1 and 4, mean 2.5, variance 2.25).
        let d = 1.0 + 2.0 * c.referral_pairs[0] as f64 / c.referrals[0] as f64
            - c.referrals[0] as f64 / c.keys[0] as f64;
        assert!((d - 2.25 / 2.5).abs() < 1e-12, "{d}");
    }

    #[test]
    fn rows_fall_in_three_bands() {
        assert_eq!(
            [0, 1, 2, 3, 9].map(row_band),
            [0, 0, 1, 2, 2],
            "0 and 1 rows, 2 rows, 3 or more"
        );
    }
}
