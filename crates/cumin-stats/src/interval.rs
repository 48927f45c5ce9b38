//! Confidence intervals for proportions and for survival probabilities.

use crate::beta::beta_quantile;
use statrs::distribution::{ContinuousCDF, Normal};

/// A two-sided confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
}

impl Interval {
    /// Whether `x` lies inside (limits included).
    pub fn contains(&self, x: f64) -> bool {
        self.lower <= x && x <= self.upper
    }
}

/// The standard normal quantile for a two-sided interval of coverage `level`
/// (1.959963984540054 for 0.95).
pub fn z_for(level: f64) -> f64 {
    assert!(
        level > 0.0 && level < 1.0,
        "confidence level must be in (0, 1)"
    );
    Normal::standard().inverse_cdf(0.5 + level / 2.0)
}

/// Wilson score interval for `k` successes in `n` trials (Wilson 1927; as statsmodels
/// `proportion_confint(method="wilson")`). `k` and `n` may be fractional (effective
/// counts). Returns `[0, 1]` when `n` is 0.
pub fn wilson(k: f64, n: f64, level: f64) -> Interval {
    if n <= 0.0 {
        return Interval {
            lower: 0.0,
            upper: 1.0,
        };
    }
    let z = z_for(level);
    let p = k / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).max(0.0).sqrt() / denom;
    // At k = 0 (k = n) the limit is exactly 0 (1); rounding would leave a crumb.
    Interval {
        lower: if k <= 0.0 {
            0.0
        } else {
            (centre - half).max(0.0)
        },
        upper: if k >= n {
            1.0
        } else {
            (centre + half).min(1.0)
        },
    }
}

/// Clopper–Pearson ("exact") interval for `k` successes in `n` trials, from Beta
/// quantiles (as statsmodels `proportion_confint(method="beta")`): the lower limit is
/// the `α/2` quantile of Beta(k, n − k + 1), the upper the `1 − α/2` quantile of
/// Beta(k + 1, n − k), taken as one minus the `α/2` quantile of Beta(n − k, k + 1) so
/// that it is accurate near 1. `k` and `n` may be fractional. At `k = 0` (`k = n`) the
/// limits have the closed forms `1 − (α/2)^{1/n}` (`(α/2)^{1/n}`). Agrees with
/// statsmodels (scipy/Boost) to 1e-12 for `n` up to 10⁶ (`tests/reference.rs`).
pub fn clopper_pearson(k: f64, n: f64, level: f64) -> Interval {
    if n.is_nan() || n <= 0.0 {
        return Interval {
            lower: 0.0,
            upper: 1.0,
        };
    }
    let alpha_half = (1.0 - level) / 2.0;
    // (α/2)^{1/n} without losing digits when it is near 1.
    let root = (alpha_half.ln() / n).exp_m1();
    let lower = if k <= 0.0 {
        0.0
    } else if k >= n {
        1.0 + root
    } else {
        beta_quantile(k, n - k + 1.0, alpha_half)
    };
    let upper = if k >= n {
        1.0
    } else if k <= 0.0 {
        -root
    } else {
        1.0 - beta_quantile(n - k, k + 1.0, alpha_half)
    };
    Interval { lower, upper }
}

/// `P(Z > z)` for a standard normal `Z`, to about 1e-15 (relative).
///
/// statrs' `erfc` is good to only about 1e-11 (relative) near `z = 2`, while its
/// inverse is good to a few ulps, so one Newton step on the inverse polishes the tail.
pub(crate) fn normal_upper_tail(z: f64) -> f64 {
    let normal = Normal::standard();
    let tail = normal.sf(z);
    if !(tail > 0.0 && tail < 1.0) {
        return tail;
    }
    let density = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    tail + (-z - normal.inverse_cdf(tail)) * density
}

/// Widens `ci`, an interval for the proportion `estimate`, by a further error
/// independent of the one it expresses, with standard deviation `sd` (for cumin, the
/// back-tested error of the left-censoring correction's model, which resampling cannot
/// see). Variances of independent errors add, so each side's half-width `w` (measured
/// from the estimate) becomes `√(w² + (z·sd)²)`, keeping the interval's asymmetry; the
/// limits stay in [0, 1] and never move inwards. `ci` is returned as it is when `sd` is
/// zero or either number is not finite.
pub fn widen(ci: Interval, estimate: f64, sd: f64, level: f64) -> Interval {
    if !(sd > 0.0 && sd.is_finite() && estimate.is_finite()) {
        return ci;
    }
    let extra = z_for(level) * sd;
    let side = |w: f64| w.max(0.0).hypot(extra);
    Interval {
        lower: ci
            .lower
            .min((estimate - side(estimate - ci.lower)).max(0.0)),
        upper: ci
            .upper
            .max((estimate + side(ci.upper - estimate)).min(1.0)),
    }
}

/// The scale on which an interval for a survival probability is built: R
/// `survival::survfit(conf.type = ...)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SurvivalScale {
    /// `S·exp(±z·se)`, the upper limit capped at 1 (R's default, `"log"`).
    Log,
    /// `S^exp(±z·se / log S)`, symmetric on `log(−log S)` (`"log-log"`; Kalbfleisch &
    /// Prentice 1980). Never leaves (0, 1).
    LogLog,
}

/// Interval for a survival probability `surv` from `std_err_log_s`, the standard error
/// of `log S` (Greenwood's for Kaplan–Meier), at normal quantile `z`.
///
/// Follows R survival's `survfit_confint` (with `logse = TRUE`) formula for formula, and
/// like it has no answer where the scale is degenerate: `None` at `S = 0` on either scale
/// and at `S = 1` on the log-log scale (R reports `NA` there).
pub fn survival_interval(
    surv: f64,
    std_err_log_s: f64,
    z: f64,
    scale: SurvivalScale,
) -> Option<Interval> {
    if surv.is_nan() || surv <= 0.0 || surv > 1.0 {
        return None;
    }
    match scale {
        SurvivalScale::Log => {
            let half = z * std_err_log_s;
            Some(Interval {
                lower: (surv.ln() - half).exp(),
                upper: (surv.ln() + half).exp().min(1.0),
            })
        }
        SurvivalScale::LogLog => {
            if surv >= 1.0 {
                return None;
            }
            let log_log = (-surv.ln()).ln();
            let half = z * std_err_log_s / surv.ln();
            Some(Interval {
                lower: (-(log_log - half).exp()).exp(),
                upper: (-(log_log + half).exp()).exp(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        assert!((z_for(0.95) - 1.959_963_984_540_054).abs() < 1e-12);
        // Wilson's formula evaluated in Python floats for 7 of 20.
        let w = wilson(7.0, 20.0, 0.95);
        assert!((w.lower - 0.181_191_824_101_082_06).abs() < 1e-12, "{w:?}");
        assert!((w.upper - 0.567_145_723_314_763_8).abs() < 1e-12, "{w:?}");
        let w0 = wilson(0.0, 10.0, 0.95);
        assert_eq!(w0.lower, 0.0);
        let cp = clopper_pearson(0.0, 10.0, 0.95);
        assert_eq!(cp.lower, 0.0);
        assert!((cp.upper - (1.0 - 0.025f64.powf(0.1))).abs() < 1e-15);
        // scipy.stats.norm.sf at the 90%, 95% and 99% quantiles.
        for (level, tail) in [
            (0.90, 0.049_999_999_999_999_975),
            (0.95, 0.025),
            (0.99, 0.005_000_000_000_000_004),
        ] {
            let got = normal_upper_tail(z_for(level));
            assert!((got - tail).abs() < 2e-15 * tail, "{level}: {got:e}");
        }
    }

    #[test]
    fn widening_adds_variances_side_by_side() {
        let iv = |lower, upper| Interval { lower, upper };
        let ci = iv(0.30, 0.34);
        let z = z_for(0.95);
        // Half-widths 0.02 on each side and an error of sd 0.015 / z: 0.025.
        let w = widen(ci, 0.32, 0.015 / z, 0.95);
        assert!((w.lower - (0.32 - 0.025)).abs() < 1e-15, "{w:?}");
        assert!((w.upper - (0.32 + 0.025)).abs() < 1e-15, "{w:?}");
        // Asymmetric: each side on its own.
        let w = widen(iv(0.31, 0.36), 0.32, 0.01, 0.95);
        assert!(
            (0.32 - w.lower - 0.01f64.hypot(0.01 * z)).abs() < 1e-15,
            "{w:?}"
        );
        assert!(
            (w.upper - 0.32 - 0.04f64.hypot(0.01 * z)).abs() < 1e-15,
            "{w:?}"
        );
        // Nothing to add, or nothing to add it to.
        assert_eq!(widen(ci, 0.32, 0.0, 0.95), ci);
        assert_eq!(widen(ci, f64::NAN, 0.01, 0.95), ci);
        assert_eq!(widen(ci, 0.32, f64::INFINITY, 0.95), ci);
        // Kept inside [0, 1].
        let edge = widen(iv(0.0, 0.01), 0.002, 0.05, 0.95);
        assert_eq!(edge.lower, 0.0);
        assert!(
            (edge.upper - (0.002 + 0.008f64.hypot(0.05 * z))).abs() < 1e-15,
            "{edge:?}"
        );
        // A percentile interval that misses its own estimate still grows around it.
        let off = widen(iv(0.33, 0.35), 0.32, 0.01, 0.95);
        assert!((off.lower - (0.32 - 0.01 * z)).abs() < 1e-15, "{off:?}");
        assert!(off.upper > 0.35);
    }

    proptest! {
        #[test]
        fn widening_only_widens(
            lo in 0.0f64..=1.0, hi in 0.0f64..=1.0, at in 0.0f64..=1.0, sd in 0.0f64..0.5,
        ) {
            let ci = Interval { lower: lo.min(hi), upper: lo.max(hi) };
            let w = widen(ci, at, sd, 0.95);
            prop_assert!(w.lower <= ci.lower && ci.upper <= w.upper, "{ci:?} -> {w:?}");
            prop_assert!(w.lower >= 0.0 && w.upper <= 1.0, "{w:?}");
            prop_assert!(w.contains(at) || sd == 0.0, "{w:?} {at}");
        }

        #[test]
        fn intervals_bracket_the_estimate(n in 1u32..5000, frac in 0.0f64..=1.0) {
            let k = (f64::from(n) * frac).round();
            let p = k / f64::from(n);
            for ci in [wilson(k, f64::from(n), 0.95), clopper_pearson(k, f64::from(n), 0.95)] {
                prop_assert!(ci.lower >= 0.0 && ci.upper <= 1.0);
                prop_assert!(ci.lower <= p + 1e-12 && p <= ci.upper + 1e-12, "{ci:?} {p}");
            }
        }
    }
}
