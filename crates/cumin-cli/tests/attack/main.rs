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
mod runs;
mod score;
mod solver;

use cells::truth_of;
use folder::Folder;
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

fn report(scores: &BTreeMap<(String, String), FolderScore>, timings: &[(String, f64)]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Attacker recovery table (hidden counts recovered exactly)\n"
    );
    let _ = writeln!(s, "## By folder: all attacks together\n");
    let _ = writeln!(
        s,
        "| design | profile | hidden cells | recovered hidden | recovered any size | wrong | contradictions |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|");
    for ((d, p), f) in scores {
        let c = &f.combined;
        let _ = writeln!(
            s,
            "| {d} | {p} | {} | {} | {} | {} | {} |",
            f.hidden_cells, c.hidden, c.any, c.wrong, f.contradictions
        );
    }
    let _ = writeln!(
        s,
        "\n## By attack and file (hidden counts recovered, summed over designs)\n"
    );
    let mut by: BTreeMap<(String, String), BTreeMap<String, (usize, usize)>> = BTreeMap::new();
    for ((_, p), f) in scores {
        for ((a, file), r) in &f.by_attack {
            let e = by
                .entry((a.clone(), file.clone()))
                .or_default()
                .entry(p.clone())
                .or_default();
            e.0 += r.hidden;
            e.1 += r.wrong;
        }
    }
    let _ = writeln!(s, "| attack | file | {} |", PROFILES.join(" | "));
    let _ = writeln!(s, "|---|---|{}", "---:|".repeat(PROFILES.len()));
    for ((a, file), per) in &by {
        if per.values().all(|x| *x == (0, 0)) {
            continue;
        }
        let cells: Vec<String> = PROFILES
            .iter()
            .map(|p| {
                let (h, w) = per.get(*p).copied().unwrap_or_default();
                if w > 0 {
                    format!("{h} ({w} wrong)")
                } else {
                    h.to_string()
                }
            })
            .collect();
        let _ = writeln!(s, "| {a} | {file} | {} |", cells.join(" | "));
    }
    let _ = writeln!(s, "\n## Examples (ons-srs)\n");
    for ((d, p), f) in scores.iter().filter(|((_, p), _)| p == "ons-srs") {
        for ((a, file), r) in &f.by_attack {
            if let Some(e) = r.examples.first() {
                let _ = writeln!(s, "- {d} / {p} / {a} / {file}: {e}");
            }
        }
    }
    let mut seconds: BTreeMap<&str, f64> = BTreeMap::new();
    for f in scores.values() {
        for (a, t) in &f.seconds {
            *seconds.entry(a).or_default() += t;
        }
    }
    let _ = writeln!(s, "\n## Timings (seconds)\n");
    for (a, t) in seconds {
        let _ = writeln!(s, "- attack {a}: {t:.1}");
    }
    for (what, t) in timings {
        let _ = writeln!(s, "- {what}: {t:.1}");
    }
    s
}

/// The runs, made once for both tests.
fn lab() -> &'static Lab {
    static LAB: std::sync::OnceLock<Lab> = std::sync::OnceLock::new();
    LAB.get_or_init(Lab::build)
}

#[test]
fn no_released_number_gives_away_a_hidden_count() {
    let t0 = std::time::Instant::now();
    let lab = lab();
    let mut timings = lab.timings.clone();
    let t1 = std::time::Instant::now();
    let scores = attack_all(lab);
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

/// Curves, curves withheld at 17, mean and greatest absolute difference, mean half-width.
type Cost = (usize, usize, f64, f64, f64);

/// What the proposal costs in accuracy: at age 17 (before the 18th birthday), how far the
/// cumulative incidence recomputed from released counts lies from the exact one, beside
/// the exact interval's half-width, by stratification and estimator; and how many
/// curves end in a withheld step.
fn cost(none: &Folder, released: &Folder) -> BTreeMap<(String, String), Cost> {
    let read = |f: &Folder| -> BTreeMap<cells::CurveKey, attacks::curves::Point> {
        f.tables_named("cumulative_incidence")
            .filter(|(n, _)| folder::has_ext(n, "csv"))
            .flat_map(|(_, t)| attacks::curves::curves_in(t, "ci"))
            .filter_map(|c| Some((c.key.clone(), *c.at(17)?)))
            .collect()
    };
    let (exact, shown) = (read(none), read(released));
    let mut out: BTreeMap<(String, String), Cost> = BTreeMap::new();
    for (k, p) in &exact {
        let (Some(f), Some(lo), Some(hi)) = (p.f, p.lower, p.upper) else {
            continue;
        };
        let e = out
            .entry((k.stratum_var.clone(), k.estimator.clone()))
            .or_default();
        e.0 += 1;
        match shown.get(k).and_then(|q| q.f) {
            None => e.1 += 1,
            Some(g) => {
                let d = (g - f).abs();
                e.2 += d;
                e.3 = e.3.max(d);
                e.4 += (hi - lo) / 2.0;
            }
        }
    }
    for e in out.values_mut() {
        let n = (e.0 - e.1).max(1) as f64;
        e.2 /= n;
        e.4 /= n;
    }
    out
}

/// The proposed layer's audit: release the folders (`none` folders by design), attack
/// them with the truth, and where a hidden count falls keep the step holding it open in
/// the finest curve it belongs to (merging the step with the next; margins are never
/// coarsened, so their release stays the same in every run); repeat until nothing
/// falls. Returns the last score and the number of releases.
fn audited(
    nones: &[(&str, &Folder)],
    profile: &str,
    truth: &BTreeMap<String, cells::Truth>,
    out: impl Fn(&str) -> std::path::PathBuf,
) -> (FolderScore, usize) {
    let mut open = prototype::Open::new();
    for round in 1..=20 {
        for (d, none) in nones {
            prototype::release(
                none,
                profile,
                prototype::Rates::FromReleased,
                &open,
                &out(d),
            );
        }
        let released: Vec<(&str, Folder)> = nones
            .iter()
            .map(|(d, _)| (*d, Folder::read(&out(d))))
            .collect();
        let refs: Vec<(&str, &Folder)> = released.iter().map(|(d, f)| (*d, f)).collect();
        let s = score::score_many(&refs, truth);
        let before = open.len();
        for cell in &s.combined.cells {
            for (_, f) in &released {
                open.extend(coarsen(f, cell));
            }
        }
        if s.combined.hidden == 0 || open.len() == before {
            return (s, round);
        }
    }
    unreachable!("the audit converges: every round keeps at least one more step open")
}

/// Where the audit keeps a step open for a recovered curve cell: the step holding its
/// age in each finest curve under it (itself, or the finer strata of a margin).
fn coarsen(folder: &Folder, cell: &str) -> Vec<String> {
    let parts: Vec<&str> = cell.split('/').collect();
    let (prefix, period, rest) = match parts.first() {
        Some(&"trend") => ("trend", Some(parts[1]), &parts[2..]),
        Some(&p) if p == "ci" || p == "sens" => (p, None, &parts[1..]),
        _ => return Vec::new(),
    };
    let [outcome, estimator, id_mode, var, stratum, age, _] = rest else {
        return Vec::new();
    };
    let Ok(age) = age.parse::<u8>() else {
        return Vec::new();
    };
    let Some(&(stem, prefix)) = attacks::curves::CURVE_TABLES
        .iter()
        .find(|(_, p)| *p == prefix)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (_, t) in folder
        .tables_named(stem)
        .filter(|(n, _)| folder::has_ext(n, "csv"))
    {
        let curves = attacks::curves::curves_in(t, prefix);
        let same = |c: &attacks::curves::Curve| {
            c.period.as_deref() == period
                && c.key.outcome == *outcome
                && c.key.estimator == *estimator
                && c.key.id_mode == *id_mode
        };
        let finer: Vec<&attacks::curves::Curve> = curves
            .iter()
            .filter(|c| {
                same(c)
                    && c.key.stratum_var.starts_with(&format!("{var}:"))
                    && c.key.stratum.starts_with(&format!("{stratum}:"))
            })
            .collect();
        let targets: Vec<&attacks::curves::Curve> = if finer.is_empty() {
            curves
                .iter()
                .filter(|c| same(c) && c.key.stratum_var == *var && c.key.stratum == *stratum)
                .collect()
        } else {
            finer
        };
        for c in targets {
            if let Some(p) = c
                .points
                .iter()
                .find(|p| p.f.is_some() && p.from <= age && age <= p.age)
            {
                out.push(c.cell(p.age, "events"));
            }
        }
    }
    out
}

/// The rules proposed in docs/notes/2026-12-06-disclosure-rules.md, prototyped on the
/// `none` folders (`prototype.rs`), leave the attacker nothing.
#[test]
fn the_proposed_rules_give_away_no_hidden_count() {
    let lab = lab();
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
            let (s, n) = audited(&[(design.name, &none)], profile, &truth, |d| {
                proposed(d, profile)
            });
            rounds.push(format!("{} / {profile}: {n}", design.name));
            scores.insert((design.name.to_owned(), profile.to_owned()), s);
        }
    }
    let (a, b) = pair(|d| lab.folder(d, "none").to_owned());
    let truth = union(truth_of(&a), truth_of(&b));
    for profile in PROFILES {
        let (s, n) = audited(
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
                cost(&none, &Folder::read(&proposed(design, profile)))
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
