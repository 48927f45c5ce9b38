//! Helpers shared by the study integration tests: simulate, run, read back.

#![allow(dead_code)]

use cumin_census::NoProgress;
use cumin_study::{Estimator, StratumVar, StudyConfig, ToolInfo};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Simulates an extract into `dir` and returns its truth document.
pub fn simulate(dir: &Path, scale: f64, seed: u64, perfect_ids: bool) -> serde_json::Value {
    let params = cumin_synth::SimParams {
        scale,
        seed,
        perfect_ids,
        ..cumin_synth::SimParams::default()
    };
    let sim = cumin_synth::simulate(&params, &NoProgress).expect("simulates");
    sim.write(dir, &NoProgress).expect("writes");
    serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap()
}

/// A study over `episodes` with the simulated denominators, no disclosure control.
pub fn config(sim: &Path, episodes: &str, out: &Path, by: Vec<StratumVar>) -> StudyConfig {
    StudyConfig {
        estimators: vec![Estimator::CohortSplice, Estimator::LifeTable],
        id_mode: cumin_link::IdMode::Combined,
        by: by.into_iter().map(Into::into).collect(),
        sdc: cumin_report::SdcProfile::None,
        // Enough for tests; the default is 10,000 (PHEindicatormethods' 100,000).
        sii_repetitions: 2000,
        ..StudyConfig::new(
            vec![sim.join(episodes).to_string_lossy().into_owned()],
            sim.join("denominators.csv"),
            out.to_owned(),
        )
    }
}

/// Runs a study.
pub fn run(config: &StudyConfig) -> cumin_study::RunOutput {
    let study = config.check().expect("valid study");
    let tool = ToolInfo {
        version: "test".to_owned(),
        commit: None,
        command: "test".to_owned(),
    };
    cumin_study::run(&study, &tool, &NoProgress).expect("runs")
}

/// One row of `cumulative_incidence.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub outcome: String,
    pub estimator: String,
    pub stratum_var: String,
    pub stratum: String,
    pub age: usize,
    pub events: f64,
    pub cum_inc: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Reads `cumulative_incidence.csv` from an output folder.
pub fn read_ci(out: &Path) -> Vec<Row> {
    let mut r = csv::Reader::from_path(out.join("cumulative_incidence.csv")).unwrap();
    r.deserialize::<BTreeMap<String, String>>()
        .map(|rec| {
            let rec = rec.unwrap();
            let f = |k: &str| rec[k].parse::<f64>().unwrap();
            Row {
                outcome: rec["outcome"].clone(),
                estimator: rec["estimator"].clone(),
                stratum_var: rec["stratum_var"].clone(),
                stratum: rec["stratum"].clone(),
                age: rec["age"].parse().unwrap(),
                events: f("events"),
                cum_inc: f("cum_inc"),
                lower: f("lower"),
                upper: f("upper"),
            }
        })
        .collect()
}

/// The one row matching the keys.
pub fn find<'a>(
    rows: &'a [Row],
    outcome: &str,
    estimator: &str,
    stratum_var: &str,
    stratum: &str,
    age: usize,
) -> &'a Row {
    rows.iter()
        .find(|r| {
            r.outcome == outcome
                && r.estimator == estimator
                && r.stratum_var == stratum_var
                && r.stratum == stratum
                && r.age == age
        })
        .unwrap_or_else(|| panic!("no row {outcome} {estimator} {stratum_var} {stratum} {age}"))
}

/// A temporary folder that is kept if the test fails (its path is printed).
pub fn tempdir() -> PathBuf {
    let d = tempfile::tempdir().unwrap();
    d.keep()
}

/// Whether the slow statistical tests (truth recovery) run: `CUMIN_SLOW_TESTS=1`, which
/// CI (`.ci/run`) sets. A gated test that is skipped says so on stderr.
pub fn slow_tests() -> bool {
    let on = std::env::var_os("CUMIN_SLOW_TESTS").is_some_and(|v| v != "0");
    if !on {
        // The test output is where a skipped test should say so.
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipped: a slow statistical test; set CUMIN_SLOW_TESTS=1 to run it");
        }
    }
    on
}
