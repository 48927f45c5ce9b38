//! The cohort-splice estimator: each age taken from one chosen birth cohort.
//!
//! `F(a) = Σ_{x≤a} E(b_x, x) / P(b_x, x)`, where `b_x` is the cohort chosen for age `x`
//! (Jay et al. 2025 take 2012/13 for ages 0–5, 2005/06 for 6–12, 2000/01 for 13–17).
//! Ages from one cohort are multinomial shares of that cohort, so the variance of the
//! part of `F` a cohort contributes is `q(1 − q) / P` (`q` its share, `P` its mean
//! population over those ages); cohorts are independent, so variances add. The interval
//! is Wilson's with the effective sample size `F(1 − F) / Var(F)`, which is exactly the
//! Wilson interval of a complete-follow-up proportion when one cohort supplies every age.

use crate::interval::{Interval, wilson};
use crate::lifetable::AgeEstimate;
use ndarray::ArrayView2;

/// Splice estimate: `design[a]` is the cohort row supplying age `a` (`None`: not
/// covered; the estimate stops there). Optional `correction[b, a]` multiplies events
/// (left-censoring correction; 1 where the cohort is observed from birth).
pub fn cohort_splice(
    events: ArrayView2<'_, f64>,
    population: ArrayView2<'_, f64>,
    design: &[Option<usize>],
    correction: Option<ArrayView2<'_, f64>>,
    level: f64,
) -> Vec<AgeEstimate> {
    assert_eq!(events.dim(), population.dim());
    let n_cohorts = events.nrows();
    let mut share = vec![0.0f64; n_cohorts];
    let mut pop_sum = vec![0.0f64; n_cohorts];
    let mut ages_used = vec![0u32; n_cohorts];
    let mut out = Vec::with_capacity(design.len());
    let mut cum = 0.0;
    for (a, cohort) in design.iter().enumerate() {
        let Some(b) = *cohort else { break };
        let p = population[[b, a]];
        if p <= 0.0 {
            break;
        }
        let c = correction.map_or(1.0, |c| c[[b, a]]);
        let e = events[[b, a]] * c;
        let inc = e / p;
        cum += inc;
        share[b] += inc;
        pop_sum[b] += p;
        ages_used[b] += 1;
        let variance: f64 = (0..n_cohorts)
            .filter(|&k| ages_used[k] > 0)
            .map(|k| {
                let q = share[k].clamp(0.0, 1.0);
                q * (1.0 - q) / (pop_sum[k] / f64::from(ages_used[k]))
            })
            .sum();
        let ci = effective_wilson(cum, variance, &pop_sum, &ages_used, level);
        out.push(AgeEstimate {
            age: a,
            events: e,
            at_risk: p,
            hazard: inc,
            cum_inc: cum,
            variance,
            ci,
        });
    }
    out
}

/// Wilson interval with effective sample size `F(1−F)/Var`; with no events yet, the
/// Wilson interval for zero among the smallest cohort used.
fn effective_wilson(
    f: f64,
    variance: f64,
    pop_sum: &[f64],
    ages_used: &[u32],
    level: f64,
) -> Interval {
    let f = f.clamp(0.0, 1.0);
    if variance > 0.0 && f > 0.0 && f < 1.0 {
        let n_eff = f * (1.0 - f) / variance;
        return wilson(f * n_eff, n_eff, level);
    }
    let n_min = pop_sum
        .iter()
        .zip(ages_used)
        .filter(|(_, k)| **k > 0)
        .map(|(p, k)| p / f64::from(*k))
        .fold(f64::INFINITY, f64::min);
    if n_min.is_finite() {
        wilson(f * n_min, n_min, level)
    } else {
        Interval {
            lower: 0.0,
            upper: 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::cohort_tables;
    use ndarray::array;
    use proptest::prelude::*;

    #[test]
    fn one_cohort_gives_the_wilson_interval_of_the_proportion() {
        let e = array![[3.0, 4.0, 5.0]];
        let p = array![[200.0, 200.0, 200.0]];
        let s = cohort_splice(e.view(), p.view(), &[Some(0); 3], None, 0.95);
        assert!((s[2].cum_inc - 0.06).abs() < 1e-15);
        let w = wilson(12.0, 200.0, 0.95);
        assert!((s[2].ci.lower - w.lower).abs() < 1e-12);
        assert!((s[2].ci.upper - w.upper).abs() < 1e-12);
    }

    #[test]
    fn splices_cohorts_and_applies_corrections() {
        let e = array![[10.0, 10.0, 99.0], [99.0, 99.0, 20.0]];
        let p = array![[100.0, 100.0, 100.0], [200.0, 200.0, 200.0]];
        let design = [Some(0), Some(0), Some(1)];
        let s = cohort_splice(e.view(), p.view(), &design, None, 0.95);
        assert!((s[2].cum_inc - 0.3).abs() < 1e-12);
        let v = 0.2 * 0.8 / 100.0 + 0.1 * 0.9 / 200.0;
        assert!((s[2].variance - v).abs() < 1e-15);
        let c = array![[1.0, 1.0, 1.0], [1.0, 1.0, 0.5]];
        let s = cohort_splice(e.view(), p.view(), &design, Some(c.view()), 0.95);
        assert!((s[2].cum_inc - 0.25).abs() < 1e-12);
        assert_eq!(
            cohort_splice(e.view(), p.view(), &[Some(0), None, Some(1)], None, 0.95).len(),
            1
        );
    }

    proptest! {
        #[test]
        fn incidence_is_a_probability_that_never_falls_and_is_bracketed(
            t in cohort_tables(),
            picks in prop::collection::vec(0usize..5, 18),
            level in 0.5f64..0.999,
        ) {
            let (n_cohorts, n_ages) = t.events.dim();
            let design: Vec<Option<usize>> =
                picks[..n_ages].iter().map(|&b| Some(b % n_cohorts)).collect();
            let s = cohort_splice(t.events.view(), t.population.view(), &design, None, level);
            prop_assert_eq!(s.len(), n_ages);
            let mut previous = 0.0;
            for e in &s {
                prop_assert!((0.0..=1.0).contains(&e.cum_inc), "{e:?}");
                prop_assert!(e.cum_inc >= previous, "{e:?} after {previous}");
                prop_assert!(0.0 <= e.ci.lower && e.ci.upper <= 1.0, "{e:?}");
                prop_assert!(e.ci.lower <= e.cum_inc + 1e-12, "{e:?}");
                prop_assert!(e.cum_inc <= e.ci.upper + 1e-12, "{e:?}");
                previous = e.cum_inc;
            }
        }
    }
}
