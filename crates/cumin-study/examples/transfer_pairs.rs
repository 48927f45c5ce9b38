//! How well the transfer rule joins split identities, against the simulator's truth
//! (`scripts/linkage-validation.py`; docs/validation.md, "Linkage error").
//!
//! `cargo run --release -p cumin-study --features examples --example transfer_pairs -- DIR` reads
//! `DIR/episodes.csv` and `DIR/true_ids.csv` (from `cumin simulate --write-true-ids`),
//! links as `cumin estimate` does by default, applies the transfer rule and prints one
//! JSON object: the pairs, how many join two records of one true child (precision), and
//! recall against the splits the rule aims at (an `RC5` closure of one component and,
//! within the window, the first referral of another component of the same true child in
//! another LA) and against every split component.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use cumin_census::codes::RC_TRANSFERRED;
use cumin_census::{NoProgress, ReadOptions, read_extract};
use cumin_link::transfer::TRANSFER_WINDOW_DAYS;
use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;

// An analysis script, read top to bottom: reading, linking, the pairs and their tally.
#[allow(clippy::too_many_lines)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir] = args.as_slice() else {
        eprintln!("usage: transfer_pairs DIR");
        std::process::exit(2);
    };
    let dir = std::path::Path::new(dir);
    let extract = read_extract(
        &[dir.join("episodes.csv")],
        &ReadOptions::default(),
        &NoProgress,
    )?;
    let mut true_of_line: BTreeMap<u32, u64> = BTreeMap::new();
    let file = std::io::BufReader::new(std::fs::File::open(dir.join("true_ids.csv"))?);
    for (n, line) in file.lines().enumerate().skip(1) {
        let line = line?;
        let mut f = line.split(',');
        let (Some(row), Some(_), Some(child)) = (f.next(), f.next(), f.next()) else {
            return Err(format!(
                "true_ids.csv line {}: expected row,census_year,true_child",
                n + 1
            )
            .into());
        };
        true_of_line.insert(row.parse()?, child.parse()?);
    }
    let e = &extract.episodes;
    let linkage = cumin_link::link(e, &cumin_link::LinkOptions::default());
    let (set, _) = cumin_link::deduplicate(e, &linkage);
    let children =
        cumin_cohort::build_children(e, &linkage, &set, &cumin_cohort::BirthRules::default());
    let traits = cumin_cohort::child_traits(e, &linkage, &children);
    let (pairs, stats) =
        cumin_link::transfer_pairs(&set, &cumin_link::TransferInputs::of(&set), |c| traits[c]);

    // The true child of each component: the commonest among its rows.
    let mut votes: Vec<BTreeMap<u64, u32>> = vec![BTreeMap::new(); linkage.n_children];
    for i in 0..e.len() {
        if let (Some(c), Some(t)) = (linkage.child_of(i), true_of_line.get(&e.source_row[i])) {
            *votes[c.index()].entry(*t).or_insert(0) += 1;
        }
    }
    let truth: Vec<Option<u64>> = votes
        .iter()
        .map(|v| {
            v.iter()
                .max_by_key(|(t, n)| (**n, std::cmp::Reverse(**t)))
                .map(|(t, _)| *t)
        })
        .collect();
    let correct = pairs
        .iter()
        .filter(|p| truth[p.from.index()].is_some() && truth[p.from.index()] == truth[p.to.index()])
        .count();

    // Splits: components of one true child beyond its first; and those the rule aims at.
    let mut components: BTreeMap<u64, BTreeSet<u32>> = BTreeMap::new();
    for (c, t) in truth.iter().enumerate() {
        if let Some(t) = t {
            components.entry(*t).or_default().insert(c as u32);
        }
    }
    let split_components: usize = components.values().map(|s| s.len() - 1).sum();
    let firsts: BTreeMap<u32, usize> = set.by_child().map(|(c, r)| (c.0, r.start)).collect();
    let mut targeted = 0usize;
    for ep in 0..set.len() {
        if set.reason_for_closure[ep] != Some(RC_TRANSFERRED) {
            continue;
        }
        let (Some(closed), Some(la)) = (set.closure[ep], set.la[ep]) else {
            continue;
        };
        let from = set.child[ep];
        let Some(t) = truth[from.index()] else {
            continue;
        };
        let hit = components[&t].iter().any(|&other| {
            other != from.0
                && firsts.get(&other).is_some_and(|&f| {
                    let gap = set.referral[f].days_since(closed);
                    (0..=TRANSFER_WINDOW_DAYS).contains(&gap) && set.la[f].is_some_and(|l| l != la)
                })
        });
        targeted += usize::from(hit);
    }
    let share = |a: usize, b: usize| {
        if b == 0 {
            f64::NAN
        } else {
            a as f64 / b as f64
        }
    };
    println!(
        "{{\"transfer_closures\": {}, \"closures_with_candidates\": {}, \"candidate_matches\": {}, \
         \"pairs\": {}, \"correct_pairs\": {}, \"precision\": {:.4}, \"targeted_splits\": {}, \
         \"recall_targeted\": {:.4}, \"split_components\": {}, \"recall_all_splits\": {:.4}}}",
        stats.transfer_closures,
        stats.closures_with_candidates,
        stats.candidate_matches,
        pairs.len(),
        correct,
        share(correct, pairs.len()),
        targeted,
        share(correct, targeted),
        split_components,
        share(correct, split_components),
    );
    Ok(())
}
