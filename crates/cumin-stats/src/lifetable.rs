//! The life-table estimator of cumulative incidence, pooling birth cohorts.
//!
//! For every age `a`, the hazard of a first event pools the cohorts observed at that age:
//! `h(a) = Σ_b E(b,a) / Σ_b R(b,a)`, where `R(b,a) = P(b,a) − Σ_{x<a} E(b,x)` is the
//! cohort's population still without an event. Cumulative incidence
//! `F(a) = 1 − Π_{x≤a} (1 − h(x))`; Greenwood's variance of `log S(a)`,
//! `Σ_{x≤a} d_x / (n_x (n_x − d_x))`, gives an interval on the log(−log) scale (as R
//! `survival::survfit(conf.type = "log-log")`). The product and the variance are the
//! Kaplan–Meier ones ([`ProductLimit`]) over the pooled risk sets; with one cohort, a
//! closed population and no censoring this is Kaplan–Meier, checked against R in
//! `tests/reference.rs`.

use crate::interval::{Interval, SurvivalScale, normal_upper_tail, survival_interval, z_for};
use crate::product_limit::ProductLimit;
use ndarray::{Array2, ArrayView2};

/// The estimate at one age.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AgeEstimate {
    /// Age column (0-based index into the input tables).
    pub age: usize,
    /// Events used at this age.
    pub events: f64,
    /// Denominator at this age (children at risk, or population for a splice).
    pub at_risk: f64,
    /// Hazard or increment at this age.
    pub hazard: f64,
    /// Cumulative incidence by the end of this age.
    pub cum_inc: f64,
    /// Variance of the estimate's working quantity (log S for the life table, F for a
    /// splice).
    pub variance: f64,
    /// Confidence interval for `cum_inc`.
    pub ci: Interval,
}

/// Life-table estimate from cohort × age tables of first events `events`, population
/// `population`, and `observed` (whether a cohort's whole age-year lies in the data),
/// every cohort taken as closed from birth: `R(b,a) = P(b,a) − Σ_{x<a} E(b,x)`.
///
/// Returns one estimate per age from the first, stopping at the first age no cohort
/// observes (the product cannot continue past a gap).
pub fn life_table(
    events: ArrayView2<'_, f64>,
    population: ArrayView2<'_, f64>,
    observed: ArrayView2<'_, bool>,
    level: f64,
) -> Vec<AgeEstimate> {
    assert_eq!(events.dim(), population.dim());
    assert_eq!(events.dim(), observed.dim());
    let at_risk = closed_cohort_at_risk(events, population);
    let used = Array2::from_shape_fn(events.dim(), |(b, a)| {
        observed[[b, a]] && population[[b, a]] > 0.0
    });
    pooled_product_limit(events, at_risk.view(), used.view(), level)
}

/// `R(b,a) = P(b,a) − Σ_{x<a} E(b,x)`: children of a closed cohort without an event
/// before age `a`.
pub fn closed_cohort_at_risk(
    events: ArrayView2<'_, f64>,
    population: ArrayView2<'_, f64>,
) -> Array2<f64> {
    let mut at_risk = population.to_owned();
    for (mut r, e) in at_risk.rows_mut().into_iter().zip(events.rows()) {
        let mut earlier = 0.0;
        for (r, e) in r.iter_mut().zip(e) {
            *r -= earlier;
            earlier += e;
        }
    }
    at_risk
}

/// The product-limit estimate over the cells `used` selects: at each age the hazard
/// `Σ_b E(b,a) / Σ_b R(b,a)` over the selected cohorts, Greenwood's variance of
/// `log S`, and the log(−log) interval. Stops at the first age with no selected cell.
pub fn pooled_product_limit(
    events: ArrayView2<'_, f64>,
    at_risk: ArrayView2<'_, f64>,
    used: ArrayView2<'_, bool>,
    level: f64,
) -> Vec<AgeEstimate> {
    assert_eq!(events.dim(), at_risk.dim());
    assert_eq!(events.dim(), used.dim());
    let (n_cohorts, n_ages) = events.dim();
    let z = z_for(level);
    let mut out = Vec::with_capacity(n_ages);
    let mut product = ProductLimit::new();
    for a in 0..n_ages {
        let cells = (0..n_cohorts).filter(|&b| used[[b, a]]);
        let (d, n, any) = cells.fold((0.0, 0.0, false), |(d, n, _), b| {
            (d + events[[b, a]], n + at_risk[[b, a]].max(0.0), true)
        });
        if !any {
            break;
        }
        let Some(h) = product.step(n, d) else { break };
        out.push(estimate_at(a, d, n, h, &product, z));
    }
    out
}

/// A life table whose cohorts enter observation at different ages.
#[derive(Clone, Debug, PartialEq)]
pub struct DelayedEntry {
    /// The estimate at each age.
    pub estimates: Vec<AgeEstimate>,
    /// `R(b,a)` for every cell used (0 elsewhere), for period tables over the same cells.
    pub at_risk: Array2<f64>,
    /// The cells used: each cohort's first unbroken run of observed ages.
    pub used: Array2<bool>,
}

/// Life table pooling cohorts observed from different ages, from first-*ever* events
/// `events` (for a cohort first observed at age `u > 0`, its first events at `a ≥ u`,
/// corrected for left-censoring).
///
/// A cohort first observed at age `u` enters with `P(b,u) Ŝ(u − 1)` children at risk, where
/// `Ŝ` is the pooled estimate so far (the cohort's own history before `u` is unseen, and
/// the life table already assumes cohorts share their hazards):
/// `R(b,a) = P(b,a) Ŝ(u_b − 1) − Σ_{u_b ≤ x < a} E(b,x)`. With `u = 0` this is
/// [`life_table`]'s closed cohort.
pub fn life_table_delayed_entry(
    events: ArrayView2<'_, f64>,
    population: ArrayView2<'_, f64>,
    observed: ArrayView2<'_, bool>,
    level: f64,
) -> DelayedEntry {
    assert_eq!(events.dim(), population.dim());
    assert_eq!(events.dim(), observed.dim());
    let (n_cohorts, n_ages) = events.dim();
    let used = first_observed_runs(population, observed);
    let z = z_for(level);
    let mut at_risk = Array2::zeros((n_cohorts, n_ages));
    let mut entry_survival = vec![f64::NAN; n_cohorts];
    let mut earlier = vec![0.0f64; n_cohorts];
    let mut estimates = Vec::with_capacity(n_ages);
    let mut product = ProductLimit::new();
    for a in 0..n_ages {
        let mut d = 0.0;
        let mut n = 0.0;
        let mut any = false;
        for b in 0..n_cohorts {
            if !used[[b, a]] {
                continue;
            }
            if entry_survival[b].is_nan() {
                entry_survival[b] = product.survival();
            }
            let r = (population[[b, a]] * entry_survival[b] - earlier[b]).max(0.0);
            at_risk[[b, a]] = r;
            d += events[[b, a]];
            n += r;
            earlier[b] += events[[b, a]];
            any = true;
        }
        if !any {
            break;
        }
        let Some(h) = product.step(n, d) else { break };
        estimates.push(estimate_at(a, d, n, h, &product, z));
    }
    DelayedEntry {
        estimates,
        at_risk,
        used,
    }
}

/// Each cohort's first unbroken run of observed ages with a population.
pub fn first_observed_runs(
    population: ArrayView2<'_, f64>,
    observed: ArrayView2<'_, bool>,
) -> Array2<bool> {
    let mut used = Array2::from_elem(observed.dim(), false);
    for (b, row) in observed.rows().into_iter().enumerate() {
        let ok = |a: usize| row[a] && population[[b, a]] > 0.0;
        if let Some(start) = (0..row.len()).find(|&a| ok(a)) {
            for a in (start..row.len()).take_while(|&a| ok(a)) {
                used[[b, a]] = true;
            }
        }
    }
    used
}

fn estimate_at(a: usize, d: f64, n: f64, h: f64, product: &ProductLimit, z: f64) -> AgeEstimate {
    let surv = product.survival();
    AgeEstimate {
        age: a,
        events: d,
        at_risk: n,
        hazard: h,
        cum_inc: 1.0 - surv,
        variance: product.var_log_survival(),
        ci: loglog_interval(surv, product.var_log_survival(), z, n),
    }
}

/// Interval for `F = 1 − S` from `Var(log S)` on the log(−log S) scale: one minus R
/// `survfit`'s log-log limits for `S`, swapped.
///
/// Where R has no interval, this one is defined rather than missing, because a
/// cumulative incidence of 0 or 1 still needs one. With no events yet (`S = 1`) the
/// upper limit is the exact binomial bound for zero events among `n`, `1 − (α/2)^{1/n}`
/// (one-sided at `z`); when every child has had the event (`S = 0`) the interval is
/// `[1, 1]`.
pub fn loglog_interval(surv: f64, var_log_s: f64, z: f64, n: f64) -> Interval {
    if surv >= 1.0 {
        let alpha_half = normal_upper_tail(z);
        return Interval {
            lower: 0.0,
            // 1 − (α/2)^{1/n}, without losing digits when it is small.
            upper: if n > 0.0 {
                -(alpha_half.ln() / n).exp_m1()
            } else {
                1.0
            },
        };
    }
    match survival_interval(surv, var_log_s.sqrt(), z, SurvivalScale::LogLog) {
        Some(s) => Interval {
            lower: 1.0 - s.upper,
            upper: 1.0 - s.lower,
        },
        None => Interval {
            lower: 1.0,
            upper: 1.0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::cohort_tables;
    use ndarray::{Array2, Axis, array, concatenate};
    use proptest::prelude::*;

    #[test]
    fn one_cohort_is_kaplan_meier_on_a_closed_population() {
        // 100 children; 10 first events at age 0, 9 at age 1, 8 at age 2.
        let e = array![[10.0, 9.0, 8.0]];
        let p = array![[100.0, 100.0, 100.0]];
        let o = array![[true, true, true]];
        let lt = life_table(e.view(), p.view(), o.view(), 0.95);
        assert_eq!(lt.len(), 3);
        assert_eq!(lt[1].at_risk, 90.0);
        assert!((lt[2].cum_inc - 0.27).abs() < 1e-12);
        // Greenwood: 10/(100*90) + 9/(90*81) + 8/(81*73)
        let g = 10.0 / 9000.0 + 9.0 / 7290.0 + 8.0 / (81.0 * 73.0);
        assert!((lt[2].variance - g).abs() < 1e-15);
        assert!(lt[2].ci.contains(0.27));
    }

    #[test]
    fn pools_cohorts_and_stops_at_gaps() {
        // Cohort 0 observed at ages 0-1, cohort 1 at ages 1-2 (left-censored at 0).
        let e = array![[5.0, 4.0, 0.0], [6.0, 3.0, 2.0]];
        let p = array![[50.0, 50.0, 50.0], [60.0, 60.0, 60.0]];
        let o = array![[true, true, false], [false, true, true]];
        let lt = life_table(e.view(), p.view(), o.view(), 0.95);
        assert_eq!(lt[0].events, 5.0);
        assert_eq!(lt[0].at_risk, 50.0);
        assert_eq!(lt[1].events, 7.0);
        assert_eq!(lt[1].at_risk, 45.0 + 54.0);
        assert_eq!(lt[2].at_risk, 51.0);
        let o_gap = array![[true, false, true], [true, false, true]];
        assert_eq!(life_table(e.view(), p.view(), o_gap.view(), 0.95).len(), 1);
    }

    #[test]
    fn late_cohorts_enter_with_the_pooled_survival() {
        // Cohort 0 from birth: 100 children, 20 first events at 0, 8 at 1.
        // Cohort 1 from age 1: 200 children; of the 160 expected still at risk
        // (200 × Ŝ(0) = 200 × 0.8), 16 first events at 1, then 12 at 2.
        let e = array![[20.0, 8.0, 0.0], [0.0, 16.0, 12.0]];
        let p = array![[100.0, 100.0, 100.0], [200.0, 200.0, 200.0]];
        let o = array![[true, true, false], [false, true, true]];
        let lt = life_table_delayed_entry(e.view(), p.view(), o.view(), 0.95);
        assert_eq!(lt.at_risk[[1, 1]], 160.0);
        assert_eq!(lt.estimates[1].at_risk, 80.0 + 160.0);
        assert!((lt.estimates[1].hazard - 24.0 / 240.0).abs() < 1e-15);
        assert_eq!(lt.at_risk[[1, 2]], 144.0);
        assert!((lt.estimates[2].cum_inc - (1.0 - 0.8 * 0.9 * (1.0 - 12.0 / 144.0))).abs() < 1e-15);
        assert!(lt.used[[1, 2]] && !lt.used[[0, 2]] && !lt.used[[1, 0]]);
        // A period table over the same cells, cohort 1 only from age 1.
        let period = Array2::from_shape_fn((2, 3), |(b, a)| lt.used[[b, a]] && b == 1);
        let p1 = pooled_product_limit(e.view(), lt.at_risk.view(), period.view(), 0.95);
        assert!(p1.is_empty(), "no cell at age 0: the product cannot start");
    }

    proptest! {
        #[test]
        fn cohorts_entering_at_birth_give_the_closed_life_table(t in cohort_tables()) {
            let mut seen = t.observed.clone();
            seen.column_mut(0).fill(true);
            let observed = first_observed_runs(t.population.view(), seen.view());
            let closed = life_table(t.events.view(), t.population.view(), observed.view(), 0.95);
            let delayed = life_table_delayed_entry(
                t.events.view(), t.population.view(), observed.view(), 0.95,
            );
            prop_assert_eq!(closed, delayed.estimates);
        }

        #[test]
        fn incidence_is_a_probability_that_never_falls(t in cohort_tables()) {
            let lt = life_table(t.events.view(), t.population.view(), t.observed.view(), 0.95);
            let mut previous = 0.0;
            for e in &lt {
                prop_assert!((0.0..=1.0).contains(&e.cum_inc), "{e:?}");
                prop_assert!(e.cum_inc >= previous, "{e:?} after {previous}");
                previous = e.cum_inc;
            }
        }

        #[test]
        fn the_interval_brackets_the_estimate(t in cohort_tables(), level in 0.5f64..0.999) {
            let lt = life_table(t.events.view(), t.population.view(), t.observed.view(), level);
            for e in &lt {
                prop_assert!(0.0 <= e.ci.lower && e.ci.upper <= 1.0, "{e:?}");
                prop_assert!(e.ci.lower <= e.cum_inc + 1e-12, "{e:?}");
                prop_assert!(e.cum_inc <= e.ci.upper + 1e-12, "{e:?}");
            }
        }

        #[test]
        fn an_empty_cohort_changes_nothing(
            t in cohort_tables(),
            at in 0usize..5,
            flagged_observed in any::<bool>(),
        ) {
            // A cohort with no children and no events, whether or not it is flagged as
            // observed (a cohort with no population is never pooled), inserted anywhere.
            let before = life_table(t.events.view(), t.population.view(), t.observed.view(), 0.95);
            let (n_cohorts, n_ages) = t.events.dim();
            let at = at.min(n_cohorts);
            let zeros = Array2::<f64>::zeros((1, n_ages));
            let flags = Array2::from_elem((1, n_ages), flagged_observed);
            let insert = |table: ndarray::ArrayView2<'_, f64>| {
                let (top, bottom) = table.split_at(Axis(0), at);
                concatenate![Axis(0), top, zeros.view(), bottom]
            };
            let (top, bottom) = t.observed.view().split_at(Axis(0), at);
            let observed = concatenate![Axis(0), top, flags.view(), bottom];
            let events = insert(t.events.view());
            let population = insert(t.population.view());
            let after = life_table(events.view(), population.view(), observed.view(), 0.95);
            prop_assert_eq!(before, after);
        }
    }
}
