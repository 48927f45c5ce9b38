//! `cumin`: cumulative incidence of children's social care contact from the CIN census.
//!
//! This binary only parses arguments and calls the libraries; see `docs/ARCHITECTURE.md`.

mod progress;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "cumin",
    version,
    about = "Cumulative incidence of children's social care contact from the Child in Need census"
)]
struct Cli {
    /// No progress bars or notes.
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a synthetic NPD extract with known truth.
    Simulate(SimulateArgs),
}

#[derive(clap::Args)]
struct SimulateArgs {
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// Population scale (1.0 = England).
    #[arg(long)]
    scale: Option<f64>,
    /// Random seed.
    #[arg(long)]
    seed: Option<u64>,
    /// TOML file of simulation parameters (flags override it).
    #[arg(long)]
    params: Option<PathBuf>,
    /// Drop the identifier quirks (PMR on every row; one LA child ID per LA).
    #[arg(long)]
    no_quirks: bool,
    /// Write the true child on every row (no linkage error at all).
    #[arg(long)]
    perfect_ids: bool,
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    let bars = progress::Bars::new(cli.quiet);
    match cli.command {
        Command::Simulate(a) => simulate(&a, &bars, cli.quiet),
    }
}

fn simulate(a: &SimulateArgs, bars: &progress::Bars, quiet: bool) -> Result<()> {
    let mut params = match &a.params {
        Some(p) => cumin_synth::SimParams::from_toml_file(p)?,
        None => cumin_synth::SimParams::default(),
    };
    if let Some(s) = a.scale {
        params.scale = s;
    }
    if let Some(s) = a.seed {
        params.seed = s;
    }
    params.quirks &= !a.no_quirks;
    params.perfect_ids |= a.perfect_ids;
    let sim = cumin_synth::simulate(&params, bars)?;
    let summary = sim
        .write(&a.out, bars)
        .with_context(|| format!("writing the extract to {}", a.out.display()))?;
    if !quiet {
        let t = sim.tally.truth();
        println!(
            "simulated {} children ({} in the extract, {} rows) into {}",
            summary.children,
            summary.children_in_extract,
            summary.rows,
            a.out.display()
        );
        println!("true cumulative incidence before 18:");
        for o in cumin_census::Outcome::ALL {
            println!("  {:9} {:5.1}%", o.as_str(), 100.0 * t.overall.at(o, 17));
        }
        println!(
            "  re-referred within 6 years of a first referral: {:.1}%",
            100.0 * t.rereferral_within_years[5]
        );
    }
    Ok(())
}
