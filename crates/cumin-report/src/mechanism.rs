//! The extract's own reading of which heterogeneity and PMR mechanism holds
//! (`linkage.csv`'s `split_keys_deciles_*` … `split_pmr_rows_ratio_age_2-4` measures):
//! released counts and two statistics recomputed from them. Their kinds are in
//! [`crate::tables`], the sets whose lone withheld part takes a partner in [`crate::sdc`],
//! the report's reading in [`crate::linkage`] (docs/notes/2026-12-07-seeds-4-5-decomposed.md §9).

use std::fmt;

/// The decile group of a key's last episode (its value: `cumin_estimate`'s index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DecileGroup {
    /// Deciles 1–3 (most deprived).
    Low = 0,
    /// Deciles 4–7, and keys without a decile.
    Middle = 1,
    /// Deciles 8–10.
    High = 2,
}

impl DecileGroup {
    /// The groups, in `cumin_estimate`'s order (its `decile_group` 0, 1, 2).
    pub const ALL: [DecileGroup; 3] = [DecileGroup::Low, DecileGroup::Middle, DecileGroup::High];

    /// Name in measures.
    pub fn as_str(self) -> &'static str {
        match self {
            DecileGroup::Low => "1-3",
            DecileGroup::Middle => "4-7_or_unknown",
            DecileGroup::High => "8-10",
        }
    }
}

/// A band of a key's rows (its value: `cumin_estimate`'s index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowBand {
    /// One row.
    One = 0,
    /// Two rows.
    Two = 1,
    /// Three or more.
    ThreePlus = 2,
}

impl RowBand {
    /// The bands, in `cumin_estimate`'s order.
    pub const ALL: [RowBand; 3] = [RowBand::One, RowBand::Two, RowBand::ThreePlus];

    /// Name in measures.
    pub fn as_str(self) -> &'static str {
        match self {
            RowBand::One => "1",
            RowBand::Two => "2",
            RowBand::ThreePlus => "3+",
        }
    }
}

/// One measure of the mechanism reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MechanismMeasure {
    /// Keys (with an in-window referral) whose last episode is in the decile group.
    Keys(DecileGroup),
    /// Their own in-window referrals, `R = Σ r`.
    Referrals(DecileGroup),
    /// Pairs of referrals on one key, `P = Σ r (r − 1) / 2`.
    ReferralPairs(DecileGroup),
    /// Variance over mean of referrals per key, `1 + 2P/R − R/K` from the released
    /// counts.
    Dispersion(DecileGroup),
    /// Keys of oldest age 2–4 with the band's rows.
    YoungKeys(RowBand),
    /// Of them, keys carrying a PMR.
    YoungKeysWithPmr(RowBand),
    /// Of them, the keys expected to carry one under the row-by-row draw,
    /// `Σ 1 − (1 − φ(oldest age))^rows`.
    YoungExpectedPmr(RowBand),
    /// Observed over expected with 3+ rows, divided by observed over expected with one row.
    PmrRowsRatio,
}

impl MechanismMeasure {
    /// Every measure, in the order `linkage.csv` lists them.
    pub fn all() -> Vec<MechanismMeasure> {
        use MechanismMeasure as M;
        let mut out = Vec::new();
        for g in DecileGroup::ALL {
            out.extend([
                M::Keys(g),
                M::Referrals(g),
                M::ReferralPairs(g),
                M::Dispersion(g),
            ]);
        }
        for b in RowBand::ALL {
            out.extend([
                M::YoungKeys(b),
                M::YoungKeysWithPmr(b),
                M::YoungExpectedPmr(b),
            ]);
        }
        out.push(M::PmrRowsRatio);
        out
    }

    /// A derived measure's value from the released values `get` (NaN where withheld):
    /// `None` when an input is withheld or a denominator is not positive.
    pub fn derive(self, get: impl Fn(MechanismMeasure) -> f64) -> Option<f64> {
        use MechanismMeasure as M;
        let positive = |x: f64| (x.is_finite() && x > 0.0).then_some(x);
        match self {
            M::Dispersion(g) => {
                let (k, r) = (positive(get(M::Keys(g)))?, positive(get(M::Referrals(g)))?);
                let p = get(M::ReferralPairs(g));
                p.is_finite().then(|| 1.0 + 2.0 * p / r - r / k)
            }
            M::PmrRowsRatio => {
                let (o3, o1) = (
                    get(M::YoungKeysWithPmr(RowBand::ThreePlus)),
                    positive(get(M::YoungKeysWithPmr(RowBand::One)))?,
                );
                let e3 = positive(get(M::YoungExpectedPmr(RowBand::ThreePlus)))?;
                let e1 = positive(get(M::YoungExpectedPmr(RowBand::One)))?;
                o3.is_finite().then(|| (o3 / e3) / (o1 / e1))
            }
            _ => None,
        }
    }
}

impl fmt::Display for MechanismMeasure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use MechanismMeasure as M;
        match *self {
            M::Keys(g) => write!(f, "split_keys_deciles_{}", g.as_str()),
            M::Referrals(g) => write!(f, "split_key_referrals_deciles_{}", g.as_str()),
            M::ReferralPairs(g) => write!(f, "split_key_referral_pairs_deciles_{}", g.as_str()),
            M::Dispersion(g) => write!(f, "split_key_referral_dispersion_deciles_{}", g.as_str()),
            M::YoungKeys(b) => write!(f, "split_keys_age_2-4_rows_{}", b.as_str()),
            M::YoungKeysWithPmr(b) => write!(f, "split_keys_with_pmr_age_2-4_rows_{}", b.as_str()),
            M::YoungExpectedPmr(b) => {
                write!(f, "split_keys_expected_pmr_age_2-4_rows_{}", b.as_str())
            }
            M::PmrRowsRatio => f.write_str("split_pmr_rows_ratio_age_2-4"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MechanismMeasure as M;

    #[test]
    fn the_statistics_are_recomputed_from_the_counts() {
        // Keys with 1, 1, 4 referrals: R = 6, P = 6, mean 2, variance 2: var/mean 1.
        let get = |m| match m {
            M::Keys(_) => 3.0,
            M::Referrals(_) | M::ReferralPairs(_) => 6.0,
            M::YoungKeysWithPmr(RowBand::One) => 20.0,
            M::YoungExpectedPmr(RowBand::One) => 25.0,
            M::YoungKeysWithPmr(RowBand::ThreePlus) => 30.0,
            M::YoungExpectedPmr(RowBand::ThreePlus) => 60.0,
            _ => f64::NAN,
        };
        let d = M::Dispersion(DecileGroup::Low).derive(get).expect("shown");
        assert!((d - 1.0).abs() < 1e-12, "{d}");
        let r = M::PmrRowsRatio.derive(get).expect("shown");
        assert!((r - 0.5 / 0.8).abs() < 1e-12, "{r}");
        // Withheld inputs leave them blank.
        let withheld = |m| {
            if m == M::Referrals(DecileGroup::Low) {
                f64::NAN
            } else {
                get(m)
            }
        };
        assert_eq!(M::Dispersion(DecileGroup::Low).derive(withheld), None);
        let withheld = |m| {
            if matches!(m, M::YoungKeysWithPmr(_)) {
                f64::NAN
            } else {
                get(m)
            }
        };
        assert_eq!(M::PmrRowsRatio.derive(withheld), None);
    }

    #[test]
    fn names_are_distinct_and_kinds_follow_the_file_rule() {
        let all = MechanismMeasure::all();
        let mut names: Vec<String> = all.iter().map(ToString::to_string).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
        assert!(names.iter().all(|n| n.starts_with("split_")));
        for m in all {
            let count = crate::tables::LinkageMeasure::SplitMechanism(m).is_count();
            assert_eq!(
                count,
                !matches!(
                    m,
                    M::Dispersion(_) | M::PmrRowsRatio | M::YoungExpectedPmr(_)
                ),
                "{m}"
            );
        }
    }
}
