//! `cumin`: cumulative incidence of children's social care contact from the CIN census.
//!
//! This binary only parses arguments and calls the libraries; see `docs/ARCHITECTURE.md`.

// The binary is the one place that writes to the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod demo;
mod progress;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use cumin_census::{Date, Outcome};
use cumin_link::IdMode;
use cumin_report::SdcProfile;
use cumin_study::{Estimator, Period, Stratification, StudyConfig};
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
    /// Estimate cumulative incidence from an NPD CIN extract.
    Estimate(EstimateArgs),
    /// Run everything a study configuration file asks for.
    Run {
        /// The study TOML file.
        study: PathBuf,
    },
    /// Write a synthetic NPD extract with known truth.
    Simulate(SimulateArgs),
    /// Run the whole path on the bundled synthetic extract and show the headline table.
    Demo {
        /// Output folder.
        #[arg(long, default_value = "cumin-demo")]
        out: PathBuf,
    },
}

#[derive(clap::Args)]
struct EstimateArgs {
    /// Episode files (CSV or Parquet; paths or quoted globs, one per census year is fine).
    #[arg(long, required = true, num_args = 1..)]
    episodes: Vec<String>,
    /// Population denominators (CSV or Parquet).
    #[arg(long)]
    denominators: PathBuf,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// Estimator(s): cohort-splice, life-table (default: both).
    #[arg(long, value_delimiter = ',', value_parser = parse_estimator)]
    estimator: Vec<Estimator>,
    /// Identifier mode.
    #[arg(long, default_value = "combined", value_parser = parse_id_mode)]
    id_mode: IdMode,
    /// Strata beside `all`: idaci_decile, sex, ethnicity, la (comma-separated); cross
    /// variables with ':' (idaci_decile:sex).
    #[arg(long, value_delimiter = ',', value_parser = parse_stratum)]
    by: Vec<Stratification>,
    /// Outcomes (default: referral, assessed, cin, cpp, and s47 when present).
    #[arg(long, value_delimiter = ',', value_parser = parse_outcome)]
    outcome: Vec<Outcome>,
    /// First day of the study window.
    #[arg(long, default_value = "2011-04-01")]
    window_start: Date,
    /// Disclosure control profile: jay2025 (round counts to 10) or none (synthetic data only).
    #[arg(long, default_value = "jay2025", value_parser = parse_sdc)]
    sdc: SdcProfile,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Child-cluster bootstrap replicates for the intervals of the corrected estimators
    /// (0: none; their intervals then treat the correction as known).
    #[arg(long, default_value_t = 0)]
    bootstrap: u32,
    /// Calendar periods for trend.csv: ranges of census years named by their end year
    /// (comma-separated, e.g. 2012-2015,2016-2019,2020-2023).
    #[arg(long, value_delimiter = ',', value_parser = parse_period)]
    period: Vec<Period>,
}

fn parse_estimator(s: &str) -> Result<Estimator, String> {
    Estimator::parse(s)
        .ok_or_else(|| format!("unknown estimator {s:?}: use cohort-splice or life-table"))
}

fn parse_id_mode(s: &str) -> Result<IdMode, String> {
    IdMode::parse(s).ok_or_else(|| {
        format!("unknown identifier mode {s:?}: use combined, pmr-school-age, la-only or pmr-only")
    })
}

fn parse_stratum(s: &str) -> Result<Stratification, String> {
    Stratification::parse(s).ok_or_else(|| {
        format!("unknown stratum {s:?}: use idaci_decile, sex, ethnicity or la, or several joined by ':'")
    })
}

fn parse_period(s: &str) -> Result<Period, String> {
    Period::parse(s).ok_or_else(|| {
        format!("period {s:?}: give census years first-last by the year they end, e.g. 2012-2015")
    })
}

fn parse_outcome(s: &str) -> Result<Outcome, String> {
    Outcome::parse(s)
        .ok_or_else(|| format!("unknown outcome {s:?}: use referral, assessed, cin, s47 or cpp"))
}

fn parse_sdc(s: &str) -> Result<SdcProfile, String> {
    SdcProfile::parse(s)
        .ok_or_else(|| format!("unknown disclosure profile {s:?}: use jay2025 or none"))
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

fn tool(command: &str) -> cumin_study::ToolInfo {
    let commit = env!("CUMIN_GIT_COMMIT");
    cumin_study::ToolInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        commit: (!commit.is_empty()).then(|| commit.to_owned()),
        command: command.to_owned(),
    }
}

fn run(cli: Cli) -> Result<()> {
    let bars = progress::Bars::new(cli.quiet);
    match cli.command {
        Command::Estimate(a) => {
            let defaults = StudyConfig::new(a.episodes, a.denominators, a.out);
            let config = StudyConfig {
                estimators: if a.estimator.is_empty() {
                    defaults.estimators.clone()
                } else {
                    a.estimator
                },
                id_mode: a.id_mode,
                by: a.by,
                outcomes: (!a.outcome.is_empty()).then_some(a.outcome),
                window_start: a.window_start,
                sdc: a.sdc,
                seed: a.seed,
                bootstrap: a.bootstrap,
                periods: a.period,
                ..defaults
            };
            let out = study(&config, "estimate", &bars)?;
            if !cli.quiet {
                print_run(&out, None);
            }
            Ok(())
        }
        Command::Run { study: path } => {
            let config = StudyConfig::from_toml_file(&path)?;
            let out = study(&config, "run", &bars)?;
            if !cli.quiet {
                print_run(&out, None);
            }
            Ok(())
        }
        Command::Simulate(a) => simulate(&a, &bars, cli.quiet),
        Command::Demo { out } => demo::run(&out, &bars, cli.quiet),
    }
}

fn study(
    config: &StudyConfig,
    command: &str,
    bars: &progress::Bars,
) -> Result<cumin_study::RunOutput> {
    let study = config.check()?;
    Ok(cumin_study::run(&study, &tool(command), bars)?)
}

/// Prints where the outputs are and the headline table; `truth` adds a column.
fn print_run(out: &cumin_study::RunOutput, truth: Option<&dyn Fn(Outcome) -> Option<f64>>) {
    let [read, used, quarantined, excluded] = out.rows;
    println!(
        "read {read} rows: {used} used, {quarantined} quarantined, {excluded} excluded by design (see ledger.csv)"
    );
    println!("data end: {}", out.data_end);
    println!("outputs in {}:", out.out.display());
    for f in &out.files {
        println!(
            "  {}",
            f.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
    }
    println!();
    println!("cumulative incidence before 18th birthday (stratum all, 95% CI):");
    let truth_head = if truth.is_some() { "  truth" } else { "" };
    println!(
        "  {:9} {:26} {:>7}  {:>17}{truth_head}",
        "outcome", "estimator", "%", "95% CI"
    );
    for h in &out.headline {
        let age_note = if h.age == 17 {
            String::new()
        } else {
            format!(" (to age {})", h.age + 1)
        };
        let t = truth
            .and_then(|f| f(h.outcome))
            .map(|t| format!("  {:5.1}", 100.0 * t))
            .unwrap_or_default();
        println!(
            "  {:9} {:26} {:7.1}  ({:5.1} – {:5.1}){t}{age_note}",
            h.outcome.as_str(),
            h.estimator,
            100.0 * h.cum_inc,
            100.0 * h.lower,
            100.0 * h.upper,
        );
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
    if a.out.is_file() {
        bail!("--out {} is a file; give a folder", a.out.display());
    }
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
        for o in Outcome::ALL {
            println!("  {:9} {:5.1}%", o.as_str(), 100.0 * t.overall.at(o, 17));
        }
        println!(
            "  re-referred within 6 years of a first referral: {:.1}%",
            100.0 * t.rereferral_within_years[5]
        );
    }
    Ok(())
}
