//! Migration: realised rates match the parameters, the denominators are the simulated
//! residents, the truth among residents agrees with the rows, and switching migration off
//! changes nothing.

use crate::support::{Extract, OUTCOMES, children_from_rows, first_events_from_rows, simulate};
use cumin_census::{Date, NoProgress, Sex};
use cumin_synth::history::{Birthdays, Model};
use cumin_synth::{MigrationParams, SimParams};
use std::collections::BTreeMap;

fn migrating(scale: f64, seed: u64) -> SimParams {
    SimParams {
        scale,
        seed,
        migration: MigrationParams {
            enabled: true,
            ..MigrationParams::default()
        },
        ..SimParams::default()
    }
}

fn u64s(v: &serde_json::Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

/// `|observed − expected| ≤ 4 sd + 1` for a Poisson count.
fn within_poisson(observed: u64, expected: f64) -> bool {
    (observed as f64 - expected).abs() <= 4.0 * expected.sqrt() + 1.0
}

#[test]
fn realised_migration_rates_match_the_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let params = migrating(0.02, 12);
    let truth = simulate(&params, dir.path());
    let m = &params.migration;
    let t = &truth["truth"]["migration"];
    let births = params.births_per_cohort() * params.cohorts().count() as u64;

    // Arrivals: a fixed number per cohort, spread over ages by `in_per_1000` and over
    // deciles by share × ratio.
    let arrivals = u64s(&t["flows"]["arrivals"]);
    let total: u64 = arrivals.iter().sum();
    let per_cohort = (params.births_per_cohort() as f64 * m.arrivals_per_birth()).round() as u64;
    assert_eq!(total, per_cohort * params.cohorts().count() as u64);
    assert_eq!(t["in_migrants"].as_u64().unwrap(), total);
    assert_eq!(truth["counts"]["children_arrived"].as_u64().unwrap(), total);
    let weight: f64 = m.in_per_1000.iter().sum();
    for (a, got) in arrivals.iter().enumerate() {
        let p = m.in_per_1000[a] / weight;
        assert!(
            crate::support::within_binomial(*got, total, p, 4.0),
            "arrivals at age {a}: {got} of {total}, expected share {p}"
        );
        // The rate per child born in England is the parameter.
        let rate = *got as f64 / births as f64 * 1000.0;
        assert!(
            (rate - m.in_per_1000[a]).abs() < 0.15 * m.in_per_1000[a] + 0.3,
            "{a}: {rate}"
        );
    }
    let norm: f64 = (0..10)
        .map(|d| params.decile_share[d] * m.in_decile_ratio[d])
        .sum();
    for d in 0..10 {
        let got: u64 = u64s(&t["flows_by_idaci_decile"][(d + 1).to_string()]["arrivals"])
            .iter()
            .sum();
        let p = params.decile_share[d] * m.in_decile_ratio[d] / norm;
        assert!(
            crate::support::within_binomial(got, total, p, 4.0),
            "arrivals in decile {}: {got} of {total}, expected share {p}",
            d + 1
        );
    }

    // Departures: a hazard per resident year, by age and decile.
    let mut expected_all = 0.0;
    for d in 0..10 {
        let f = &t["flows_by_idaci_decile"][(d + 1).to_string()];
        let departures = u64s(&f["departures"]);
        let days = u64s(&f["resident_days"]);
        let mut expected_decile = 0.0;
        for a in 0..18 {
            let expected =
                days[a] as f64 / 365.25 * m.out_per_1000[a] / 1000.0 * m.out_decile_ratio[d];
            expected_decile += expected;
        }
        let got: u64 = departures.iter().sum();
        assert!(
            within_poisson(got, expected_decile),
            "departures in decile {}: {got}, expected {expected_decile:.1}",
            d + 1
        );
        expected_all += expected_decile;
    }
    let departures = u64s(&t["flows"]["departures"]);
    let days = u64s(&t["flows"]["resident_days"]);
    for a in 0..18 {
        // Age by age, against the decile-averaged hazard of that age's residents.
        let mean_ratio: f64 = (0..10)
            .map(|d| {
                let f = &t["flows_by_idaci_decile"][(d + 1).to_string()];
                u64s(&f["resident_days"])[a] as f64 * m.out_decile_ratio[d]
            })
            .sum::<f64>()
            / days[a] as f64;
        let expected = days[a] as f64 / 365.25 * m.out_per_1000[a] / 1000.0 * mean_ratio;
        assert!(
            within_poisson(departures[a], expected),
            "departures at age {a}: {}, expected {expected:.1}",
            departures[a]
        );
    }
    let left: u64 = departures.iter().sum();
    assert_eq!(t["out_migrants"].as_u64().unwrap(), left);
    assert!(within_poisson(left, expected_all));
    // Net inflow: a few per thousand children a year, more in infancy.
    let years: f64 = days.iter().map(|d| *d as f64 / 365.25).sum();
    let net = (total as f64 - left as f64) / years * 1000.0;
    assert!(
        (1.0..=5.0).contains(&net),
        "net migration {net:.2} per 1,000 a year"
    );
    let net_at = |a: usize| (arrivals[a] as f64 - departures[a] as f64) / (days[a] as f64 / 365.25);
    assert!(net_at(0) > net_at(12), "{} vs {}", net_at(0), net_at(12));
}

#[test]
fn denominators_are_the_simulated_residents() {
    let dir = tempfile::tempdir().unwrap();
    let params = migrating(0.003, 21);
    let truth = simulate(&params, dir.path());

    // Recount every child independently: born here or arrived, resident at exact age
    // a + ½ when its life in England holds that day.
    let model = Model::new(&params);
    let per_cohort = params.births_per_cohort();
    let cohorts: Vec<i16> = params.cohorts().collect();
    let arrivals = (per_cohort as f64 * params.migration.arrivals_per_birth()).round() as u64;
    let born_total = per_cohort * cohorts.len() as u64;
    let mut want: BTreeMap<(i16, usize, u8, &str), u64> = BTreeMap::new();
    let mut count = |c: &cumin_synth::history::Child| {
        let bd = Birthdays::new(c.dob).days;
        for a in 0..18 {
            let mid = Date::from_days(bd[a] + (bd[a + 1] - bd[a]) / 2).unwrap();
            if c.resident_on(mid) {
                *want
                    .entry((c.cohort, a, c.decile, c.sex.as_str()))
                    .or_default() += 1;
            }
        }
    };
    for (ci, cohort) in cohorts.iter().enumerate() {
        for i in 0..per_cohort {
            let mut c = model.child(ci as u64 * per_cohort + i, *cohort);
            model.emigrate(&mut c);
            count(&c);
        }
        for i in 0..arrivals {
            let mut c = model.in_migrant(born_total + ci as u64 * arrivals + i, *cohort);
            assert!(c.arrival.is_some());
            model.emigrate(&mut c);
            if let Some(d) = c.departure {
                assert!(c.episodes.iter().all(|e| e.closure < d));
            }
            assert!(c.episodes.iter().all(|e| e.referral >= c.arrival.unwrap()));
            count(&c);
        }
    }

    let mut r = csv::Reader::from_path(dir.path().join("denominators.csv")).unwrap();
    let mut rows = 0;
    let mut by_cohort_age: BTreeMap<(i16, usize), u64> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let key = (
            rec[0].parse::<i16>().unwrap(),
            rec[1].parse::<usize>().unwrap(),
            rec[2].parse::<u8>().unwrap(),
            if &rec[3] == Sex::Male.as_str() {
                Sex::Male.as_str()
            } else {
                Sex::Female.as_str()
            },
        );
        let n: u64 = rec[4].parse().unwrap();
        assert_eq!(n, want.get(&key).copied().unwrap_or(0), "{key:?}");
        *by_cohort_age.entry((key.0, key.1)).or_default() += n;
        rows += 1;
    }
    assert_eq!(rows, cohorts.len() * 18 * 20);
    // The truth's per-cohort residents are the same populations.
    for ((cohort, age), n) in by_cohort_age {
        let t = &truth["truth"]["migration"]["by_cohort"][cohort.to_string()]["residents"];
        assert_eq!(t[age].as_u64().unwrap(), n, "cohort {cohort} age {age}");
    }
    // Migration is not a closed population: residents change with age.
    let c2005 = u64s(&truth["truth"]["migration"]["by_cohort"]["2005"]["residents"]);
    assert!(c2005[17] > c2005[0], "{c2005:?}");
}

#[test]
fn the_truth_among_residents_agrees_with_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let params = SimParams {
        quirks: false,
        ..migrating(0.01, 31)
    };
    let truth = simulate(&params, dir.path());
    let x = Extract::read(dir.path());
    let from_rows = first_events_from_rows(&x);
    assert_eq!(
        children_from_rows(&x).len() as u64,
        truth["counts"]["children_in_extract"].as_u64().unwrap()
    );
    let m = &truth["truth"]["migration"];
    // Cohorts observed from before birth, ages up to a year before the data end (as in
    // the closed-population test): first events in England, arrivals included.
    let mut compared = 0;
    for cohort in 2010..=2021 {
        let t = &m["by_cohort"][cohort.to_string()];
        for o in OUTCOMES {
            let want = u64s(&t["first_events"][o]);
            let got = from_rows.get(&(cohort, o)).copied().unwrap_or([0; 19]);
            let (mut cum_want, mut cum_got) = (0u64, 0u64);
            for age in -1..=(2022 - cohort) {
                let k = (age + 1) as usize;
                cum_want += want[k];
                cum_got += got[k];
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

    // The product-limit truth is what its own counts give, and it differs from the
    // complete-history truth of children born here only by a little.
    for o in OUTCOMES {
        let e = u64s(&m["overall"]["first_events"][o]);
        let r = u64s(&m["overall"]["at_risk"][o]);
        let mut s = 1.0;
        for a in 0..18 {
            let events = e[a + 1] + if a == 0 { e[0] } else { 0 };
            s *= 1.0 - events as f64 / r[a] as f64;
            let got = m["overall"]["cum_inc"][o][a].as_f64().unwrap();
            assert!((got - (1.0 - s)).abs() < 1e-12, "{o} {a}");
        }
        let born_here = truth["truth"]["overall"]["cum_inc"][o][17]
            .as_f64()
            .unwrap();
        assert!(
            (1.0 - s - born_here).abs() < 0.02,
            "{o}: {} vs {born_here}",
            1.0 - s
        );
    }
    assert!(m["out_migrants"].as_u64().unwrap() > 100);
    assert!(m["in_migrants"].as_u64().unwrap() > 1000);
}

#[test]
fn disabled_migration_changes_no_byte() {
    let run = |migration: MigrationParams| {
        let dir = tempfile::tempdir().unwrap();
        let params = SimParams {
            scale: 0.002,
            seed: 9,
            migration,
            ..SimParams::default()
        };
        let sim = cumin_synth::simulate(&params, &NoProgress).unwrap();
        sim.write(dir.path(), &NoProgress).unwrap();
        [
            "episodes.csv",
            "episodes.parquet",
            "denominators.csv",
            "truth.json",
        ]
        .map(|f| std::fs::read(dir.path().join(f)).unwrap())
    };
    let off = run(MigrationParams::default());
    // Rates set but not enabled: nothing changes, not even the parameters echoed.
    let other = run(MigrationParams {
        in_per_1000: [50.0; 18],
        in_la_power: 3.0,
        ..MigrationParams::default()
    });
    assert!(off == other);
    let truth = String::from_utf8(off[3].clone()).unwrap();
    assert!(!truth.contains("migration"));
    // Enabled: the complete-history truth of children born here is unchanged (their
    // lives do not depend on migration), the denominators are not.
    let on = run(MigrationParams {
        enabled: true,
        ..MigrationParams::default()
    });
    assert!(on[2] != off[2]);
    let t_off: serde_json::Value = serde_json::from_slice(&off[3]).unwrap();
    let t_on: serde_json::Value = serde_json::from_slice(&on[3]).unwrap();
    for key in [
        "overall",
        "by_idaci_decile",
        "by_sex",
        "by_cohort",
        "jay2025",
    ] {
        assert_eq!(t_off["truth"][key], t_on["truth"][key], "{key}");
    }
}
