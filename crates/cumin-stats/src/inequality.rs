//! Inequality across ordered groups (deprivation deciles, 1 = most deprived first):
//! the ratio and difference of the extreme groups, the slope and relative indices of
//! inequality (SII, RII) as PHEindicatormethods `phe_sii` computes them, and the
//! concentration index.
//!
//! Every function takes each group's estimate with its confidence limits and standard
//! error, so it applies to any estimator; groups are treated as independent samples and
//! their population shares as known (they come from population denominators).

use crate::interval::{Interval, z_for};
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// One group's estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GroupEstimate {
    /// The estimate (a proportion here).
    pub value: f64,
    /// Its standard error.
    pub se: f64,
    /// Its confidence interval (at the level the measures are asked for).
    pub ci: Interval,
    /// The group's population (a weight; only shares matter).
    pub population: f64,
}

/// An inequality measure with its interval; `None` where it is undefined (e.g. a ratio
/// over zero).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measure {
    /// The value.
    pub value: f64,
    /// Its confidence interval.
    pub ci: Interval,
}

/// `first / last` with a delta-method interval on the log scale,
/// `log(r) ± z √(se₁²/v₁² + se₂²/v₂²)`.
pub fn ratio(first: &GroupEstimate, last: &GroupEstimate, level: f64) -> Option<Measure> {
    if !(first.value > 0.0 && last.value > 0.0) {
        return None;
    }
    let r = first.value / last.value;
    let se = ((first.se / first.value).powi(2) + (last.se / last.value).powi(2)).sqrt();
    let half = z_for(level) * se;
    Some(Measure {
        value: r,
        ci: Interval {
            lower: r * (-half).exp(),
            upper: r * half.exp(),
        },
    })
}

/// `first − last` with the normal interval `± z √(se₁² + se₂²)`.
pub fn difference(first: &GroupEstimate, last: &GroupEstimate, level: f64) -> Measure {
    let d = first.value - last.value;
    let half = z_for(level) * first.se.hypot(last.se);
    Measure {
        value: d,
        ci: Interval {
            lower: d - half,
            upper: d + half,
        },
    }
}

/// Relative ranks: the midpoint of each group's share of the cumulative population,
/// groups in the order given (PHEindicatormethods `FindXValues`).
pub fn relative_ranks(groups: &[GroupEstimate]) -> Vec<f64> {
    let total: f64 = groups.iter().map(|g| g.population).sum();
    let mut before = 0.0;
    groups
        .iter()
        .map(|g| {
            let share = g.population / total;
            let rank = before + share / 2.0;
            before += share;
            rank
        })
        .collect()
}

/// The concentration index over groups ranked from most to least deprived:
/// `C = (2/μ) Σ_t f_t μ_t R_t − 1` (Kakwani, Wagstaff & van Doorslaer 1997, grouped
/// data), `f_t` population shares, `R_t` relative ranks, `μ = Σ f_t μ_t`. Negative when
/// the outcome is concentrated among the more deprived. Interval: normal, with the
/// delta-method variance `Σ_t (f_t/μ)² (2R_t − 1 − C)² se_t²` (their formula's term for
/// the group means; the shares are known, so their sampling term is absent).
pub fn concentration_index(groups: &[GroupEstimate], level: f64) -> Option<Measure> {
    let total: f64 = groups.iter().map(|g| g.population).sum();
    if groups.len() < 2 || !positive(total) {
        return None;
    }
    let ranks = relative_ranks(groups);
    let share = |g: &GroupEstimate| g.population / total;
    let mu: f64 = groups.iter().map(|g| share(g) * g.value).sum();
    if !positive(mu) {
        return None;
    }
    let c = 2.0 / mu
        * groups
            .iter()
            .zip(&ranks)
            .map(|(g, r)| share(g) * g.value * r)
            .sum::<f64>()
        - 1.0;
    let variance: f64 = groups
        .iter()
        .zip(&ranks)
        .map(|(g, r)| (share(g) / mu * (2.0 * r - 1.0 - c) * g.se).powi(2))
        .sum();
    let half = z_for(level) * variance.sqrt();
    Some(Measure {
        value: c,
        ci: Interval {
            lower: c - half,
            upper: c + half,
        },
    })
}

/// Slope and relative index of inequality.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SlopeIndices {
    /// SII: fitted value at the most deprived end minus the least deprived end.
    pub sii: Measure,
    /// RII: fitted value at the most deprived end over the least deprived end.
    pub rii: Measure,
}

/// How `phe_sii` is asked to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiiOptions {
    /// Simulated samples for the interval (`repetitions`; PHEindicatormethods' default
    /// is 100,000 and its minimum 1,000). A limit's Monte-Carlo standard error is about
    /// `1.36 / √R` of the interval's half-width (for a near-normal simulated
    /// distribution): 0.43% at 100,000, 1.4% at 10,000, 4.3% at 1,000.
    pub repetitions: usize,
    /// Seed of the simulation.
    pub seed: u64,
}

/// SII and RII for proportions in groups ordered from most to least deprived, as
/// PHEindicatormethods `phe_sii(value_type = 2, multiplier = -1, rii = TRUE)` computes
/// them (Low & Low 2004):
///
/// - `a_t` the group's population share, `b_t` its relative rank; least squares of
///   `√a_t·y_t` on `√a_t` and `b_t√a_t` without intercept (population-weighted
///   regression of `y` on `b`) gives intercept `β₀` and slope `β₁`;
///   `SII = −β₁` and `RII = β₀ / (β₀ + β₁)` (multiplier −1: the most deprived end first);
/// - interval: each group's value is drawn `repetitions` times on the logit scale from
///   `N(logit y_t, s_t)`, `s_t = (logit U_t − logit L_t) / 2z` from its confidence limits,
///   transformed back, the regression refitted, and the limits taken at positions
///   `round(R α/2)` and `round(R (1 − α/2))` of the sorted results.
///
/// Where a value or limit is 0 or 1 its logit is undefined; those groups are drawn on
/// the natural scale with `s_t = (U_t − L_t) / 2z` (`value_type = 0`). The random numbers
/// are cumin's, not R's, so limits agree with R's to simulation error only.
pub fn slope_indices(
    groups: &[GroupEstimate],
    level: f64,
    options: SiiOptions,
) -> Option<SlopeIndices> {
    let k = groups.len();
    let total: f64 = groups.iter().map(|g| g.population).sum();
    if k < 2 || !positive(total) || groups.iter().any(|g| !positive(g.population)) {
        return None;
    }
    let ranks = relative_ranks(groups);
    let sqrt_a: Vec<f64> = groups
        .iter()
        .map(|g| (g.population / total).sqrt())
        .collect();
    // (MᵀM)⁻¹Mᵀ for M = [√a, b√a]: maps weighted values to (β₀, β₁).
    let projection = regression_projection(&sqrt_a, &ranks)?;
    let fit = |values: &[f64]| {
        let (mut b0, mut b1) = (0.0, 0.0);
        for t in 0..k {
            let y = values[t] * sqrt_a[t];
            b0 += projection[[0, t]] * y;
            b1 += projection[[1, t]] * y;
        }
        (b0, b1)
    };
    let values: Vec<f64> = groups.iter().map(|g| g.value).collect();
    let (b0, b1) = fit(&values);
    let z = z_for(level);
    let scale: Vec<Scale> = groups.iter().map(|g| Scale::of(g, z)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut sii = Vec::with_capacity(options.repetitions);
    let mut rii = Vec::with_capacity(options.repetitions);
    let mut draw = vec![0.0; k];
    for _ in 0..options.repetitions {
        for t in 0..k {
            let n: f64 = StandardNormal.sample(&mut rng);
            draw[t] = scale[t].draw(n);
        }
        let (s0, s1) = fit(&draw);
        sii.push(-s1);
        rii.push(s0 / (s0 + s1));
    }
    let alpha = 1.0 - level;
    let limits = |mut v: Vec<f64>| {
        // 1-based positions `round(R p)`, kept inside the vector.
        let n = v.len();
        let at = |p: f64| {
            let pos = (options.repetitions as f64 * p).round_ties_even() as usize;
            pos.clamp(1, n) - 1
        };
        let (lower, upper) = order_statistics(&mut v, at(alpha / 2.0), at(1.0 - alpha / 2.0));
        Interval { lower, upper }
    };
    Some(SlopeIndices {
        sii: Measure {
            value: -b1,
            ci: limits(sii),
        },
        rii: Measure {
            value: b0 / (b0 + b1),
            ci: limits(rii),
        },
    })
}

/// The values at 0-based positions `lo` and `hi` of `v` sorted (by `f64::total_cmp`),
/// found by selection rather than a sort: `v` is reordered.
fn order_statistics(v: &mut [f64], lo: usize, hi: usize) -> (f64, f64) {
    let (a, b) = (lo.min(hi), lo.max(hi));
    let (_, &mut first, above) = v.select_nth_unstable_by(a, f64::total_cmp);
    let second = if b == a {
        first
    } else {
        *above.select_nth_unstable_by(b - a - 1, f64::total_cmp).1
    };
    if lo <= hi {
        (first, second)
    } else {
        (second, first)
    }
}

/// How one group's value is simulated.
#[derive(Clone, Copy, Debug)]
enum Scale {
    Logit { centre: f64, sd: f64 },
    Natural { centre: f64, sd: f64 },
}

impl Scale {
    fn of(g: &GroupEstimate, z: f64) -> Scale {
        let inside = |p: f64| p > 0.0 && p < 1.0;
        if inside(g.value) && inside(g.ci.lower) && inside(g.ci.upper) {
            Scale::Logit {
                centre: crate::glm::logit(g.value),
                sd: (crate::glm::logit(g.ci.upper) - crate::glm::logit(g.ci.lower)) / z / 2.0,
            }
        } else {
            Scale::Natural {
                centre: g.value,
                sd: (g.ci.upper - g.ci.lower) / z / 2.0,
            }
        }
    }

    fn draw(self, standard_normal: f64) -> f64 {
        match self {
            Scale::Logit { centre, sd } => crate::glm::expit(centre + sd * standard_normal),
            Scale::Natural { centre, sd } => centre + sd * standard_normal,
        }
    }
}

/// `(MᵀM)⁻¹Mᵀ` for the two columns `√a` and `b√a`.
fn regression_projection(sqrt_a: &[f64], ranks: &[f64]) -> Option<Array2<f64>> {
    let k = sqrt_a.len();
    let (mut s00, mut s01, mut s11) = (0.0, 0.0, 0.0);
    for t in 0..k {
        let (x0, x1) = (sqrt_a[t], ranks[t] * sqrt_a[t]);
        s00 += x0 * x0;
        s01 += x0 * x1;
        s11 += x1 * x1;
    }
    let det = s00 * s11 - s01 * s01;
    if det.abs() <= 1e-15 * s00 * s11 || det.is_nan() {
        return None;
    }
    Some(Array2::from_shape_fn((2, k), |(row, t)| {
        let (x0, x1) = (sqrt_a[t], ranks[t] * sqrt_a[t]);
        if row == 0 {
            (s11 * x0 - s01 * x1) / det
        } else {
            (s00 * x1 - s01 * x0) / det
        }
    }))
}

/// Whether `x` is a positive number (false for NaN).
fn positive(x: f64) -> bool {
    x > 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(value: f64, se: f64, population: f64) -> GroupEstimate {
        let z = z_for(0.95);
        GroupEstimate {
            value,
            se,
            ci: Interval {
                lower: value - z * se,
                upper: value + z * se,
            },
            population,
        }
    }

    #[test]
    fn ratio_and_difference_by_hand() {
        let (d1, d10) = (group(0.5, 0.01, 100.0), group(0.2, 0.01, 100.0));
        let r = ratio(&d1, &d10, 0.95).unwrap();
        assert!((r.value - 2.5).abs() < 1e-15);
        let se = (0.02f64.powi(2) + 0.05f64.powi(2)).sqrt();
        assert!((r.ci.lower - 2.5 * (-1.959_963_984_540_054 * se).exp()).abs() < 1e-12);
        let d = difference(&d1, &d10, 0.95);
        assert!((d.value - 0.3).abs() < 1e-15);
        assert!((d.ci.upper - (0.3 + 1.959_963_984_540_054 * 0.02f64.sqrt() * 0.1)).abs() < 1e-12);
        assert!(ratio(&d1, &group(0.0, 0.0, 1.0), 0.95).is_none());
    }

    #[test]
    fn ranks_are_midpoints_of_cumulative_shares() {
        // PHEindicatormethods' own example: 12% then 10% of the population.
        let g = [
            group(0.1, 0.0, 12.0),
            group(0.1, 0.0, 10.0),
            group(0.1, 0.0, 78.0),
        ];
        let r = relative_ranks(&g);
        assert!((r[0] - 0.06).abs() < 1e-15 && (r[1] - 0.17).abs() < 1e-15);
        assert!((r[2] - 0.61).abs() < 1e-15);
    }

    #[test]
    fn a_linear_gradient_is_recovered_exactly() {
        // y = 0.5 − 0.3 b at the ranks of ten equal deciles: SII = 0.3, RII = 0.5/0.2.
        let groups: Vec<GroupEstimate> = (0..10)
            .map(|t| group(0.5 - 0.3 * (f64::from(t) + 0.5) / 10.0, 0.01, 1000.0))
            .collect();
        let s = slope_indices(
            &groups,
            0.95,
            SiiOptions {
                repetitions: 2000,
                seed: 1,
            },
        )
        .unwrap();
        assert!((s.sii.value - 0.3).abs() < 1e-12, "{s:?}");
        assert!((s.rii.value - 2.5).abs() < 1e-12, "{s:?}");
        assert!(s.sii.ci.contains(0.3) && s.rii.ci.contains(2.5), "{s:?}");
        // No group with any inequality: the concentration index is 0.
        let flat: Vec<GroupEstimate> = (0..5).map(|_| group(0.3, 0.01, 7.0)).collect();
        assert!(concentration_index(&flat, 0.95).unwrap().value.abs() < 1e-15);
    }

    proptest::proptest! {
        /// The limits by selection are the sorted vector's entries at the same positions.
        #[test]
        fn order_statistics_are_the_sorted_entries(
            mut v in proptest::collection::vec(-1e3f64..1e3, 1..300),
            a in 0usize..300,
            b in 0usize..300,
        ) {
            let (lo, hi) = (a % v.len(), b % v.len());
            // Ties: every other value repeated.
            for i in (1..v.len()).step_by(2) {
                v[i] = v[i - 1];
            }
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let got = order_statistics(&mut v, lo, hi);
            proptest::prop_assert_eq!(got, (sorted[lo], sorted[hi]));
        }
    }

    #[test]
    fn concentration_index_by_hand() {
        // Two equal groups, 0.3 and 0.1: μ = 0.2, R = (0.25, 0.75),
        // C = (2/0.2)(0.5·0.3·0.25 + 0.5·0.1·0.75) − 1 = −0.25.
        let g = [group(0.3, 0.01, 50.0), group(0.1, 0.02, 50.0)];
        let c = concentration_index(&g, 0.95).unwrap();
        assert!((c.value + 0.25).abs() < 1e-15, "{c:?}");
        // Var = Σ (f/μ)² (2R − 1 − C)² se²: (2.5·(−0.25))²·1e-4 + (2.5·0.75)²·4e-4.
        let v = (2.5f64 * -0.25).powi(2) * 1e-4 + (2.5f64 * 0.75).powi(2) * 4e-4;
        assert!((c.ci.upper - (-0.25 + 1.959_963_984_540_054 * v.sqrt())).abs() < 1e-12);
    }
}
