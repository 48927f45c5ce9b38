//! The attacker (issue 18): `cumin` is run as a user would on a small simulated extract,
//! every design under every disclosure-control profile and under `--sdc none` (the truth),
//! and every attack an output checker should fear is tried on each released folder,
//! from its files alone, one folder at a time and pairs of folders of the same data
//! together. A count is recovered when the released numbers, together, leave it one
//! possible value; it counts against a profile when the profile means to hide it:
//! `jay2025` any count of 1–9 (its rounding to 10 shows them as 0 or 10), `dfe` 1–5,
//! `ons-srs` and `ukllc` 1–9 and zeros of groups with members. The test fails if any
//! folder gives one up. The two heavy designs (strata by LA, by decile and sex) and the
//! pairs with them run only with `CUMIN_SLOW_TESTS=1`, as CI runs the tests.
//!
//! The recovery table and what disclosure control costs in accuracy are printed (run
//! with `--nocapture`) and written to `$CARGO_TARGET_TMPDIR/attack-report.md`.
//!
//! The rules it checks and their argument: docs/methods.md §7 and
//! docs/notes/2026-12-06-disclosure-rules.md.

// A test's findings are for the terminal.
#![allow(clippy::print_stdout)]

mod attacks;
mod cells;
mod cost;
mod folder;
mod report;
mod runs;
mod score;
mod solver;

use cells::truth_of;
use folder::Folder;
use report::report;
use runs::{Lab, PROFILES, STALE};
use score::FolderScore;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Truth for the stale scenario: the earlier run's files and the later run's.
fn stale_truth(lab: &Lab) -> BTreeMap<String, cells::Truth> {
    let mut t = truth_of(&Folder::read(lab.folder("decile", "none")));
    t.extend(truth_of(&Folder::read(lab.folder("plain", "none"))));
    t
}

/// Pairs of designs whose folders are attacked together: nested strata (a decile is the
/// sum of its two sexes), margins shared with the LA run (the `all` curves), other
/// linkage of the same data, and the two Jay presets (the same design's counts under
/// other rules). A pair with a design the lab did not run (a heavy one, without
/// `CUMIN_SLOW_TESTS`) is left out.
const PAIRS: [(&str, &str); 4] = [
    ("decile", "decile:sex"),
    ("decile", "la"),
    ("decile", "decile-exact"),
    ("jay2025", "jay2025-strict"),
];

/// Name of a pair's scenario.
fn pair_name((a, b): (&str, &str)) -> String {
    format!("{a} + {b} together")
}

/// The true counts of two `none` folders of the same data: cells of the same name in
/// both are the same count when both folders hold the same value there; a name whose
/// values differ (whole or not) is dropped: not the same cell.
fn union(a: &Folder, b: &Folder) -> BTreeMap<String, cells::Truth> {
    let (va, vb) = (cells::values_of(a), cells::values_of(b));
    let mut out = truth_of(a);
    out.extend(truth_of(b));
    out.retain(|k, _| match (va.get(k), vb.get(k)) {
        (Some(x), Some(y)) => x.0 == y.0,
        _ => true,
    });
    out
}

/// A job: one design's folders, or a pair's.
enum Job {
    One(String),
    Pair((&'static str, &'static str)),
}

/// Scores one job under every profile.
fn attack(lab: &Lab, job: &Job) -> Vec<((String, String), FolderScore)> {
    let mut out = Vec::new();
    match job {
        Job::Pair(pair) => {
            let read = |p: &str| {
                (
                    Folder::read(lab.folder(pair.0, p)),
                    Folder::read(lab.folder(pair.1, p)),
                )
            };
            let (a, b) = read("none");
            let truth = union(&a, &b);
            drop((a, b));
            for profile in PROFILES {
                let (a, b) = read(profile);
                let s = score::score_many(&[(pair.0, &a), (pair.1, &b)], &truth);
                out.push(((pair_name(*pair), profile.to_owned()), s));
            }
        }
        Job::One(design) => {
            let truth = if design == STALE {
                stale_truth(lab)
            } else {
                truth_of(&Folder::read(lab.folder(design, "none")))
            };
            for profile in PROFILES {
                let s = score::score(&Folder::read(lab.folder(design, profile)), &truth);
                out.push(((design.clone(), profile.to_owned()), s));
            }
        }
    }
    out
}

/// Scores every released folder and pair, two jobs at a time: (design, profile) → score.
fn attack_all(lab: &Lab) -> BTreeMap<(String, String), FolderScore> {
    let mut jobs: Vec<Job> = runs::designs()
        .iter()
        .map(|d| Job::One(d.name.to_owned()))
        .collect();
    jobs.push(Job::One(STALE.to_owned()));
    jobs.extend(
        PAIRS
            .into_iter()
            .filter(|(a, b)| lab.has(a) && lab.has(b))
            .map(Job::Pair),
    );
    let jobs = std::sync::Mutex::new(jobs);
    let results = std::sync::Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let Some(job) = jobs.lock().expect("jobs").pop() else {
                        break;
                    };
                    let scores = attack(lab, &job);
                    results.lock().expect("results").extend(scores);
                }
            });
        }
    });
    results.into_inner().expect("results")
}

/// What disclosure control costs, per design with strata and profile.
fn cost_table(lab: &Lab) -> String {
    let mut text = String::from(
        "\n## Cost: cumulative incidence before 18, released against exact (percentage points)\n\n\
         | design | profile | stratum_var | estimator | curves | withheld at 17 | mean abs diff | max abs diff | exact CI half-width | released CI half-width | released CI holds exact |\n\
         |---|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for design in ["decile", "decile:sex", "la", "jay2025"] {
        if !lab.has(design) {
            continue;
        }
        let none = Folder::read(lab.folder(design, "none"));
        for profile in PROFILES {
            let released = Folder::read(lab.folder(design, profile));
            for ((var, est), c) in cost::cost(&none, &released) {
                let _ = writeln!(
                    text,
                    "| {design} | {profile} | {var} | {est} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.0}% |",
                    c.curves,
                    c.withheld,
                    100.0 * c.mean_diff,
                    100.0 * c.max_diff,
                    100.0 * c.exact_half,
                    100.0 * c.released_half,
                    100.0 * c.holds_exact
                );
            }
        }
    }
    text
}

#[test]
fn no_released_number_gives_away_a_hidden_count() {
    let t0 = std::time::Instant::now();
    let lab = &Lab::build();
    let mut timings = lab.timings.clone();
    let t1 = std::time::Instant::now();
    let scores = attack_all(lab);
    timings.push(("attacks".to_owned(), t1.elapsed().as_secs_f64()));
    timings.push(("whole test".to_owned(), t0.elapsed().as_secs_f64()));
    assert!(
        lab.has("la") == crate::support::slow_tests(),
        "the heavy designs run exactly when CUMIN_SLOW_TESTS is set"
    );
    let mut text = report(&scores, &timings);
    if !crate::support::slow_tests() {
        text.push_str(
            "\n(The designs la and decile:sex, and the pairs with them, left out: \
             CUMIN_SLOW_TESTS=1 runs them.)\n",
        );
    }
    text.push_str(&cost_table(lab));
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("attack-report.md");
    std::fs::write(&path, &text).expect("writes the report");
    println!("{text}\n(written to {})", path.display());
    let leaks: Vec<String> = scores
        .iter()
        .filter(|(_, f)| f.combined.hidden > 0)
        .map(|((d, p), f)| {
            format!(
                "{d} / {p}: {} hidden counts, e.g. {:?}",
                f.combined.hidden, f.combined.examples
            )
        })
        .collect();
    assert!(
        leaks.is_empty(),
        "hidden counts recovered:\n{}",
        leaks.join("\n")
    );
}
