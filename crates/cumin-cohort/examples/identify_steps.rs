//! Times each step of `cumin_cohort::identify` (and the events after it) on one extract,
//! inside the process: where the `link` and `cohort` stages of a run spend their time.
//!
//! `cargo run --release -p cumin-cohort --features examples --example identify_steps -- FILE
//! [--repeat N]`
//!
//! Steps, as `identify` runs them under `--linkage corrected` (the default): link,
//! de-duplicate, build children, child traits, transfer pairs, join the pairs in place,
//! the joined children de-duplicated and built again; then `find_events` with the default
//! rules. Each line: the step's wall seconds and the process's CPU seconds in it, then the
//! process's resident and peak resident memory after it.

// An example is a small command-line program: printing is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use cumin_census::{Date, NoProgress, ReadOptions, read_extract};
use cumin_cohort::{BirthRules, EventRules, build_children, child_traits, find_events};
use cumin_link::{
    LinkOptions, deduplicate, join_pairs, link, rededuplicate_joined, transfer_pairs,
};
use std::path::PathBuf;
use std::time::Instant;

/// User + system seconds of this process so far (Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat; 11 and 12 after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

/// Resident and peak resident MiB of this process so far (Linux).
fn memory_mib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kib| kib / 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

struct Clock {
    wall: Instant,
    cpu: f64,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            wall: Instant::now(),
            cpu: cpu_seconds(),
        }
    }

    fn lap(&mut self, step: &str) {
        let cpu = cpu_seconds();
        let (rss, hwm) = memory_mib();
        println!(
            "{step:<22} wall {:7.3} s  CPU {:7.3} s  RSS {rss:6} MiB  peak {hwm:6} MiB",
            self.wall.elapsed().as_secs_f64(),
            cpu - self.cpu
        );
        *self = Clock::start();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: identify_steps FILE [--repeat N]");
        std::process::exit(2);
    };
    let repeat = args
        .windows(2)
        .find(|w| w[0] == "--repeat")
        .and_then(|w| w[1].parse().ok())
        .unwrap_or(1);
    let mut clock = Clock::start();
    let extract = read_extract(&[PathBuf::from(file)], &ReadOptions::default(), &NoProgress)
        .unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(1);
        });
    clock.lap("read");
    let e = &extract.episodes;
    let birth = BirthRules::default();
    for _ in 0..repeat {
        let mut clock = Clock::start();
        let mut linkage = link(e, &LinkOptions::default());
        clock.lap("link");
        let (set, dedup) = deduplicate(e, &linkage);
        clock.lap("deduplicate");
        let children = build_children(e, &linkage, &set, &birth);
        clock.lap("build_children");
        let traits = child_traits(e, &linkage, &children);
        clock.lap("child_traits");
        let (pairs, _) = transfer_pairs(&set, &cumin_link::TransferInputs::of(&set), |c| traits[c]);
        clock.lap("transfer_pairs");
        let joined = join_pairs(&mut linkage, &pairs);
        clock.lap("join_pairs");
        let rows = joined.1.table(e);
        let (merged_set, _) =
            rededuplicate_joined(&rows, (&joined.0, &joined.1), set, &dedup, &linkage);
        clock.lap("rededuplicate_joined");
        let merged_children = cumin_cohort::rebuild_joined_children(
            &rows,
            (&joined.0, &joined.1),
            children,
            &merged_set,
            &birth,
        );
        clock.lap("rebuild_children");
        let merged = linkage;
        let rules = EventRules {
            window_start: Date::ymd(2011, 4, 1),
            data_end: extract.data_end,
            birth,
            cpp_date: cumin_cohort::CppEventDate::PlanStart,
            school_age_needs_pmr: false,
        };
        let events = find_events(&merged_set, &merged_children, &rules);
        clock.lap("find_events");
        println!(
            "{} children, {} episodes, {} transfer pairs, {} referral events",
            merged.n_children,
            merged_set.len(),
            pairs.len(),
            events.all[0].len()
        );
    }
}
