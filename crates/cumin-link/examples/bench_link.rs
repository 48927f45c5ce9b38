//! Times linkage alone: reads an extract once, then links and de-duplicates it.
//!
//! `cargo run --release -p cumin-link --features examples --example bench_link -- FILE [--mode M|--all-modes] [--read-only] [--shuffle]`
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
    if flag("--read-only") {
        return;
    }
    let shuffled;
    let e = if flag("--shuffle") {
        shuffled = shuffle(&extract.episodes);
        &shuffled
    } else {
        &extract.episodes
    };
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

/// The rows of `e` in a random order (ChaCha8, fixed seed), interned anew in that order
/// as a reader would.
fn shuffle(e: &cumin_census::Episodes) -> cumin_census::Episodes {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let mut order: Vec<usize> = (0..e.len()).collect();
    order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(1));
    let mut out = cumin_census::Episodes::new();
    for i in order {
        out.push(e.row(i));
    }
    out
}
