//! The recovery table: what each attack recovers, by folder, attack and file.

use crate::attack::runs::PROFILES;
use crate::attack::score::FolderScore;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Per profile: hidden counts recovered, wrong pins, contradicting constraints.
type PerProfile = BTreeMap<String, (usize, usize, usize)>;

/// The recovery table of `scores` ((design, profile) → score), with `timings`.
pub fn report(
    scores: &BTreeMap<(String, String), FolderScore>,
    timings: &[(String, f64)],
) -> String {
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
    let mut by: BTreeMap<(String, String), PerProfile> = BTreeMap::new();
    for ((_, p), f) in scores {
        for ((a, file), r) in &f.by_attack {
            let e = by
                .entry((a.clone(), file.clone()))
                .or_default()
                .entry(p.clone())
                .or_default();
            e.0 += r.hidden;
            e.1 += r.wrong;
            e.2 += r.contradictions;
        }
    }
    let _ = writeln!(s, "| attack | file | {} |", PROFILES.join(" | "));
    let _ = writeln!(s, "|---|---|{}", "---:|".repeat(PROFILES.len()));
    for ((a, file), per) in &by {
        if per.values().all(|x| *x == (0, 0, 0)) {
            continue;
        }
        let cells: Vec<String> = PROFILES
            .iter()
            .map(|p| {
                let (h, w, c) = per.get(*p).copied().unwrap_or_default();
                let mut cell = h.to_string();
                if w > 0 {
                    let _ = write!(cell, " ({w} wrong)");
                }
                if c > 0 {
                    let _ = write!(cell, " ({c} contradicting)");
                }
                cell
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
