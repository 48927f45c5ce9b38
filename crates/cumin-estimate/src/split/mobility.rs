//! Assumption 1 of the split correction (docs/methods.md §2.1) read from the extract, and
//! the adjustment it allows where it fails.
//!
//! The successor model is fitted on keys that carry a PMR. If a child who will move LA
//! carries a PMR on its early rows less often than one who will not, PMR keys
//! under-represent movers and the fitted successor chance is too small for keys without
//! a PMR. The extract shows it on the rows of keys that already carried a PMR in an
//! earlier census year: among those whose child is seen to move later, the share still
//! carrying it, against every such row's share at the same age. Their ratio `θ` (by age,
//! pooled with neighbouring ages until 30 rows are expected to carry it) is the movers'
//! relative chance of carrying a PMR; by Bayes, the odds of a successor for a key without
//! a PMR are the PMR keys' odds times `(1/θ) · (1 − θ s)/(1 − s)`, `s` the age's share of
//! keys carrying a PMR. The adjustment is made only where the extract shows the
//! dependence beyond noise (three binomial s.d.) and larger than the model error already
//! in the interval; elsewhere `θ = 1` and nothing changes.

use crate::split::CLASS_AGES;
use crate::split::SPLIT_MODEL_RELATIVE_SD;
use crate::split::keys::RowShares;

/// Movers' rows expected to carry the PMR (at every row's persistence) before an age's `θ`
/// is read alone; else neighbouring ages join.
pub const MIN_EXPECTED: f64 = 30.0;
/// How many binomial s.d. the movers' rows must fall short of the expected count by
/// (about one chance in 700 per age without a dependence).
pub const MIN_Z: f64 = 3.0;

/// The movers' relative chance of carrying a PMR, by row age.
#[derive(Clone, Debug, PartialEq)]
pub struct Mobility {
    /// `θ` by age (1 where no dependence is shown).
    pub theta: [f64; CLASS_AGES],
    /// The s.d. of `ln θ` (0 where `θ = 1`).
    pub log_sd: [f64; CLASS_AGES],
}

impl Mobility {
    /// No dependence anywhere.
    pub fn none() -> Mobility {
        Mobility {
            theta: [1.0; CLASS_AGES],
            log_sd: [0.0; CLASS_AGES],
        }
    }

    /// From the rows' persistence diagnostics.
    pub fn from_rows(rows: &RowShares) -> Mobility {
        let p = |a: usize| {
            if rows.after_pmr[a] > 0.0 {
                rows.after_pmr_with[a] / rows.after_pmr[a]
            } else {
                0.0
            }
        };
        let mut out = Mobility::none();
        for age in 0..CLASS_AGES {
            let mut width = 0;
            let (observed, expected, window) = loop {
                let lo = age.saturating_sub(width);
                let hi = (age + width).min(CLASS_AGES - 1);
                let o: f64 = (lo..=hi).map(|a| rows.after_pmr_moving_with[a]).sum();
                let e: f64 = (lo..=hi).map(|a| rows.after_pmr_moving[a] * p(a)).sum();
                if e >= MIN_EXPECTED || (lo == 0 && hi == CLASS_AGES - 1) {
                    break (o, e, lo..=hi);
                }
                width += 1;
            };
            if expected <= 0.0 {
                continue;
            }
            let null_var: f64 = window
                .clone()
                .map(|a| rows.after_pmr_moving[a] * p(a) * (1.0 - p(a)))
                .sum();
            let z = (observed - expected) / null_var.max(1e-12).sqrt();
            let theta = (observed + 0.5) / (expected + 0.5);
            if z > -MIN_Z || theta > 1.0 - SPLIT_MODEL_RELATIVE_SD {
                continue;
            }
            let var: f64 = window
                .map(|a| {
                    let q = (p(a) * theta).min(1.0);
                    rows.after_pmr_moving[a] * q * (1.0 - q)
                })
                .sum();
            out.theta[age] = theta;
            out.log_sd[age] = var.sqrt() / (observed + 0.5);
        }
        out
    }

    /// Whether any age shows the dependence.
    pub fn any(&self) -> bool {
        self.theta.iter().any(|t| *t < 1.0)
    }

    /// The same with every `θ` moved `k` s.d. towards 1 on the log scale (at most 1).
    #[must_use]
    pub fn moved(&self, k: f64) -> Mobility {
        let mut m = self.clone();
        for (t, s) in m.theta.iter_mut().zip(&self.log_sd) {
            *t = (*t * (k * s).exp()).min(1.0);
        }
        m
    }

    /// The shift of the logit of a successor for a key without a PMR at `age`, whose
    /// age's keys carry a PMR in share `s`: `−ln θ + ln((1 − θ s)/(1 − s))`.
    pub fn shift(&self, age: usize, s: f64) -> f64 {
        let t = self.theta[age];
        if t >= 1.0 || s >= 1.0 {
            return 0.0;
        }
        -t.ln() + ((1.0 - t * s) / (1.0 - s)).ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows after a PMR at ages 2..=17 with persistence `p` (0.05 below 4, 0.45 at 4,
    /// 0.9 from 5); movers' rows (`movers` of them per age) keep it `theta` as often
    /// before 5.
    fn rows(theta: f64, movers: f64) -> RowShares {
        let mut r = RowShares::default();
        for a in 2..CLASS_AGES {
            let p = match a {
                0..=3 => 0.05,
                4 => 0.45,
                _ => 0.9,
            };
            r.after_pmr[a] = 5000.0;
            r.after_pmr_with[a] = 5000.0 * p;
            r.after_pmr_moving[a] = movers;
            let t = if a < 5 { theta } else { 1.0 };
            r.after_pmr_moving_with[a] = (movers * p * t).round();
        }
        r
    }

    #[test]
    fn movers_keeping_their_pmr_less_often_are_adjusted_for_and_others_are_not() {
        let m = Mobility::from_rows(&rows(0.2, 200.0));
        assert!(m.any());
        // Age 4: 200 movers' rows expected to keep it 90 times, keep it 18 times.
        assert!((m.theta[4] - 18.5 / 90.5).abs() < 1e-9, "{}", m.theta[4]);
        assert!(m.log_sd[4] > 0.0 && m.log_sd[4] < 0.5);
        assert!(m.theta[2] < 0.5 && m.theta[3] < 0.5, "pooled with 4");
        assert!((5..CLASS_AGES).all(|a| m.theta[a] == 1.0));
        // The shift: odds × (1/θ)(1 − θs)/(1 − s).
        let t = m.theta[4];
        assert!((m.shift(4, 0.3) - (-t.ln() + ((1.0 - 0.3 * t) / 0.7).ln())).abs() < 1e-12);
        assert_eq!(m.shift(6, 0.9), 0.0);
        // Moved towards 1 by its s.d., never past it.
        let up = m.moved(1.0);
        assert!(up.theta[4] > m.theta[4] && up.theta[4] <= 1.0);
        assert!(m.moved(100.0).theta.iter().all(|t| *t == 1.0));
    }

    #[test]
    fn no_dependence_or_a_small_one_changes_nothing() {
        assert_eq!(Mobility::from_rows(&rows(1.0, 200.0)), Mobility::none());
        // A tenth fewer: seen (many rows) but smaller than the model error.
        assert_eq!(Mobility::from_rows(&rows(0.9, 5000.0)), Mobility::none());
        // A strong dependence on too few rows to tell from noise.
        assert_eq!(Mobility::from_rows(&rows(0.5, 10.0)), Mobility::none());
        assert_eq!(Mobility::from_rows(&RowShares::default()), Mobility::none());
    }
}
