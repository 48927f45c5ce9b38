//! The attacker (issue 18): `cumin` is run as a user would on a small simulated extract,
//! every design under every disclosure-control profile and under `--sdc none` (the truth),
//! and every attack an output checker should fear is tried on each released folder,
//! from its files alone. A count is recovered when the released numbers, together, leave
//! it one possible value; it counts against a profile when the profile means to hide it:
//! `jay2025` any count of 1–9 (its rounding to 10 shows them as 0 or 10), `dfe` 1–5,
//! `ons-srs` and `ukllc` 1–9 and zeros of groups with members.
//!
//! The recovery table is printed (run with `--nocapture`) and written to
//! `$CARGO_TARGET_TMPDIR/attack-report.md`. With `CUMIN_ATTACK_STRICT` set, the test fails
//! when any folder gives up a hidden count: the state of the art before issue 18's
//! disclosure layer, which will make the check unconditional.
//!
//! The rules it checks and their argument: docs/notes/2026-12-06-disclosure-rules.md.

// A test's findings are for the terminal.
#![allow(clippy::print_stdout)]

mod attacks;
mod cells;
mod folder;
mod prototype;
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

/// Name of the scenario attacking two designs' folders together.
const PAIR: &str = "decile + decile:sex together";

/// The true counts of two folders of the same data: cells of the same name in both are
/// the same count (a name whose values differ is dropped: not the same cell).
fn union(
    a: BTreeMap<String, cells::Truth>,
    b: BTreeMap<String, cells::Truth>,
) -> BTreeMap<String, cells::Truth> {
    let mut out = a;
    for (k, t) in b {
        match out.get(&k) {
            Some(s) if s.value != t.value => {
                out.remove(&k);
            }
            _ => {
                out.insert(k, t);
            }
        }
    }
    out
}

/// The two folders of [`PAIR`] under `profile`, read from `folder(design, profile)`.
fn pair(folder: impl Fn(&str) -> std::path::PathBuf) -> (Folder, Folder) {
    (
        Folder::read(&folder("decile")),
        Folder::read(&folder("decile:sex")),
    )
}

/// Scores every released folder: (design, profile) → score.
fn attack_all(lab: &Lab) -> BTreeMap<(String, String), FolderScore> {
    let mut designs: Vec<String> = runs::designs().iter().map(|d| d.name.to_owned()).collect();
    designs.push(STALE.to_owned());
    designs.push(PAIR.to_owned());
    let jobs = std::sync::Mutex::new(designs);
    let results = std::sync::Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let Some(design) = jobs.lock().expect("jobs").pop() else {
                        break;
                    };
                    if design == PAIR {
                        let (a, b) = pair(|d| lab.folder(d, "none").to_owned());
                        let truth = union(truth_of(&a), truth_of(&b));
                        for profile in PROFILES {
                            let (a, b) = pair(|d| lab.folder(d, profile).to_owned());
                            let s =
                                score::score_many(&[("decile", &a), ("decile:sex", &b)], &truth);
                            results
                                .lock()
                                .expect("results")
                                .insert((design.clone(), profile.to_owned()), s);
                        }
                        continue;
                    }
                    let truth = if design == STALE {
                        stale_truth(lab)
                    } else {
                        truth_of(&Folder::read(lab.folder(&design, "none")))
                    };
                    for profile in PROFILES {
                        let s = score::score(&Folder::read(lab.folder(&design, profile)), &truth);
                        results
                            .lock()
                            .expect("results")
                            .insert((design.clone(), profile.to_owned()), s);
                    }
                }
            });
        }
    });
    results.into_inner().expect("results")
}

/// The runs, made once for both tests.
fn lab() -> &'static Lab {
    static LAB: std::sync::OnceLock<Lab> = std::sync::OnceLock::new();
    LAB.get_or_init(Lab::build)
}

/// One test attacks at a time: the machine has two cores, and an LA folder's cells take
/// hundreds of megabytes.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn no_released_number_gives_away_a_hidden_count() {
    let t0 = std::time::Instant::now();
    let lab = lab();
    let mut timings = lab.timings.clone();
    let t1 = std::time::Instant::now();
    let turn = one_at_a_time();
    let scores = attack_all(lab);
    drop(turn);
    timings.push(("attacks".to_owned(), t1.elapsed().as_secs_f64()));
    timings.push(("whole test".to_owned(), t0.elapsed().as_secs_f64()));
    let text = report(&scores, &timings);
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("attack-report.md");
    std::fs::write(&path, &text).expect("writes the report");
    println!("{text}\n(written to {})", path.display());
    if std::env::var_os("CUMIN_ATTACK_STRICT").is_some() {
        let leaks: Vec<String> = scores
            .iter()
            .filter(|(_, f)| f.combined.hidden > 0)
            .map(|((d, p), f)| format!("{d} / {p}: {} hidden counts", f.combined.hidden))
            .collect();
        assert!(
            leaks.is_empty(),
            "hidden counts recovered:\n{}",
            leaks.join("\n")
        );
    }
}

/// The rules proposed in docs/notes/2026-12-06-disclosure-rules.md, prototyped on the
/// `none` folders (`prototype.rs`), leave the attacker nothing.
#[test]
#[allow(
    clippy::too_many_lines,
    reason = "every design and profile of the prototype, audited in turn, reads best as one list"
)]
fn the_proposed_rules_give_away_no_hidden_count() {
    let lab = lab();
    let _turn = one_at_a_time();
    let mut scores = BTreeMap::new();
    let proposed = |design: &str, profile: &str| {
        lab.root
            .join(format!("proposed-{}-{profile}", design.replace(':', "-")))
    };
    let mut rounds = Vec::new();
    for design in runs::designs() {
        let none = Folder::read(lab.folder(design.name, "none"));
        let truth = truth_of(&none);
        for profile in PROFILES {
            let (s, n) = prototype::audited(&[(design.name, &none)], profile, &truth, |d| {
                proposed(d, profile)
            });
            rounds.push(format!("{} / {profile}: {n}", design.name));
            scores.insert((design.name.to_owned(), profile.to_owned()), s);
        }
    }
    let (a, b) = pair(|d| lab.folder(d, "none").to_owned());
    let truth = union(truth_of(&a), truth_of(&b));
    for profile in PROFILES {
        let (s, n) = prototype::audited(
            &[("decile", &a), ("decile:sex", &b)],
            profile,
            &truth,
            |d| proposed(d, profile),
        );
        rounds.push(format!("{PAIR} / {profile}: {n}"));
        scores.insert((PAIR.to_owned(), profile.to_owned()), s);
    }
    // The alternative the proposal is compared with: rates from exact counts, coarsened
    // (evidence for the note; CUMIN_ATTACK_COARSE=1 runs it).
    let mut coarse = BTreeMap::new();
    let coarse_designs: &[&str] = if std::env::var_os("CUMIN_ATTACK_COARSE").is_some() {
        &["decile", "decile:sex", "la"]
    } else {
        &[]
    };
    for &design in coarse_designs {
        let none = Folder::read(lab.folder(design, "none"));
        let truth = truth_of(&none);
        for profile in PROFILES {
            let out = lab
                .root
                .join(format!("coarse-{}-{profile}", design.replace(':', "-")));
            prototype::release(
                &none,
                profile,
                prototype::Rates::Coarse,
                &prototype::Open::new(),
                &out,
            );
            coarse.insert(
                (design.to_owned(), profile.to_owned()),
                score::score(&Folder::read(&out), &truth),
            );
        }
    }
    if !coarse.is_empty() {
        let coarse_text = report(&coarse, &[]);
        std::fs::write(
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("attack-report-coarse.md"),
            &coarse_text,
        )
        .expect("writes the report");
        println!("Rates from exact counts, coarsened so that p x N >= B:\n{coarse_text}");
    }
    let mut text = report(&scores, &[]);
    let _ = writeln!(
        text,
        "\n## Audit rounds (releases until the attack recovers nothing)\n"
    );
    for r in &rounds {
        let _ = writeln!(text, "- {r}");
    }
    let _ = writeln!(
        text,
        "\n## Cost: cumulative incidence before 18 from released counts vs exact (percentage points)\n"
    );
    let _ = writeln!(
        text,
        "| design | profile | stratum_var | estimator | curves | withheld at 17 | mean abs diff | max abs diff | mean exact CI half-width |"
    );
    let _ = writeln!(text, "|---|---|---|---|---:|---:|---:|---:|---:|");
    for design in ["decile", "la"] {
        let none = Folder::read(lab.folder(design, "none"));
        for profile in PROFILES {
            for ((var, est), (n, w, mean, max, half)) in
                prototype::cost(&none, &Folder::read(&proposed(design, profile)))
            {
                let _ = writeln!(
                    text,
                    "| {design} | {profile} | {var} | {est} | {n} | {w} | {:.3} | {:.3} | {:.3} |",
                    100.0 * mean,
                    100.0 * max,
                    100.0 * half
                );
            }
        }
    }
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("attack-report-proposed.md");
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
        "the proposed rules give away hidden counts:\n{}",
        leaks.join("\n")
    );
}
