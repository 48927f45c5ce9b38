//! Summaries of bootstrap replicates.

use crate::interval::Interval;

/// Percentile interval of `replicates` at `level`: the `(B + 1)·α/2`-th and
/// `(B + 1)·(1 − α/2)`-th of the `B` ordered replicates, interpolated between order
/// statistics (R's `quantile(type = 6)`, numpy's `method = "weibull"`), as Davison &
/// Hinkley (1997, §5.2) define the percentile interval. The `k`-th of `B` ordered draws
/// sits on average at probability `k / (B + 1)` of their distribution, so these limits
/// enclose `level` of it on average. R's default (`type = 7`, position `1 + (B − 1)p`)
/// lies inward of that: with `B = 200` its limits enclose 94.1% on average and the
/// interval is about 4% too narrow (`docs/validation.md`, Coverage). Replicates that are
/// not numbers (an estimate a resample could not produce) are left out; `None` when fewer
/// than two remain.
pub fn percentile_interval(replicates: &[f64], level: f64) -> Option<Interval> {
    let mut v: Vec<f64> = replicates.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.len() < 2 {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let alpha = 1.0 - level;
    Some(Interval {
        lower: quantile_type6(&v, alpha / 2.0),
        upper: quantile_type6(&v, 1.0 - alpha / 2.0),
    })
}

/// Standard deviation (denominator `n − 1`) of the replicates that are numbers.
pub fn standard_deviation(replicates: &[f64]) -> Option<f64> {
    let v: Vec<f64> = replicates.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.len() < 2 {
        return None;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    Some((v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
}

/// Hyndman & Fan's type 6 (sorted `x`, 1-based order statistics `x₍ⱼ₎`): with
/// `h = (n + 1) p`, `j = ⌊h⌋`, `g = h − j`, `x₍ⱼ₎ + g (x₍ⱼ₊₁₎ − x₍ⱼ₎)`; the smallest for
/// `j < 1`, the largest for `j ≥ n`.
fn quantile_type6(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    // (B + 1)·p is an integer by design for B = 999 at 95%; floating point can miss it
    // by an ulp (1000 × 0.025 = 25.000000000000004), which must not move the limit.
    let h = (n + 1) as f64 * p;
    let h = if (h - h.round()).abs() < 1e-9 {
        h.round()
    } else {
        h
    };
    let j = h.floor();
    if j < 1.0 {
        return sorted[0];
    }
    let j = j as usize;
    if j >= n {
        return sorted[n - 1];
    }
    let g = h - j as f64;
    let below = sorted[j - 1];
    if g > 0.0 {
        below + g * (sorted[j] - below)
    } else {
        below
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn takes_the_b_plus_1_order_statistics() {
        // (B + 1)·0.025 < 1 and (B + 1)·0.975 > B for B = 6: the extremes.
        let ci = percentile_interval(&[5.0, 1.0, 4.0, 2.0, 3.0, 10.0], 0.95).unwrap();
        assert_eq!((ci.lower, ci.upper), (1.0, 10.0));
        // B = 999: exactly the 25th and 975th ordered replicates.
        let v: Vec<f64> = (1..=999).rev().map(f64::from).collect();
        let ci = percentile_interval(&v, 0.95).unwrap();
        assert_eq!((ci.lower, ci.upper), (25.0, 975.0));
        // B = 9 at 80%: positions 1 and 9; at 50%: 2.5 and 7.5, interpolated.
        let v: Vec<f64> = (1..=9).map(|i| f64::from(i * i)).collect();
        let ci = percentile_interval(&v, 0.8).unwrap();
        assert!((ci.lower - 1.0).abs() < 1e-12 && (ci.upper - 81.0).abs() < 1e-12);
        let ci = percentile_interval(&v, 0.5).unwrap();
        assert!((ci.lower - 6.5).abs() < 1e-12, "{ci:?}");
        assert!((ci.upper - 56.5).abs() < 1e-12, "{ci:?}");
        assert!(percentile_interval(&[1.0, f64::NAN], 0.95).is_none());
        // R: sd(c(1, 2, 4)) = 1.527525231651947.
        assert!(
            (standard_deviation(&[1.0, 2.0, 4.0]).unwrap() - 1.527_525_231_651_947).abs() < 1e-15
        );
    }

    proptest! {
        #[test]
        fn the_interval_lies_within_the_replicates(
            v in prop::collection::vec(-1e6f64..1e6, 2..200),
            level in 0.5f64..0.999,
        ) {
            let ci = percentile_interval(&v, level).unwrap();
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(lo <= ci.lower && ci.lower <= ci.upper && ci.upper <= hi);
        }
    }
}
