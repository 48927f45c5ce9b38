//! `cumin-stats` against reference implementations: R `survival`, `cmprsk` and `glm`, and
//! Python statsmodels and numpy. The fixtures and the scripts that made them are in
//! `fixtures/reference/` and `scripts/reference/`; tolerances are in
//! `support/tolerance.rs`. Run with `--nocapture` to see the largest differences.

// Counts and times are compared exactly, on purpose; estimates go through `MaxDiff`.
#![allow(clippy::float_cmp)]

mod support;

use cumin_stats::{
    Observation, RiskTable, Status, SurvivalScale, aalen_johansen, clopper_pearson, kaplan_meier,
    life_table, wilson,
};
use ndarray::Array2;
use support::tolerance::{
    AALEN_JOHANSEN, KAPLAN_MEIER, LOGIT_FIT, PERCENTILE_LIMIT, PROPORTION_INTERVAL,
};
use support::{Fixture, MaxDiff, Row};

const LEVEL: f64 = 0.95;

/// The observations of one dataset in an `*_input.csv` (status 0 censored, `k` cause `k`).
fn observations(input: &Fixture, dataset: &str) -> Vec<Observation> {
    input
        .filter("dataset", dataset)
        .map(|r| Observation {
            time: r.f64("time"),
            status: match r.f64("status") as usize {
                0 => Status::Censored,
                k => Status::Event { cause: k - 1 },
            },
        })
        .collect()
}

/// R's interval limits for a row, `None` if R gave `NA`.
fn r_limits(row: &Row, lower: &str, upper: &str) -> Option<(f64, f64)> {
    match (row.num(lower), row.num(upper)) {
        (Some(l), Some(u)) => Some((l, u)),
        (None, None) => None,
        _ => panic!("only one of {lower}, {upper} is NA"),
    }
}

#[test]
fn kaplan_meier_matches_r_survfit() {
    let input = Fixture::read("km_input.csv");
    let expected = Fixture::read("km.csv");
    let mut surv = MaxDiff::new("KM survival", KAPLAN_MEIER);
    let mut se = MaxDiff::new("KM Greenwood std.err of log S", KAPLAN_MEIER);
    let mut loglog = MaxDiff::new("KM log-log limits", KAPLAN_MEIER);
    let mut log = MaxDiff::new("KM log limits", KAPLAN_MEIER);
    for dataset in expected.distinct("dataset") {
        let table = RiskTable::from_observations(&observations(&input, &dataset)).unwrap();
        let km = kaplan_meier(table.at_risk.view(), table.any_events().view());
        let rows: Vec<&Row> = expected.filter("dataset", &dataset).collect();
        assert_eq!(km.len(), rows.len(), "{dataset}: one estimate per R row");
        assert_eq!(table.time.len(), rows.len(), "{dataset}: distinct times");
        for (i, (ours, r)) in km.iter().zip(&rows).enumerate() {
            let at = format!("{dataset} time {}", r.f64("time"));
            assert_eq!(table.time[i], r.f64("time"), "{at}");
            assert_eq!(ours.at_risk, r.f64("n_risk"), "{at}");
            assert_eq!(ours.events, r.f64("n_event"), "{at}");
            assert_eq!(table.censored[i], r.f64("n_censor"), "{at}");
            surv.check(ours.survival, r.f64("surv"), &at);
            se.check(ours.std_err, r.f64("std_err"), &at);
            for (scale, lower, upper, diff) in [
                (
                    SurvivalScale::LogLog,
                    "lower_loglog",
                    "upper_loglog",
                    &mut loglog,
                ),
                (SurvivalScale::Log, "lower_log", "upper_log", &mut log),
            ] {
                match (ours.interval(LEVEL, scale), r_limits(r, lower, upper)) {
                    (Some(ci), Some((l, u))) => {
                        diff.check(ci.lower, l, &at);
                        diff.check(ci.upper, u, &at);
                    }
                    (None, None) => {}
                    (ci, r) => panic!("{at} {scale:?}: ours {ci:?}, R {r:?}"),
                }
            }
        }
    }
    for d in [&surv, &se, &loglog, &log] {
        d.report();
    }
}

/// The life table with one cohort, a closed population and no censoring before the last
/// age is Kaplan–Meier; its interval for `F = 1 − S` is R's log-log interval for `S`,
/// reflected. Where R has no interval (`S = 1`, no events yet), ours is the exact
/// binomial bound for zero events (documented on `loglog_interval`).
#[test]
fn life_table_of_one_closed_cohort_is_kaplan_meier() {
    let input = Fixture::read("km_input.csv");
    let expected = Fixture::read("km.csv");
    let children = observations(&input, "closed_cohort");
    let n_ages = 18;
    let mut events = Array2::<f64>::zeros((1, n_ages));
    for o in &children {
        if o.status != Status::Censored {
            events[[0, o.time as usize]] += 1.0;
        }
    }
    let population = Array2::from_elem((1, n_ages), children.len() as f64);
    let observed = Array2::from_elem((1, n_ages), true);
    let lt = life_table(events.view(), population.view(), observed.view(), LEVEL);
    assert_eq!(lt.len(), n_ages);

    let mut cum_inc = MaxDiff::new("life table 1 - S vs survfit", KAPLAN_MEIER);
    let mut var = MaxDiff::new("life table Var(log S) vs std.err^2", KAPLAN_MEIER);
    let mut ci = MaxDiff::new("life table CI of F vs 1 - log-log CI of S", KAPLAN_MEIER);
    let mut ages_seen = 0;
    for r in expected.filter("dataset", "closed_cohort") {
        let age = r.f64("time") as usize;
        if age >= n_ages {
            continue; // the censoring at 18 is past the table
        }
        let at = format!("age {age}");
        let e = &lt[age];
        assert_eq!(e.at_risk, r.f64("n_risk"), "{at}");
        cum_inc.check(e.cum_inc, 1.0 - r.f64("surv"), &at);
        var.check(e.variance, r.f64("std_err").powi(2), &at);
        let (l, u) = r_limits(r, "lower_loglog", "upper_loglog").expect("0 < S < 1");
        ci.check(e.ci.lower, 1.0 - u, &at);
        ci.check(e.ci.upper, 1.0 - l, &at);
        ages_seen += 1;
    }
    assert_eq!(
        ages_seen,
        n_ages - 1,
        "R has a row for every age with events"
    );
    // Age 0 has no events, so R has no row; ours is F = 0 with the zero-event bound.
    assert_eq!(lt[0].cum_inc, 0.0);
    assert_eq!(lt[0].ci.lower, 0.0);
    let n = children.len() as f64;
    assert!(
        (lt[0].ci.upper - (1.0 - 0.025f64.powf(1.0 / n))).abs() < 1e-15,
        "{:?} {}",
        lt[0].ci,
        1.0 - 0.025f64.powf(1.0 / n)
    );
    for d in [&cum_inc, &var, &ci] {
        d.report();
    }
}

#[test]
fn aalen_johansen_matches_cmprsk_cuminc() {
    let input = Fixture::read("aj_input.csv");
    let expected = Fixture::read("aj.csv");
    let mut est = MaxDiff::new("AJ cumulative incidence vs cmprsk", AALEN_JOHANSEN);
    let mut pstate = MaxDiff::new("AJ cumulative incidence vs survfit pstate", AALEN_JOHANSEN);
    let mut var = MaxDiff::new("AJ variance vs cmprsk var", AALEN_JOHANSEN);
    // survfit's multi-state std.err is an infinitesimal-jackknife estimate, a different
    // estimator: its distance from Aalen's is measured and reported, not held.
    let mut ij = MaxDiff::new("AJ std.err vs survfit IJ std.err (not held)", f64::INFINITY);
    for dataset in expected.distinct("dataset") {
        let table = RiskTable::from_observations(&observations(&input, &dataset)).unwrap();
        let aj = aalen_johansen(table.at_risk.view(), table.events.view());
        assert_eq!(aj.survival.len(), table.time.len(), "{dataset}");
        for r in expected.filter("dataset", &dataset) {
            let time = r.f64("time");
            let k = r.f64("cause") as usize - 1;
            let i = table
                .time
                .iter()
                .position(|&t| t == time)
                .unwrap_or_else(|| panic!("{dataset}: no time {time}"));
            let at = format!("{dataset} time {time} cause {}", k + 1);
            assert_eq!(table.at_risk[i], r.f64("n_risk"), "{at}");
            assert_eq!(table.events[[i, k]], r.f64("n_event"), "{at}");
            est.check(aj.cum_inc[[i, k]], r.f64("cuminc"), &at);
            pstate.check(aj.cum_inc[[i, k]], r.f64("pstate_survfit"), &at);
            var.check(aj.variance[[i, k]], r.f64("var_cmprsk"), &at);
            ij.observe(aj.variance[[i, k]].sqrt(), r.f64("std_err_survfit_ij"));
        }
    }
    for d in [&est, &pstate, &var, &ij] {
        d.report();
    }
}

#[test]
fn proportion_intervals_match_statsmodels() {
    let expected = Fixture::read("proportions.csv");
    let mut wilson_diff = MaxDiff::new("Wilson limits vs statsmodels", PROPORTION_INTERVAL);
    let mut cp_diff = MaxDiff::new("Clopper-Pearson limits vs statsmodels", PROPORTION_INTERVAL);
    for r in &expected.rows {
        let (k, n, level) = (r.f64("k"), r.f64("n"), r.f64("level"));
        let at = format!("k {k} n {n} level {level} {}", r.text("method"));
        let (ci, diff) = match r.text("method") {
            "wilson" => (wilson(k, n, level), &mut wilson_diff),
            "beta" => (clopper_pearson(k, n, level), &mut cp_diff),
            other => panic!("unknown method {other}"),
        };
        diff.check(ci.lower, r.f64("lower"), &at);
        diff.check(ci.upper, r.f64("upper"), &at);
    }
    wilson_diff.report();
    cp_diff.report();
}

#[test]
fn logit_fits_match_r_glm() {
    use cumin_stats::glm::fit_logit;
    use ndarray::Array1;
    let input = Fixture::read("logit_input.csv");
    let expected = Fixture::read("logit.csv");
    let mut coef = MaxDiff::new("logit coefficients", LOGIT_FIT);
    let mut vcov = MaxDiff::new("logit covariance", LOGIT_FIT);
    let mut deviance = MaxDiff::new("logit deviance", LOGIT_FIT);
    let datasets = expected.distinct("dataset");
    assert_eq!(datasets, ["dose", "backward"]);
    for dataset in datasets {
        let rows: Vec<&Row> = input.filter("dataset", &dataset).collect();
        let x: Vec<Vec<f64>> = rows.iter().map(|r| r.f64s("x")).collect();
        let design = Array2::from_shape_fn((x.len(), x[0].len()), |(i, j)| x[i][j]);
        let k: Array1<f64> = rows.iter().map(|r| r.f64("k")).collect();
        let n: Array1<f64> = rows.iter().map(|r| r.f64("n")).collect();
        let fit = fit_logit(design.view(), k.view(), n.view())
            .unwrap_or_else(|e| panic!("{dataset}: {e:?}"));
        for r in expected.filter("dataset", &dataset) {
            let at = format!(
                "{dataset} {} {} {}",
                r.text("quantity"),
                r.text("i"),
                r.text("j")
            );
            let index = |c: &str| r.text(c).parse::<usize>().unwrap();
            match r.text("quantity") {
                "coef" => coef.check(fit.coef[index("i")], r.f64("value"), &at),
                "vcov" => vcov.check(
                    fit.covariance[[index("i"), index("j")]],
                    r.f64("value"),
                    &at,
                ),
                "deviance" => deviance.check(fit.deviance, r.f64("value"), &at),
                q => panic!("unknown quantity {q}"),
            }
        }
    }
    coef.report();
    vcov.report();
    deviance.report();
}

#[test]
fn percentile_intervals_match_numpy_weibull_quantiles() {
    let input = Fixture::read("quantiles_input.csv");
    let expected = Fixture::read("quantiles.csv");
    let mut diff = MaxDiff::new("percentile limits vs numpy", PERCENTILE_LIMIT);
    let mut checked = 0;
    for r in &expected.rows {
        let dataset = r.text("dataset");
        let sample = input
            .filter("dataset", dataset)
            .next()
            .unwrap_or_else(|| panic!("no sample {dataset}"));
        let values = sample.f64s("values");
        let level = r.f64("level");
        let ci = cumin_stats::percentile_interval(&values, level).expect("two or more values");
        let at = format!("{dataset} level {level}");
        diff.check(ci.lower, r.f64("lower"), &at);
        diff.check(ci.upper, r.f64("upper"), &at);
        checked += 1;
    }
    assert_eq!(checked, 35);
    diff.report();
}
