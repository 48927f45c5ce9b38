//! The Aalen–Johansen estimator of cumulative incidence under competing risks, with the
//! variance R `cmprsk::cuminc` reports.
//!
//! At the distinct times `t_j`, with `n_j` at risk, `d_kj` events of cause `k`,
//! `d_j = Σ_k d_kj`, and `S` the Kaplan–Meier probability of no event of any cause
//! ([`ProductLimit`]):
//!
//! ```text
//! F_k(t) = Σ_{t_j ≤ t} S(t_j−) d_kj / n_j
//! ```
//!
//! Its variance is Aalen's (1978) asymptotic variance in the form Gray's cmprsk computes
//! (`cinc.f`, the `var` component of `cuminc`), with `Δ_j = F_k(t) − F_k(t_j)`,
//! `d'_j = d_j − d_kj` (events of the other causes) and `c(d, n) = 1 − (d − 1)/(n − 1)`
//! for `d > 1`, else 1 (a correction for tied events):
//!
//! ```text
//! Var F_k(t) = Σ_{t_j ≤ t} S(t_j−)² c(d_kj, n_j) d_kj / n_j² · (1 − Δ_j / S(t_j))²
//!            + Σ_{t_j ≤ t} S(t_j−)² c(d'_j, n_j) d'_j / n_j² · (Δ_j / S(t_j))²
//! ```
//!
//! Where `S(t_j) = 0` the second term is dropped and the bracket of the first is 1, as in
//! `cinc.f`. Expanding the squares, `Var = v1 − 2 F v2 + F² v3` with three running sums,
//! so one pass suffices; like cmprsk the variance is updated at times with an event of
//! cause `k` only, which loses nothing because the competing terms vanish (`Δ = 0`) until
//! `F_k` moves again. This is **not** the variance R `survival::survfit` reports for a
//! multi-state curve: that is an infinitesimal-jackknife estimate, asymptotically
//! equivalent but different in finite samples (see `docs/validation.md`).

use crate::product_limit::ProductLimit;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

/// Cumulative incidence of every cause at each time of a risk table.
#[derive(Clone, Debug, PartialEq)]
pub struct CumulativeIncidence {
    /// Probability of no event of any cause just after each time (Kaplan–Meier).
    pub survival: Array1<f64>,
    /// `cum_inc[[i, k]]`: cumulative incidence of cause `k` by the `i`-th time.
    pub cum_inc: Array2<f64>,
    /// `variance[[i, k]]`: Aalen's variance of `cum_inc[[i, k]]`, as `cmprsk::cuminc`.
    pub variance: Array2<f64>,
}

/// Aalen–Johansen estimate from counts: `events[[i, k]]` events of cause `k` among the
/// `at_risk[i]` at the `i`-th distinct time, in time order (a
/// [`RiskTable`](crate::RiskTable)'s `at_risk` and `events`).
///
/// Returns one row per time, stopping before the first time with nobody at risk. Negative
/// or NaN counts are taken as 0. If the events at a time exceed those at risk (an
/// over-corrected count), the number at risk is taken to be the number of events, so the
/// probabilities still add to one.
pub fn aalen_johansen(
    at_risk: ArrayView1<'_, f64>,
    events: ArrayView2<'_, f64>,
) -> CumulativeIncidence {
    assert_eq!(
        at_risk.len(),
        events.nrows(),
        "one row of events per risk set"
    );
    let n_causes = events.ncols();
    let mut product = ProductLimit::new();
    let mut cum_inc = vec![0.0f64; n_causes];
    let mut variance = vec![0.0f64; n_causes];
    let mut sums = vec![GraySums::default(); n_causes];
    let mut own = vec![0.0f64; n_causes];
    let (mut s_out, mut f_out, mut v_out) = (Vec::new(), Vec::new(), Vec::new());
    for (&n, row) in at_risk.into_iter().zip(events.into_outer_iter()) {
        for (o, &d) in own.iter_mut().zip(row) {
            *o = d.max(0.0);
        }
        let d_all: f64 = own.iter().sum();
        let s_before = product.survival();
        if product.step(n, d_all).is_none() {
            break;
        }
        let s_after = product.survival();
        let n = n.max(d_all);
        for k in 0..n_causes {
            cum_inc[k] += s_before * own[k] / n;
            let f = cum_inc[k];
            let sums = &mut sums[k];
            let other = d_all - own[k];
            if other > 0.0 && s_after > 0.0 {
                let weight = s_before * s_before * ties(other, n) * other / (n * n);
                sums.add(weight, 1.0 / s_after, f / s_after);
            }
            if own[k] > 0.0 {
                let weight = s_before * s_before * ties(own[k], n) * own[k] / (n * n);
                let inv_s = if s_after > 0.0 { 1.0 / s_after } else { 0.0 };
                sums.add(weight, inv_s, 1.0 + inv_s * f);
                variance[k] = (sums.v1 + f * f * sums.v3 - 2.0 * f * sums.v2).max(0.0);
            }
        }
        s_out.push(s_after);
        f_out.extend_from_slice(&cum_inc);
        v_out.extend_from_slice(&variance);
    }
    let rows = s_out.len();
    CumulativeIncidence {
        survival: Array1::from(s_out),
        cum_inc: Array2::from_shape_vec((rows, n_causes), f_out)
            .expect("one row of n_causes estimates per time"),
        variance: Array2::from_shape_vec((rows, n_causes), v_out)
            .expect("one row of n_causes variances per time"),
    }
}

/// The running sums of `cinc.f` (`v1`, `v2`, `v3`).
#[derive(Clone, Copy, Debug, Default)]
struct GraySums {
    v1: f64,
    v2: f64,
    v3: f64,
}

impl GraySums {
    /// Adds one term `weight · (a − F(t) b)²`, kept expanded in powers of `F(t)`.
    fn add(&mut self, weight: f64, b: f64, a: f64) {
        self.v1 += a * a * weight;
        self.v2 += b * a * weight;
        self.v3 += b * b * weight;
    }
}

/// Gray's correction for `d` tied events among `n`: `1 − (d − 1)/(n − 1)`.
fn ties(d: f64, n: f64) -> f64 {
    if d > 1.0 {
        1.0 - (d - 1.0) / (n - 1.0)
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kaplan_meier::kaplan_meier;
    use ndarray::{Axis, array};
    use proptest::prelude::*;

    #[test]
    fn one_cause_is_one_minus_kaplan_meier() {
        let n = array![10.0, 8.0, 5.0, 2.0];
        let d = array![[2.0], [1.0], [0.0], [1.0]];
        let aj = aalen_johansen(n.view(), d.view());
        let km = kaplan_meier(n.view(), d.column(0));
        for (i, e) in km.iter().enumerate() {
            assert!((aj.cum_inc[[i, 0]] + e.survival - 1.0).abs() < 1e-15);
            assert!((aj.survival[i] - e.survival).abs() < 1e-15);
        }
        // With one cause, Aalen's variance with Gray's tie correction reduces to
        // S(t)² Σ d / ((n − 1)(n − d)): Greenwood's with n − 1 in place of n.
        let mut sum = 0.0;
        for i in 0..4 {
            sum += d[[i, 0]] / ((n[i] - 1.0) * (n[i] - d[[i, 0]]));
            let s = km[i].survival;
            assert!((aj.variance[[i, 0]] - s * s * sum).abs() < 1e-15, "{i}");
        }
    }

    #[test]
    fn binomial_variance_at_the_first_time() {
        // At the first time F = d/n, and with Gray's tie correction Aalen's variance
        // is the unbiased binomial one, p(1−p)/(n − 1).
        let aj = aalen_johansen(array![20.0].view(), array![[3.0, 2.0]].view());
        for (k, d) in [(0, 3.0), (1, 2.0)] {
            let p: f64 = d / 20.0;
            assert!((aj.cum_inc[[0, k]] - p).abs() < 1e-15);
            assert!((aj.variance[[0, k]] - p * (1.0 - p) / 19.0).abs() < 1e-15);
        }
    }

    #[test]
    fn edge_cases_do_not_panic() {
        let empty = aalen_johansen(array![].view(), Array2::zeros((0, 2)).view());
        assert_eq!(empty.cum_inc.dim(), (0, 2));
        // Nobody at risk at the second time: the estimate stops.
        let stop = aalen_johansen(
            array![3.0, 0.0].view(),
            array![[1.0, 0.0], [0.0, 0.0]].view(),
        );
        assert_eq!(stop.survival.len(), 1);
        // Everyone fails at once, more events than at risk, no events at all.
        let all = aalen_johansen(
            array![4.0, 2.0].view(),
            array![[1.0, 1.0], [2.0, 3.0]].view(),
        );
        assert_eq!(all.survival[1], 0.0);
        assert!((all.cum_inc.row(1).sum() - 1.0).abs() < 1e-15);
        assert!(all.variance.iter().all(|v| v.is_finite() && *v >= 0.0));
        let none = aalen_johansen(array![5.0, 4.0].view(), Array2::zeros((2, 2)).view());
        assert!(none.cum_inc.iter().chain(&none.variance).all(|x| *x == 0.0));
    }

    proptest! {
        #[test]
        fn incidences_are_probabilities_that_never_fall(
            rows in prop::collection::vec((0.0f64..0.3, 0.0f64..0.3, 0.0f64..0.2), 1..30),
        ) {
            // A shrinking risk set: each time loses its events and some censorings.
            let mut n = 1000.0;
            let mut at_risk = Vec::new();
            let mut events = Vec::new();
            for (a, b, c) in &rows {
                let d1 = (n * a).floor();
                let d2 = (n * b).floor();
                at_risk.push(n);
                events.extend([d1, d2]);
                n = (n - d1 - d2 - (n * c).floor()).max(0.0);
            }
            let events = Array2::from_shape_vec((at_risk.len(), 2), events).unwrap();
            let aj = aalen_johansen(Array1::from(at_risk).view(), events.view());
            for k in 0..2 {
                let f = aj.cum_inc.column(k);
                prop_assert!(f.iter().all(|x| (0.0..=1.0).contains(x)));
                prop_assert!(f.windows(2).into_iter().all(|w| w[0] <= w[1]));
                prop_assert!(aj.variance.column(k).iter().all(|v| *v >= 0.0 && v.is_finite()));
            }
            for (i, row) in aj.cum_inc.axis_iter(Axis(0)).enumerate() {
                prop_assert!((row.sum() + aj.survival[i] - 1.0).abs() < 1e-12);
            }
        }
    }
}
