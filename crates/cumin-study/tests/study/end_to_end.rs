//! The whole path on simulated extracts whose truth is known.

use crate::support::{config, find, read_ci, run, simulate, tempdir};
use cumin_census::Outcome;
use cumin_link::LinkageMode;
use cumin_study::{StratumVar, StudyConfig};

const SPLICE: &str = "cohort-splice-unadjusted";

/// The default splice takes age `a` from the cohort born `data_end_year - 1 - a`; those
/// born from 2012/13 on are observed from before birth (pre-birth months included) when
/// the window starts on 1 April 2011, so ages 0..=10 come from complete histories.
const OBSERVED_FROM_BIRTH_AGES: std::ops::RangeInclusive<usize> = 0..=10;

/// The truth of the cohorts the splice uses: Σ_{x≤a} first events of cohort (2023 − x)
/// at age x over its size. With perfect identifiers, the estimate differs from it only
/// where a notional birthday (15th of the month) moves an event across a birthday.
fn splice_truth(truth: &serde_json::Value, outcome: Outcome, age: usize) -> f64 {
    (0..=age)
        .map(|x| {
            let c = &truth["truth"]["by_cohort"][(2023 - x as i64).to_string()];
            let fe = &c["first_events"][outcome.as_str()];
            let n = if x == 0 {
                fe[0].as_f64().unwrap() + fe[1].as_f64().unwrap()
            } else {
                fe[x + 1].as_f64().unwrap()
            };
            n / c["children"].as_f64().unwrap()
        })
        .sum()
}

#[test]
fn perfect_identifiers_recover_the_truth_where_cohorts_are_observed_from_birth() {
    if !crate::support::slow_tests() {
        return;
    }
    for seed in [1, 2, 3] {
        let sim = tempdir();
        let truth = simulate(&sim, 0.02, seed, true);
        let out = tempdir();
        run(&config(&sim, "episodes.parquet", &out, vec![]));
        let rows = read_ci(&out);
        for outcome in Outcome::ALL {
            for age in OBSERVED_FROM_BIRTH_AGES {
                let r = find(&rows, outcome.as_str(), SPLICE, "all", "all", age);
                let same_cohorts = splice_truth(&truth, outcome, age);
                // Estimator error alone: the same children, ages from notional birthdays.
                assert!(
                    (r.cum_inc - same_cohorts).abs() < 0.003,
                    "seed {seed} {outcome} age {age}: {} vs the same cohorts' truth {same_cohorts}",
                    r.cum_inc
                );
                assert!(
                    r.lower <= same_cohorts && same_cohorts <= r.upper,
                    "seed {seed} {outcome} age {age}: truth {same_cohorts} outside [{}, {}]",
                    r.lower,
                    r.upper
                );
                // Against the truth of all children ever simulated (the superpopulation):
                // 55 strongly correlated comparisons per seed, so a simultaneous bound.
                let pooled = truth["truth"]["overall"]["cum_inc"][outcome.as_str()][age]
                    .as_f64()
                    .unwrap();
                let se = (r.upper - r.lower) / (2.0 * 1.959_963_984_540_054);
                assert!(
                    ((r.cum_inc - pooled) / se).abs() < 4.0,
                    "seed {seed} {outcome} age {age}: {} vs truth {pooled} (se {se})",
                    r.cum_inc
                );
            }
        }
        std::fs::remove_dir_all(&sim).ok();
        std::fs::remove_dir_all(&out).ok();
    }
}

/// With 20 bootstrap replicates, not the default 200: what is compared (identical
/// outputs, the model's error in every corrected interval) does not depend on their
/// number, and three runs by decile with 200 each take minutes in a test build. The
/// default is run byte for byte in the CLI's demo golden.
#[test]
fn parquet_and_csv_give_identical_estimates_and_runs_are_deterministic() {
    let sim = tempdir();
    simulate(&sim, 0.02, 7, false);
    let (a, b, c) = (tempdir(), tempdir(), tempdir());
    let config = |episodes, out| StudyConfig {
        bootstrap: 20,
        ..config(&sim, episodes, out, vec![StratumVar::IdaciDecile])
    };
    run(&config("episodes.parquet", &a));
    run(&config("episodes.csv", &b));
    run(&config("episodes.parquet", &c));
    let read = |d: &std::path::Path, f: &str| std::fs::read(d.join(f)).unwrap();
    assert_eq!(
        read(&a, "cumulative_incidence.csv"),
        read(&b, "cumulative_incidence.csv"),
        "Parquet and CSV inputs must give the same estimates"
    );
    for f in [
        "cumulative_incidence.csv",
        "cumulative_incidence.parquet",
        "linkage.csv",
        "analyst-only/ledger.csv",
        "analyst-only/quarantine.csv",
    ] {
        assert_eq!(
            read(&a, f),
            read(&c, f),
            "{f} differs between identical runs"
        );
    }
    let rows = read_ci(&a);
    for d in 1..=10 {
        find(&rows, "referral", SPLICE, "idaci_decile", &d.to_string(), 5);
    }
    model_error_is_in_the_intervals(&a, &rows);
}

/// Every corrected interval holds the correction model's error, `extrapolation_sd` of
/// `correction_sensitivity.csv`, on each side (as far as [0, 1] allows), and every
/// stratification uses the whole population's back-tested `ρ`.
fn model_error_is_in_the_intervals(out: &std::path::Path, rows: &[crate::support::Row]) {
    let z = 1.959_963_984_540_054;
    let mut r =
        csv::Reader::from_path(out.join("analyst-only/correction_sensitivity.csv")).unwrap();
    let mut rho_all = std::collections::BTreeMap::new();
    let mut widened = 0;
    for rec in r.deserialize::<std::collections::BTreeMap<String, String>>() {
        let rec = rec.unwrap();
        let f = |k: &str| rec[k].parse::<f64>().unwrap();
        let (outcome, by) = (rec["outcome"].as_str(), rec["stratum_var"].as_str());
        let rho = f("extrapolation_error");
        if by == "all" {
            assert_eq!(rho, f("stratification_extrapolation_error"));
        }
        let all = *rho_all.entry(outcome.to_owned()).or_insert(rho);
        assert_eq!(rho, all, "{outcome} {by}: ρ is the whole population's");
        let sd = f("extrapolation_sd");
        let age = rec["age"].parse().unwrap();
        let ci = find(rows, outcome, &rec["estimator"], by, &rec["stratum"], age);
        assert_eq!(ci.cum_inc, f("corrected"));
        let tol = 1e-12;
        assert!(
            ci.cum_inc - ci.lower >= (z * sd).min(ci.cum_inc) - tol
                && ci.upper - ci.cum_inc >= (z * sd).min(1.0 - ci.cum_inc) - tol,
            "{outcome} {} {by} {} age {age}: [{}, {}] around {} leaves out the model's \
             error (sd {sd})",
            rec["estimator"],
            rec["stratum"],
            ci.lower,
            ci.upper,
            ci.cum_inc
        );
        if sd > 0.0 {
            widened += 1;
        }
    }
    assert!(
        widened > 100,
        "only {widened} estimates carry a model error"
    );
}

/// Point estimates and the ledger only: the runs go without the bootstrap, whose
/// replicates change neither (the intervals are tested above and in the CLI's goldens).
#[test]
fn split_identities_over_count_and_the_ledger_accounts_for_every_row() {
    // Same seed, so the same children and events; only the identifiers differ.
    let (sim_real, sim_perfect) = (tempdir(), tempdir());
    simulate(&sim_real, 0.02, 11, false);
    simulate(&sim_perfect, 0.02, 11, true);
    let (out_real, out_perfect, out_corrected) = (tempdir(), tempdir(), tempdir());
    let config = |sim, out| StudyConfig {
        bootstrap: 0,
        ..config(sim, "episodes.parquet", out, vec![])
    };
    let real = run(&StudyConfig {
        linkage: Some(LinkageMode::Exact),
        ..config(&sim_real, &out_real)
    });
    run(&config(&sim_perfect, &out_perfect));
    // The default outside the presets: the split-identity correction.
    run(&config(&sim_real, &out_corrected));
    let (r, p, c) = (
        read_ci(&out_real),
        read_ci(&out_perfect),
        read_ci(&out_corrected),
    );
    for outcome in ["referral", "assessed"] {
        let with_splits = find(&r, outcome, SPLICE, "all", "all", 10).cum_inc;
        let perfect = find(&p, outcome, SPLICE, "all", "all", 10).cum_inc;
        let corrected = find(&c, outcome, SPLICE, "all", "all", 10).cum_inc;
        assert!(
            with_splits > perfect + 0.005,
            "{outcome}: children split across LA IDs should inflate the count ({with_splits} vs {perfect})"
        );
        assert!(
            (corrected - perfect).abs() < 0.5 * (with_splits - perfect),
            "{outcome}: the default correction should remove most of it ({corrected} vs exact {with_splits}, truth-like {perfect})"
        );
    }
    let [read, used, quarantined, by_design, no_birth_date] = real.rows;
    let excluded = by_design + no_birth_date;
    assert_eq!(read, used + quarantined + excluded);
    let ledger = std::fs::read_to_string(out_real.join("analyst-only/ledger.csv")).unwrap();
    assert!(ledger.starts_with("file,reason,rows\n"));
    assert!(ledger.contains(",used,"), "{ledger}");
}
