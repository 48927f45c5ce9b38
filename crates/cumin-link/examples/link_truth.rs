//! Children linked under every identifier mode against the simulator's truth.
//!
//! `cargo run --release -p cumin-link --features examples --example link_truth -- [SCALE] [SEED...]`
//!
//! For each seed, simulates an extract in memory (identifier quirks on), links it under
//! each mode, and prints the true children, what the identifiers allow, what each mode
//! found, and false merges. The figures in docs/linkage.md come from this program.

// An example is a small command-line program: printing is its job.
#![allow(clippy::print_stdout)]

#[path = "../tests/link/support/truth.rs"]
mod truth;

use cumin_link::{IdMode, LinkOptions, link};
use truth::{expected_children, simulate};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scale: f64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(0.1);
    let seeds: Vec<u64> = args.iter().skip(1).filter_map(|a| a.parse().ok()).collect();
    let seeds = if seeds.is_empty() { vec![1] } else { seeds };
    println!("seed\tmode\trows\ttrue_children\texpected\tlinked\tlinked_vs_true\tfalse_merges");
    for seed in seeds {
        let t = simulate(scale, seed, false);
        let x = t.expected();
        for mode in IdMode::ALL {
            let l = link(&t.episodes, &LinkOptions::with_mode(mode));
            let linked = l.n_children as f64;
            println!(
                "{seed}\t{mode}\t{}\t{}\t{}\t{}\t{:+.2}%\t{}",
                t.episodes.len(),
                x.children,
                expected_children(&x, mode),
                l.n_children,
                100.0 * (linked / x.children as f64 - 1.0),
                t.impure_children(&l)
            );
        }
    }
}
