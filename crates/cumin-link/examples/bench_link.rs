//! Times linkage alone: reads an extract once, then links and de-duplicates it.
//!
//! `cargo run --release -p cumin-link --example bench_link -- FILE [--mode M|--all-modes] [--read-only] [--shuffle]`
//!
//! Prints the seconds each stage took inside the process. `--read-only` stops after
//! reading, so that whole-process timings of the two invocations (see
//! `scripts/bench-link.sh`) give the cost of linkage as a ratio to reading the same file.
//! `--shuffle` puts the rows in a random order (fixed seed) before linking, as an extract
//! that does not list its rows by LA and identifier would come (the simulator's do).

// An example is a small command-line program: printing is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use cumin_census::{NoProgress, ReadOptions, read_extract};
use cumin_link::{IdMode, LinkOptions, deduplicate, link};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: bench_link FILE [--mode M | --all-modes] [--read-only]");
        std::process::exit(2);
    };
    let flag = |name: &str| args.iter().any(|a| a == name);
    let modes: Vec<IdMode> = if flag("--all-modes") {
        IdMode::ALL.to_vec()
    } else {
        let named = args
            .windows(2)
            .find(|w| w[0] == "--mode")
            .and_then(|w| IdMode::parse(&w[1]));
        vec![named.unwrap_or_default()]
    };
    let clock = Instant::now();
    let extract = match read_extract(&[PathBuf::from(file)], &ReadOptions::default(), &NoProgress) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "read\t{:.3}s\t{} rows",
        clock.elapsed().as_secs_f64(),
        extract.episodes.len()
    );
    let shuffled;
    let e = if flag("--shuffle") {
        shuffled = shuffle(&extract.episodes);
        &shuffled
    } else {
        &extract.episodes
    };
    if flag("--read-only") {
        return;
    }
    for mode in modes {
        let clock = Instant::now();
        let linkage = link(e, &LinkOptions::with_mode(mode));
        let linked = clock.elapsed().as_secs_f64();
        let (set, _) = deduplicate(e, &linkage);
        let total = clock.elapsed().as_secs_f64();
        println!(
            "{mode}\tlink {linked:.3}s\tdedup {:.3}s\ttotal {total:.3}s\t{} children\t{} episodes",
            total - linked,
            linkage.n_children,
            set.len()
        );
    }
}

/// The rows of `e` in a random order (Fisher–Yates on splitmix64, fixed seed), interned
/// anew in that order as a reader would.
fn shuffle(e: &cumin_census::Episodes) -> cumin_census::Episodes {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut order: Vec<usize> = (0..e.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    let mut out = cumin_census::Episodes::new();
    for i in order {
        out.push(e.row(i));
    }
    out
}
