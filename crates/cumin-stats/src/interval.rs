//! Confidence intervals for proportions.

use statrs::distribution::{Beta, ContinuousCDF, Normal};

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
/// quantiles (as statsmodels `proportion_confint(method="beta")`).
pub fn clopper_pearson(k: f64, n: f64, level: f64) -> Interval {
    if n <= 0.0 {
        return Interval {
            lower: 0.0,
            upper: 1.0,
        };
    }
    let alpha = 1.0 - level;
    let lower = if k <= 0.0 {
        0.0
    } else {
        Beta::new(k, n - k + 1.0).map_or(0.0, |b| b.inverse_cdf(alpha / 2.0))
    };
    let upper = if k >= n {
        1.0
    } else {
        Beta::new(k + 1.0, n - k).map_or(1.0, |b| b.inverse_cdf(1.0 - alpha / 2.0))
    };
    Interval { lower, upper }
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
        assert!((cp.upper - (1.0 - 0.025f64.powf(0.1))).abs() < 1e-9);
    }

    proptest! {
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
