//! The truth document agrees with the rows written, and the same seed gives the same bytes.

use crate::support::{Extract, OUTCOMES, children_from_rows, first_events_from_rows, simulate};
use cumin_census::NoProgress;
use cumin_synth::{FrailtyForm, SimParams, WriteOptions};
use std::collections::BTreeMap;

#[test]
fn truth_agrees_with_the_rows_for_cohorts_observed_from_birth() {
    let dir = tempfile::tempdir().unwrap();
    let params = SimParams {
        scale: 0.01,
        seed: 31,
        quirks: false,
        ..SimParams::default()
    };
    let truth = simulate(&params, dir.path());
    let x = Extract::read(dir.path());
    let from_rows = first_events_from_rows(&x);
    assert_eq!(
        children_from_rows(&x).len() as u64,
        truth["counts"]["children_in_extract"].as_u64().unwrap()
    );

    // Born from 2009/10 on: observed from before birth (six months before April 2009 is
    // after the first census day). Compare ages up to a year before the data end, so every
    // outcome of those events (an RC8 closure, a conference) is known by then.
    let mut compared = 0;
    for cohort in 2010..=2021 {
        let t = &truth["truth"]["by_cohort"][cohort.to_string()];
        for o in OUTCOMES {
            let want: Vec<u64> = t["first_events"][o]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            let got = from_rows.get(&(cohort, o)).copied().unwrap_or([0; 19]);
            let (mut cum_want, mut cum_got) = (0u64, 0u64);
            for age in -1..=(2022 - cohort) {
                let k = (age + 1) as usize;
                cum_want += want[k];
                cum_got += got[k];
                // Notional birthdays move events within half a month of a birthday across
                // it, either way: about 1/12 of a year's events are at risk.
                let near = (want[k] + want.get(k + 1).copied().unwrap_or(0)) as f64 / 12.0;
                let tolerance = 4.0 * near.sqrt() + 2.0;
                assert!(
                    (cum_got as f64 - cum_want as f64).abs() <= tolerance,
                    "cohort {cohort} {o} by age {age}: rows give {cum_got}, truth {cum_want}"
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 400);

    // The denominators are the truth's children.
    let mut population: BTreeMap<i32, u64> = BTreeMap::new();
    let mut r = csv::Reader::from_path(dir.path().join("denominators.csv")).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        if &rec[1] == "0" {
            *population.entry(rec[0].parse().unwrap()).or_default() +=
                rec[4].parse::<u64>().unwrap();
        }
    }
    for (cohort, n) in population {
        assert_eq!(
            n,
            truth["truth"]["by_cohort"][cohort.to_string()]["children"]
                .as_u64()
                .unwrap()
        );
    }
}

#[test]
fn the_truth_holds_counts_the_jay_design_and_rereferral() {
    let dir = tempfile::tempdir().unwrap();
    let truth = simulate(
        &SimParams {
            scale: 0.005,
            seed: 4,
            ..SimParams::default()
        },
        dir.path(),
    );
    let counts = &truth["counts"];
    let by_year: u64 = counts["rows_by_census_year"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_year, counts["rows"].as_u64().unwrap());
    assert_eq!(counts["rows_by_census_year"].as_object().unwrap().len(), 16);

    let jay = &truth["truth"]["jay2025"];
    let bands = jay["bands"].as_array().unwrap();
    assert_eq!(bands.len(), 3);
    for (band, (cohort, lo, hi)) in bands
        .iter()
        .zip([(2013, -1, 5), (2006, 6, 12), (2001, 13, 17)])
    {
        assert_eq!(band["birth_year"], cohort);
        assert_eq!(band["ages"], serde_json::json!([lo, hi]));
        let whole = &truth["truth"]["by_cohort"][cohort.to_string()];
        assert_eq!(band["children"], whole["children"]);
        for o in OUTCOMES {
            let per_age = band["first_events"][o].as_array().unwrap();
            for (i, age) in (lo..=hi).enumerate() {
                assert_eq!(per_age[i], whole["first_events"][o][(age + 1) as usize]);
            }
        }
    }
    // The splice adds each band's events over its cohort's size.
    for o in OUTCOMES {
        let mut acc = 0.0;
        for band in bands {
            let n = band["children"].as_f64().unwrap();
            let (lo, hi) = (
                band["ages"][0].as_i64().unwrap(),
                band["ages"][1].as_i64().unwrap(),
            );
            for (i, age) in (lo..=hi).enumerate() {
                acc += band["first_events"][o][i].as_f64().unwrap() / n;
                if age >= 0 {
                    let got = jay["cum_inc"][o][age as usize].as_f64().unwrap();
                    assert!((got - acc).abs() < 1e-12, "{o} age {age}");
                }
            }
        }
    }
    // Re-referral within 1..6 years: shares that grow with the window.
    let re: Vec<f64> = truth["truth"]["rereferral_within_years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(re.len(), 6);
    assert!(
        re.windows(2).all(|w| w[0] <= w[1]) && re[5] > 0.4 && re[5] < 0.7,
        "{re:?}"
    );
}

fn write_all(params: &SimParams, threads: usize, dir: &std::path::Path) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let sim = cumin_synth::simulate(params, &NoProgress).unwrap();
        let options = WriteOptions {
            true_ids: true,
            ..WriteOptions::default()
        };
        sim.write_with(dir, options, &NoProgress).unwrap();
    });
}

#[test]
fn the_same_seed_gives_the_same_bytes_whatever_the_thread_count() {
    let params = SimParams {
        scale: 0.004,
        seed: 77,
        ..SimParams::default()
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_all(&params, 1, a.path());
    write_all(&params, 3, b.path());
    for f in [
        "episodes.csv",
        "episodes.parquet",
        "true_ids.csv",
        "true_ids.parquet",
        "denominators.csv",
        "truth.json",
    ] {
        let (x, y) = (
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
        );
        assert!(x == y, "{f} depends on the thread count");
    }
    // With migration too (arrivals are numbered after the children born here).
    let migrating = SimParams {
        migration: cumin_synth::MigrationParams {
            enabled: true,
            ..Default::default()
        },
        ..params.clone()
    };
    let (m1, m3) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_all(&migrating, 1, m1.path());
    write_all(&migrating, 3, m3.path());
    for f in [
        "episodes.csv",
        "episodes.parquet",
        "denominators.csv",
        "truth.json",
    ] {
        assert!(
            std::fs::read(m1.path().join(f)).unwrap() == std::fs::read(m3.path().join(f)).unwrap(),
            "{f} depends on the thread count with migration"
        );
    }
    // A different seed is a different extract.
    let c = tempfile::tempdir().unwrap();
    write_all(&SimParams { seed: 78, ..params }, 2, c.path());
    assert!(
        std::fs::read(a.path().join("episodes.csv")).unwrap()
            != std::fs::read(c.path().join("episodes.csv")).unwrap()
    );
}

#[test]
fn frailty_forms_with_one_mean_and_variance_give_different_truths() {
    let run = |frailty: FrailtyForm| {
        let dir = tempfile::tempdir().unwrap();
        let params = SimParams {
            scale: 0.004,
            seed: 5,
            frailty,
            ..SimParams::default()
        };
        simulate(&params, dir.path())
    };
    let gamma = run(FrailtyForm::Gamma);
    let mixture = run(FrailtyForm::Mixture);
    let at =
        |t: &serde_json::Value, o: &str| t["truth"]["overall"]["cum_inc"][o][17].as_f64().unwrap();
    assert_eq!(gamma["params"]["frailty"], "gamma");
    assert_eq!(mixture["params"]["frailty"], "mixture");
    // Same mean and variance, other shape: the gamma leaves many children with almost no
    // risk, the two-point mixture none (its low level is 0.6), so more children are ever
    // referred: 1 − E[exp(−ZΛ)] is about 35% against 44% for the calibrated Λ.
    assert!(
        at(&mixture, "referral") > at(&gamma, "referral") + 0.04,
        "{} vs {}",
        at(&mixture, "referral"),
        at(&gamma, "referral")
    );
}

#[test]
fn defaults_are_calibrated_to_published_england_figures() {
    let dir = tempfile::tempdir().unwrap();
    let truth = simulate(
        &SimParams {
            scale: 0.01,
            seed: 8,
            ..SimParams::default()
        },
        dir.path(),
    );
    let t = &truth["truth"];
    let before_18 = |group: &serde_json::Value, o: &str| group["cum_inc"][o][17].as_f64().unwrap();
    // Jay et al. 2025: 35.4, 32.3, 25.3 and 6.9% before 18.
    for (o, lo, hi) in [
        ("referral", 0.340, 0.365),
        ("assessed", 0.310, 0.335),
        ("cin", 0.240, 0.265),
        ("cpp", 0.064, 0.076),
    ] {
        let v = before_18(&t["overall"], o);
        assert!((lo..=hi).contains(&v), "{o}: {v}");
    }
    // About half re-referred within six years (DfE 2017: 55%).
    let six = t["rereferral_within_years"][5].as_f64().unwrap();
    assert!((0.50..=0.62).contains(&six), "{six}");
    // The most deprived decile's CPP rate is about 2.4 times the national rate.
    let ratio = before_18(&t["by_idaci_decile"]["1"], "cpp") / before_18(&t["overall"], "cpp");
    assert!((2.2..=2.6).contains(&ratio), "{ratio}");
}
