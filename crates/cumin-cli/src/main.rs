//! `cumin`: cumulative incidence of children's social care contact from the CIN census.
//!
//! This binary only parses arguments and calls the libraries; see `docs/ARCHITECTURE.md`.

// The binary is the one place that writes to the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod demo;
mod progress;
mod validate;
mod verify;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use cumin_census::{Date, Outcome};
use cumin_estimate::{Estimator, Period, SpliceDesign, Stratification};
use cumin_jay::{CorrectionLine, JayLine, JayMode, JaySummary, Preset};
use cumin_link::{ConflictPolicy, IdMode, LinkageMode};
use cumin_report::SdcProfile;
use cumin_study::StudyConfig;
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
        /// Clear an output folder that holds files this run would not write.
        #[arg(long)]
        force: bool,
    },
    /// Write a synthetic NPD extract with known truth.
    Simulate(SimulateArgs),
    /// Read episode files and report the ledger and a data-quality profile (no estimates).
    Validate(ValidateArgs),
    /// Run the whole path on the bundled synthetic extract and show the headline table.
    Demo {
        /// Output folder.
        #[arg(long, default_value = "cumin-demo")]
        out: PathBuf,
        /// Clear an output folder that holds files this run would not write.
        #[arg(long)]
        force: bool,
    },
    /// Check an output folder against its manifest (exit status 1 unless it is intact).
    Verify {
        /// The output folder.
        dir: PathBuf,
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
    /// Output folder (written whole at the end; empty or this run's kind, unless --force).
    #[arg(long)]
    out: PathBuf,
    /// Clear an output folder that holds files this run would not write.
    #[arg(long)]
    force: bool,
    /// Estimators, comma-separated (default: both).
    #[arg(long, value_enum, value_delimiter = ',')]
    estimator: Vec<Estimator>,
    /// Identifier mode.
    #[arg(long, value_enum, default_value_t = IdMode::Combined)]
    id_mode: IdMode,
    /// What linkage does with conflicting identifiers.
    #[arg(long, value_enum, default_value_t = ConflictPolicy::Split)]
    conflict_policy: ConflictPolicy,
    /// What is done about split identities (corrected estimates them from the moves PMRs
    /// show, with its estimation and extrapolation error in the intervals;
    /// docs/methods.md §2.1).
    /// Default: corrected with identifiers combined or pmr-school-age (under --preset
    /// jay2025, for its corrected splice), exact with la-only, pmr-only or --preset
    /// jay2025-strict.
    #[arg(long, value_enum)]
    linkage: Option<LinkageMode>,
    /// Which cohort supplies each age of the cohort splice.
    #[arg(long, value_enum, default_value_t = SpliceDesign::LongestLookback)]
    splice_design: SpliceDesign,
    /// Also estimate under every identifier mode and show them side by side.
    #[arg(long)]
    sensitivity: bool,
    /// Strata beside `all`: idaci_decile, sex, ethnicity, la (comma-separated); cross
    /// variables with ':' (idaci_decile:sex).
    #[arg(long, value_delimiter = ',', value_parser = parse_stratum)]
    by: Vec<Stratification>,
    /// Outcomes, comma-separated (default: referral, assessed, cin, cpp, and s47 when
    /// present).
    #[arg(long, value_enum, value_delimiter = ',')]
    outcome: Vec<Outcome>,
    /// First day of the study window.
    #[arg(long, default_value = "2011-04-01")]
    window_start: Date,
    /// Disclosure control.
    #[arg(long, value_enum, default_value_t = SdcProfile::Jay2025)]
    sdc: SdcProfile,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Child-cluster bootstrap replicates for the intervals of the corrected estimators.
    /// The default, 200, carries the corrections' estimation noise into the intervals;
    /// 1000 for tables to publish (less Monte-Carlo error in the limits); 0 for none (the
    /// intervals then treat the correction's estimate as known and are too narrow).
    /// Either way the corrections' model error is added.
    #[arg(long, default_value_t = cumin_study::config::default_bootstrap())]
    bootstrap: u32,
    /// Calendar periods for trend.csv: ranges of census years named by their end year
    /// (comma-separated, e.g. 2012-2015,2016-2019,2020-2023).
    #[arg(long, value_delimiter = ',', value_parser = parse_period)]
    period: Vec<Period>,
    /// LSOA → IDACI decile lookup (LSOA,IDACI_Decile), for extracts without IDACI_Decile.
    #[arg(long)]
    lsoa_lookup: Option<PathBuf>,
    /// The census years to use, first-last by the year each ends (2009-2024 = 2008/09 to
    /// 2023/24); rows of other years are excluded and counted. Default: the extract's own
    /// years, which must lie between 2008/09 and the last year to have ended, none with
    /// under 1% of the median year's rows.
    #[arg(long, value_parser = parse_census_years)]
    census_years: Option<Period>,
    /// A preset design: Jay et al. 2025's three cohorts. Fixes the cohorts, ages and
    /// identifiers; --estimator, --id-mode and --by do not apply.
    #[arg(long, value_enum)]
    preset: Option<Preset>,
}

#[derive(clap::Args)]
struct ValidateArgs {
    /// Episode files (CSV or Parquet; paths or quoted globs).
    #[arg(required = true, num_args = 1..)]
    files: Vec<String>,
    /// A study TOML whose [columns], [values], lsoa_lookup and data_start apply.
    #[arg(long)]
    study: Option<PathBuf>,
    /// LSOA → IDACI decile lookup (LSOA,IDACI_Decile); overrides the study's.
    #[arg(long)]
    lsoa_lookup: Option<PathBuf>,
    /// Write ledger.csv, quarantine.csv and profile.csv into this folder.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The census years to use, first-last by the year each ends (as for estimate);
    /// overrides the study's.
    #[arg(long, value_parser = parse_census_years)]
    census_years: Option<Period>,
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

fn parse_census_years(s: &str) -> Result<Period, String> {
    Period::parse(s).ok_or_else(|| {
        format!(
            "census years {s:?}: give first-last by the year each ends, e.g. 2009-2024 for \
             2008/09 to 2023/24"
        )
    })
}

// Command-line switches are booleans by nature.
#[allow(clippy::struct_excessive_bools)]
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
    /// Drop every quirk (PMR on every row, IDs unique nationally, clean values).
    #[arg(long)]
    no_quirks: bool,
    /// Write the true child on every row (no linkage error at all).
    #[arg(long)]
    perfect_ids: bool,
    /// Children arrive in and leave England by age (`[migration]` rates); denominators
    /// become residents and truth.json gains the truth among residents.
    #[arg(long, conflicts_with = "no_migration")]
    migration: bool,
    /// A closed population: every child born in England and living here to 18.
    #[arg(long)]
    no_migration: bool,
    /// Frailty form (mean 1, variance `frailty_variance`).
    #[arg(long, value_enum)]
    frailty: Option<cumin_synth::FrailtyForm>,
    /// Mechanism presets, applied over --params (comma-separated): default, pmr-onset,
    /// pmr-mobility, gamma, lognormal, mixture, mixture-deprived, la-recording,
    /// independent (docs/simulation.md, "Mechanisms").
    #[arg(long, value_delimiter = ',')]
    mechanism: Vec<String>,
    /// Extract format(s): csv, parquet or both.
    #[arg(long, default_value = "both", value_parser = ["csv", "parquet", "both"])]
    format: String,
    /// Also write true_ids.csv / .parquet: the true child of every written row (truth,
    /// for measuring linkage; never give it to an estimator).
    #[arg(long)]
    write_true_ids: bool,
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
                splice_design: a.splice_design,
                conflict_policy: a.conflict_policy,
                linkage: a.linkage,
                sensitivity: a.sensitivity,
                by: a.by,
                outcomes: (!a.outcome.is_empty()).then_some(a.outcome),
                window_start: a.window_start,
                sdc: a.sdc,
                seed: a.seed,
                bootstrap: a.bootstrap,
                periods: a.period,
                census_years: a.census_years,
                preset: a.preset,
                ..defaults
            };
            let out = study(&config, "estimate", a.force, &bars)?;
            if !cli.quiet {
                print_outcome(&out);
            }
            Ok(())
        }
        Command::Run { study: path, force } => {
            let config = StudyConfig::from_toml_file(&path)?;
            let out = study(&config, "run", force, &bars)?;
            if !cli.quiet {
                print_outcome(&out);
            }
            Ok(())
        }
        Command::Simulate(a) => simulate(&a, &bars, cli.quiet),
        Command::Validate(a) => validate::run(&a, &bars, cli.quiet),
        Command::Demo { out, force } => demo::run(&out, force, &bars, cli.quiet),
        Command::Verify { dir } => verify::run(&dir),
    }
}

fn study(
    config: &StudyConfig,
    command: &str,
    force: bool,
    bars: &progress::Bars,
) -> Result<cumin_study::RunOutput> {
    let study = cumin_study::Settings {
        force,
        ..config.check()?
    };
    let out = cumin_study::run(&study, &tool(command), bars)?;
    for w in &out.warnings {
        eprintln!("warning: {w}");
    }
    Ok(out)
}

/// Prints a run's summary: the Jay table for a Jay preset, else the headline and linkage.
fn print_outcome(out: &cumin_study::RunOutput) {
    if let Some(jay) = &out.jay {
        print_files(out);
        print_jay(jay);
    } else {
        print_run(out, None);
        print_linkage(out);
    }
}

/// Prints the Jay et al. 2025 table (as the paper lays it out) and what each correction
/// changes.
fn print_jay(jay: &JaySummary) {
    println!();
    println!(
        "Jay et al. 2025 design, preset {} (corrections in force: {})",
        jay.preset,
        jay.rules.join(", ")
    );
    println!("cumulative incidence before 18th birthday, % (95% CI), unadjusted splice:");
    print_jay_table(&jay.table);
    println!();
    println!(
        "the same design with cumin's cleaning, linkage ({}) and left-censoring correction \
         (cohort-splice):",
        jay.corrected_linkage
    );
    match &jay.corrected_missing {
        None => print_jay_table(&jay.corrected_table),
        Some(why) => println!("  not computed: {why}"),
    }
    let changed: Vec<_> = jay
        .corrections
        .iter()
        .filter(|c| c.mode == JayMode::Main && (c.corrected - c.strict).abs() > 0.0)
        .collect();
    println!();
    if changed.is_empty() {
        println!("no correction of the R code's rules changes the main estimates here");
        return;
    }
    print_jay_changes(&changed);
}

/// One half of the paper-like table: outcomes by main and sensitivity identifiers.
fn print_jay_table(table: &[JayLine]) {
    println!(
        "  {:13} {:>22} {:>22}",
        "", "main (pmr-school-age)", "sensitivity (combined)"
    );
    for (o, label) in [
        (Outcome::Referral, "referred"),
        (Outcome::Assessed, "assessed"),
        (Outcome::Cin, "CIN"),
        (Outcome::Cpp, "CPP"),
    ] {
        let cell = |mode: JayMode| {
            table
                .iter()
                .find(|l| l.outcome == o && l.mode == mode)
                .map_or_else(String::new, |l| {
                    format!(
                        "{:.1} ({:.1}-{:.1})",
                        100.0 * l.cum_inc,
                        100.0 * l.lower,
                        100.0 * l.upper
                    )
                })
        };
        println!(
            "  {label:13} {:>22} {:>22}",
            cell(JayMode::Main),
            cell(JayMode::Sensitivity)
        );
    }
}

/// What each correction of the R code's rules changes before 18.
fn print_jay_changes(changed: &[&CorrectionLine]) {
    println!(
        "what each correction changes before 18 (main, percentage points; jay_corrections.csv has every cell):"
    );
    for c in changed {
        println!(
            "  {:32} {:9} {:+.3}",
            c.rule.as_str(),
            c.outcome.as_str(),
            100.0 * (c.corrected - c.strict)
        );
    }
}

/// Prints where the outputs are.
fn print_files(out: &cumin_study::RunOutput) {
    let [read, used, quarantined, excluded] = out.rows;
    println!(
        "read {read} rows: {used} used, {quarantined} quarantined, {excluded} excluded by design (see analyst-only/ledger.csv)"
    );
    println!("data end: {}", out.data_end);
    println!("outputs in {}:", out.out.display());
    for (f, for_release) in &out.files {
        let note = if *for_release {
            ""
        } else {
            "  (not for release)"
        };
        println!("  {f}{note}");
    }
}

/// Prints where the outputs are and the headline table; `truth` adds a column.
fn print_run(out: &cumin_study::RunOutput, truth: Option<&dyn Fn(Outcome) -> Option<f64>>) {
    print_files(out);
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
            h.estimator.as_str(),
            100.0 * h.cum_inc,
            100.0 * h.lower,
            100.0 * h.upper,
        );
    }
}

/// The measures of the linkage section worth a line on the terminal (the rest are in
/// `linkage.csv`).
const LINKAGE_SUMMARY: [&str; 12] = [
    "rows",
    "rows_linked",
    "episodes",
    "rows_merged_into_episodes",
    "children",
    "children_in_several_las",
    "conflict_la_key_several_pmrs",
    "conflict_pmr_birth_mismatch",
    "conflict_many_las",
    "rows_conflict_split",
    "rows_conflict_dropped",
    "rows_unidentified",
];

/// Prints the linkage summary by identifier mode and, if run, the sensitivity table.
fn print_linkage(out: &cumin_study::RunOutput) {
    let tables = &out.linkage.tables;
    println!();
    println!("linkage by identifier mode (counts after disclosure control; all in linkage.csv):");
    if let Some(head) = tables.first() {
        print_cells(&head.columns);
        for row in tables.iter().take(2).flat_map(|t| &t.rows) {
            if LINKAGE_SUMMARY.contains(&row[0].as_str()) {
                print_cells(row);
            }
        }
    }
    let Some(lines) = &out.sensitivity else {
        return;
    };
    println!();
    println!("sensitivity: cumulative incidence before 18th birthday (%) by identifier mode:");
    let Some(first) = lines.first() else { return };
    let mut head = vec!["outcome / estimator".to_owned()];
    head.extend(first.by_mode.iter().map(|(m, _)| m.as_str().to_owned()));
    print_cells(&head);
    for l in lines {
        let mut cells = vec![format!("{} {}", l.outcome.as_str(), l.estimator.as_str())];
        cells.extend(l.by_mode.iter().map(|(_, h)| {
            format!(
                "{:.1} ({:.1}-{:.1})",
                100.0 * h.cum_inc,
                100.0 * h.lower,
                100.0 * h.upper
            )
        }));
        print_cells(&cells);
    }
    println!("  la-only splits movers into several children (over-counts); pmr-only leaves out");
    println!("  rows no PMR reaches (under-counts); see docs/linkage.md.");
}

fn print_cells(cells: &[String]) {
    let (label, rest) = cells.split_first().expect("a label");
    print!("  {label:38}");
    for c in rest {
        print!(" {c:>18}");
    }
    println!();
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
    for m in &a.mechanism {
        cumin_synth::params::apply_preset(&mut params, m)?;
    }
    if let Some(f) = a.frailty {
        params.frailty = f;
    }
    params.quirks &= !a.no_quirks;
    params.perfect_ids |= a.perfect_ids;
    if a.migration {
        params.migration.enabled = true;
    }
    if a.no_migration {
        params.migration.enabled = false;
    }
    if a.out.is_file() {
        bail!("--out {} is a file; give a folder", a.out.display());
    }
    let options = cumin_synth::WriteOptions {
        csv: a.format != "parquet",
        parquet: a.format != "csv",
        true_ids: a.write_true_ids,
    };
    let sim = cumin_synth::simulate(&params, bars)?;
    let summary = sim
        .write_with(&a.out, options, bars)
        .with_context(|| format!("writing the extract to {}", a.out.display()))?;
    if !quiet {
        let t = sim.truth();
        println!(
            "simulated {} children ({} in the extract, {} rows) into {}",
            summary.children,
            summary.children_in_extract,
            summary.rows,
            a.out.display()
        );
        if let Some(m) = &t.migration {
            println!(
                "migration: {} children arrived from abroad, {} left England before 18",
                m.in_migrants, m.out_migrants
            );
        }
        println!(
            "true cumulative incidence before 18 (children born in England, complete histories):"
        );
        for o in Outcome::ALL {
            println!("  {:9} {:5.1}%", o.as_str(), 100.0 * t.overall.at(o, 17));
        }
        if let Some(m) = &t.migration {
            println!("among residents (first events in England, product-limit):");
            for o in Outcome::ALL {
                println!(
                    "  {:9} {:5.1}%",
                    o.as_str(),
                    100.0 * m.overall.cum_inc[o.as_str()][17]
                );
            }
        }
        println!(
            "  re-referred within 6 years of a first referral: {:.1}%",
            100.0 * t.rereferral_within_years[5]
        );
    }
    Ok(())
}
