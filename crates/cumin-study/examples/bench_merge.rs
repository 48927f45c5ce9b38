//! What `--linkage corrected` adds to a run, stage by stage, against the full rebuild it
//! replaced (docs/benchmarks.md, "Linkage correction").
//!
//! `cargo run --release -p cumin-study --features examples --example bench_merge -- EPISODES [REPEATS]` reads
//! an extract (CSV or Parquet), links and de-duplicates it as `cumin estimate` does, then
//! times, `REPEATS` times (default 3), each step that `merge` and `corrected` add: joining
//! the transfer pairs, de-duplicating and building children again (incrementally, as the
//! pipeline does, and from scratch, the baseline), and the split-identity correction's
//! tables. It checks that both ways give the same episodes and children and prints one
//! JSON line per repeat.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use cumin_census::{Date, NoProgress, Outcome, ReadOptions, read_extract};
use cumin_cohort::{BirthRules, CppEventDate, EventRules};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (path, repeats) = match args.as_slice() {
        [_, p] => (p.clone(), 3),
        [_, p, r] => (p.clone(), r.parse()?),
        _ => {
            eprintln!("usage: bench_merge EPISODES [REPEATS]");
            std::process::exit(2);
        }
    };
    let extract = read_extract(&[path.into()], &ReadOptions::default(), &NoProgress)?;
    let e = &extract.episodes;
    let rules = EventRules {
        window_start: Date::ymd(2011, 4, 1),
        data_end: extract.data_end,
        birth: BirthRules::default(),
        cpp_date: CppEventDate::PlanStart,
        school_age_needs_pmr: false,
    };
    let linkage = cumin_link::link(e, &cumin_link::LinkOptions::default());
    let (set, dedup) = cumin_link::deduplicate(e, &linkage);
    let children = cumin_cohort::build_children(e, &linkage, &set, &rules.birth);
    let traits = cumin_cohort::child_traits(e, &linkage, &children);
    let (pairs, transfers) =
        cumin_link::transfer_pairs(&set, &cumin_link::TransferInputs::of(&set), |c| traits[c]);
    let outcomes = [
        Outcome::Referral,
        Outcome::Assessed,
        Outcome::Cin,
        Outcome::Cpp,
    ];
    for repeat in 0..repeats {
        let mut t = Vec::new();
        // `rededuplicate` consumes the set it starts from.
        let owned_set = set.clone();
        let mut clock = Instant::now();
        let mut lap = |name: &'static str, t: &mut Vec<(&'static str, f64)>| {
            t.push((name, clock.elapsed().as_secs_f64()));
            clock = Instant::now();
        };
        let merged = cumin_link::merge_pairs(&linkage, &pairs);
        lap("merge_pairs", &mut t);
        let (mset, mdedup) = cumin_link::rededuplicate(e, &linkage, owned_set, &dedup, &merged);
        lap("rededuplicate", &mut t);
        let mchildren =
            cumin_cohort::rebuild_children(e, &linkage, &children, &merged, &mset, &rules.birth);
        lap("rebuild_children", &mut t);
        let (full_set, full_dedup) = cumin_link::deduplicate(e, &merged);
        lap("full_deduplicate", &mut t);
        let full_children = cumin_cohort::build_children(e, &merged, &full_set, &rules.birth);
        lap("full_build_children", &mut t);
        if mset != full_set || mdedup != full_dedup || mchildren != full_children {
            return Err("incremental and full rebuilds differ".into());
        }
        drop((full_set, full_children));
        lap("compare", &mut t);
        let events = cumin_cohort::find_events(&mset, &mchildren, &rules);
        lap("find_events", &mut t);
        let identity = cumin_cohort::Identity {
            linkage_mode: cumin_link::LinkageMode::Corrected,
            linkage: merged,
            episodes: mset,
            dedup: mdedup,
            children: mchildren,
            transfers: transfers.clone(),
            by_identifiers: cumin_cohort::LinkageCounts::default(),
        };
        let split =
            cumin_estimate::split::SplitCorrection::build(e, &identity, &events, &outcomes, &rules);
        lap("split_correction", &mut t);
        let fields: Vec<String> = t.iter().map(|(k, v)| format!("\"{k}\": {v:.3}")).collect();
        println!(
            "{{\"repeat\": {repeat}, \"pairs\": {}, \"ghost_outcomes\": {}, {}}}",
            pairs.len(),
            split.summary(&outcomes).per_outcome.len(),
            fields.join(", ")
        );
    }
    Ok(())
}
