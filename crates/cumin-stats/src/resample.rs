//! Summaries of bootstrap replicates.

use crate::interval::Interval;

/// Percentile interval of `replicates` at `level`: R's `quantile(type = 7)` at `α/2` and
/// `1 − α/2`. Replicates that are not numbers (an estimate a resample could not produce)
/// are left out; `None` when fewer than two remain.
pub fn percentile_interval(replicates: &[f64], level: f64) -> Option<Interval> {
    let mut v: Vec<f64> = replicates.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.len() < 2 {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let alpha = 1.0 - level;
    Some(Interval {
        lower: quantile_type7(&v, alpha / 2.0),
        upper: quantile_type7(&v, 1.0 - alpha / 2.0),
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

/// `x[j] + g (x[j+1] − x[j])` with `h = (n − 1) p`, `j = ⌊h⌋`, `g = h − j` (sorted `x`).
fn quantile_type7(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let j = h.floor() as usize;
    let g = h - j as f64;
    match sorted.get(j + 1) {
        Some(next) if g > 0.0 => sorted[j] + g * (next - sorted[j]),
        _ => sorted[j],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn matches_r_quantile_type_7() {
        // R: quantile(c(5, 1, 4, 2, 3, 10), c(0.025, 0.975)) = 1.125, 9.375.
        let ci = percentile_interval(&[5.0, 1.0, 4.0, 2.0, 3.0, 10.0], 0.95).unwrap();
        assert!((ci.lower - 1.125).abs() < 1e-12, "{ci:?}");
        assert!((ci.upper - 9.375).abs() < 1e-12, "{ci:?}");
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
