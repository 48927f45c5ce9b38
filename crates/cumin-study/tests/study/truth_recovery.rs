//! Truth recovery, small: the corrected life table against the simulator's truth.
//!
//! A small version of `scripts/truth-recovery.py` (docs/validation.md, "Truth
//! recovery"): two seeds at scale 0.02 with perfect identifiers, so linkage error is
//! excluded and only the estimators are tested. The estimand is the simulator's
//! cumulative incidence before each birthday over all children it simulated (its
//! `overall` truth): the population is closed and hazards do not change with calendar
//! time, so every cohort shares it.

use crate::support::{config, find, read_ci, run, simulate, tempdir};
use cumin_census::Outcome;

const LIFE_TABLE: &str = "life-table";
const UNADJUSTED: &str = "life-table-unadjusted";

/// Ages at which the life table's left-censoring correction is fitted from cohorts
/// observed from birth (window from 2011/12, data to 2023/24: the cohort born 2011/12 is
/// followed from birth to age 11); from 12 on the correction is extrapolated.
const FITTED_AGES: std::ops::RangeInclusive<usize> = 0..=11;

/// Issue 7's tolerance for the life table before 18, in proportion (1 percentage point).
const TOLERANCE: f64 = 0.01;

/// The 97.5% normal quantile.
const Z: f64 = 1.959_963_984_540_054;

fn truth_at(truth: &serde_json::Value, outcome: Outcome, age: usize) -> f64 {
    truth["truth"]["overall"]["cum_inc"][outcome.as_str()][age]
        .as_f64()
        .unwrap()
}

#[test]
fn the_corrected_life_table_recovers_the_truth() {
    if !crate::support::slow_tests() {
        return;
    }
    let outcomes = [
        Outcome::Referral,
        Outcome::Assessed,
        Outcome::Cin,
        Outcome::Cpp,
    ];
    let mut covered = 0usize;
    let mut compared = 0usize;
    for seed in [1, 2] {
        let sim = tempdir();
        let truth = simulate(&sim, 0.02, seed, true);
        let out = tempdir();
        let mut cfg = config(&sim, "episodes.parquet", &out, vec![]);
        cfg.outcomes = Some(outcomes.to_vec());
        // Bootstrap intervals, as the corrected estimators need (few replicates: a test).
        cfg.bootstrap = 50;
        cfg.seed = seed;
        run(&cfg);
        let rows = read_ci(&out);
        for outcome in outcomes {
            for age in 0..=17 {
                let r = find(&rows, outcome.as_str(), LIFE_TABLE, "all", "all", age);
                let t = truth_at(&truth, outcome, age);
                let se = (r.upper - r.lower) / (2.0 * Z);
                // Within the tolerance at every age, and, where the correction is fitted,
                // within a simultaneous bound of four standard errors (18 ages × 4
                // outcomes, strongly correlated).
                assert!(
                    (r.cum_inc - t).abs() <= TOLERANCE,
                    "seed {seed} {outcome} age {age}: life table {:.4} vs truth {t:.4}",
                    r.cum_inc
                );
                if FITTED_AGES.contains(&age) {
                    assert!(
                        ((r.cum_inc - t) / se).abs() < 4.0,
                        "seed {seed} {outcome} age {age}: life table {:.4} vs truth {t:.4} (se {se:.4})",
                        r.cum_inc
                    );
                }
                compared += 1;
                covered += usize::from(r.lower <= t && t <= r.upper);
            }
            // Without the correction, events of children first seen after birth count as
            // first events: the unadjusted life table over-estimates before 18.
            let u = find(&rows, outcome.as_str(), UNADJUSTED, "all", "all", 17);
            let t = truth_at(&truth, outcome, 17);
            assert!(
                u.cum_inc > t + 0.002,
                "seed {seed} {outcome}: unadjusted life table {:.4} should exceed truth {t:.4}",
                u.cum_inc
            );
        }
        std::fs::remove_dir_all(&sim).ok();
        std::fs::remove_dir_all(&out).ok();
    }
    // 95% intervals over 144 correlated comparisons: far below 95% means the intervals
    // are too narrow or the estimate biased (a loose floor; the coverage study measures it).
    let share = covered as f64 / compared as f64;
    assert!(
        share >= 0.8,
        "the 95% intervals covered the truth in {covered} of {compared} comparisons"
    );
}

/// `cumulative_incidence.csv` rows of one estimator and identifier mode: age → (estimate,
/// lower, upper), stratum `all`.
fn curve(out: &std::path::Path, estimator: &str, id_mode: &str, outcome: Outcome) -> Vec<[f64; 3]> {
    let mut r = csv::Reader::from_path(out.join("cumulative_incidence.csv")).unwrap();
    let mut points = Vec::new();
    for rec in r.deserialize::<std::collections::BTreeMap<String, String>>() {
        let rec = rec.unwrap();
        if rec["estimator"] == estimator
            && rec["id_mode"] == id_mode
            && rec["outcome"] == outcome.as_str()
            && rec["stratum_var"] == "all"
        {
            let f = |k: &str| rec[k].parse::<f64>().unwrap();
            points.push([f("cum_inc"), f("lower"), f("upper")]);
        }
    }
    points
}

/// Jay et al.'s design with the left-censoring correction (`--splice-design jay2025`):
/// near the truth before 18 (issue 7's 2 points) where the unadjusted splice of the same
/// cohorts is far above it; ages 0-5 come from a cohort observed from before birth, so
/// there the correction changes nothing; and the `jay2025` preset reports the same
/// corrected splice.
#[test]
fn the_corrected_jay_design_recovers_the_truth() {
    if !crate::support::slow_tests() {
        return;
    }
    let outcomes = [
        Outcome::Referral,
        Outcome::Assessed,
        Outcome::Cin,
        Outcome::Cpp,
    ];
    let sim = tempdir();
    let truth = simulate(&sim, 0.02, 3, true);
    let out = tempdir();
    let mut cfg = config(&sim, "episodes.parquet", &out, vec![]);
    cfg.outcomes = Some(outcomes.to_vec());
    cfg.estimators = vec![cumin_study::Estimator::CohortSplice];
    cfg.splice_design = cumin_study::SpliceDesign::Jay2025;
    cfg.bootstrap = 50;
    cfg.seed = 3;
    run(&cfg);
    for outcome in outcomes {
        let corrected = curve(&out, "cohort-splice", "combined", outcome);
        let unadjusted = curve(&out, "cohort-splice-unadjusted", "combined", outcome);
        assert_eq!((corrected.len(), unadjusted.len()), (18, 18), "{outcome}");
        for age in 0..=5 {
            assert_eq!(
                corrected[age][0], unadjusted[age][0],
                "{outcome} age {age}: the 2012/13 cohort needs no correction"
            );
        }
        let t = truth_at(&truth, outcome, 17);
        let [c, lo, hi] = corrected[17];
        assert!(
            (c - t).abs() <= 0.02,
            "{outcome}: corrected Jay splice {c:.4} vs truth {t:.4}"
        );
        assert!(
            lo < c && c < hi,
            "{outcome}: interval ({lo:.4}, {hi:.4}) around {c:.4}"
        );
        let u = unadjusted[17][0];
        let min_excess = if outcome == Outcome::Cpp { 0.0 } else { 0.05 };
        assert!(
            u > t + min_excess,
            "{outcome}: unadjusted Jay splice {u:.4} should be well above truth {t:.4}"
        );
    }

    // The preset prints and writes the same corrected splice (sensitivity = combined).
    let preset_out = tempdir();
    let mut preset = config(&sim, "episodes.parquet", &preset_out, vec![]);
    preset.preset = Some(cumin_study::Preset::Jay2025);
    preset.bootstrap = 50;
    preset.seed = 3;
    let result = run(&preset);
    let jay = result.jay.expect("a Jay summary");
    // Outside the strict preset the split-identity correction is the default, in the
    // preset's corrected splice as in the run it is compared with.
    assert_eq!(jay.corrected_linkage, cumin_link::LinkageMode::Corrected);
    for outcome in outcomes {
        assert_eq!(
            curve(&preset_out, "cohort-splice", "combined", outcome),
            curve(&out, "cohort-splice", "combined", outcome),
            "{outcome}"
        );
        let line = jay
            .corrected_table
            .iter()
            .find(|l| l.mode.as_str() == "sensitivity" && l.outcome == outcome)
            .expect("a corrected line");
        assert_eq!(
            line.cum_inc,
            curve(&out, "cohort-splice", "combined", outcome)[17][0]
        );
    }

    // A window that leaves a band's cell unobserved is an error naming the cohort.
    let mut late = cfg.clone();
    late.window_start = cumin_census::Date::ymd(2016, 4, 1);
    let err = cumin_study::run(
        &late.check().expect("valid study"),
        &cumin_study::ToolInfo {
            version: "test".to_owned(),
            commit: None,
            command: "test".to_owned(),
        },
        &cumin_census::NoProgress,
    )
    .expect_err("the 2012/13 cohort's early ages are before the window");
    assert!(err.to_string().contains("born in 2012/13"), "{err}");
    for d in [&sim, &out, &preset_out] {
        std::fs::remove_dir_all(d).ok();
    }
}
