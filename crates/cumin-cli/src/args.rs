//! The command line: every subcommand's flags, with their values and defaults in
//! `--help` (enums are `clap::ValueEnum`s, so the values come from the types).

use crate::progress::ProgressMode;
use clap::{Parser, Subcommand};
use cumin_census::{Date, Outcome};
use cumin_estimate::{Estimator, Period, SpliceDesign, Stratification};
use cumin_jay::Preset;
use cumin_link::{ConflictPolicy, IdMode, LinkageMode};
use cumin_report::SdcProfile;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "cumin",
    version,
    about = "Cumulative incidence of children's social care contact from the Child in Need census",
    after_help = "First time? `cumin demo` runs the whole path on a bundled synthetic extract; \
                  `cumin init` writes a study file to fill in, `cumin validate --study study.toml` \
                  checks the extract and `cumin run study.toml` runs the study. \
                  docs/user-guide.md has the rest."
)]
pub struct Cli {
    /// No progress and no notes.
    #[arg(long, global = true, help_heading = "Terminal")]
    pub quiet: bool,
    /// How progress is shown on standard error.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = ProgressMode::Auto,
        help_heading = "Terminal"
    )]
    pub progress: ProgressMode,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Estimate cumulative incidence from an NPD CIN extract.
    Estimate(EstimateArgs),
    /// Run everything a study file asks for (`cumin init` writes one to start from).
    Run {
        /// The study TOML file; relative paths in it are read from its folder.
        study: PathBuf,
        /// Clear an output folder that holds files this run would not write.
        #[arg(long)]
        force: bool,
    },
    /// Write a starter study file: every setting with its default and what it means.
    Init(InitArgs),
    /// Read episode files and report the ledger and a data-quality profile (no estimates).
    Validate(ValidateArgs),
    /// Write a synthetic NPD extract with known truth.
    Simulate(SimulateArgs),
    /// Run the whole path on the bundled synthetic extract and show the headline table.
    Demo {
        /// Output folder.
        #[arg(long, default_value = "cumin-demo")]
        out: PathBuf,
        /// Clear an output folder that holds files this run would not write.
        #[arg(long)]
        force: bool,
        /// Child-cluster bootstrap replicates for the intervals of the corrected estimators
        /// (0: none, the intervals from the formula and the correction model only; a quick
        /// check that the tool runs end to end).
        #[arg(long, default_value_t = cumin_study::config::default_bootstrap())]
        bootstrap: u32,
    },
    /// Check an output folder against its manifest (exit status 1 unless it is intact).
    Verify {
        /// The output folder.
        dir: PathBuf,
    },
}

#[derive(clap::Args)]
pub struct EstimateArgs {
    /// Episode files (CSV or Parquet; paths or quoted globs, one per census year is fine).
    #[arg(long, required = true, num_args = 1..)]
    pub episodes: Vec<String>,
    /// Population denominators (CSV or Parquet; docs/input-contract.md section 2).
    #[arg(long)]
    pub denominators: PathBuf,
    /// Output folder (checked for writing before any work; written whole at the end; empty
    /// or this run's kind, unless --force).
    #[arg(long)]
    pub out: PathBuf,
    /// Clear an output folder that holds files this run would not write.
    #[arg(long)]
    pub force: bool,
    /// Estimators, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "cohort-splice,life-table"
    )]
    pub estimator: Vec<Estimator>,
    /// Identifiers that link rows into children.
    #[arg(long, value_enum, default_value_t = IdMode::Combined)]
    pub id_mode: IdMode,
    /// What linkage does with conflicting identifiers.
    #[arg(long, value_enum, default_value_t = ConflictPolicy::Split)]
    pub conflict_policy: ConflictPolicy,
    /// What is done about split identities (corrected estimates them from the moves PMRs
    /// show, with its estimation and extrapolation error in the intervals;
    /// docs/methods.md §2.1).
    /// [default: corrected with --id-mode combined or pmr-school-age (under --preset
    /// jay2025, for its corrected splice), exact with la-only, pmr-only or --preset
    /// jay2025-strict]
    #[arg(long, value_enum)]
    pub linkage: Option<LinkageMode>,
    /// Which cohort supplies each age of the cohort splice.
    #[arg(long, value_enum, default_value_t = SpliceDesign::LongestLookback)]
    pub splice_design: SpliceDesign,
    /// Also estimate under every identifier mode and show them side by side.
    #[arg(long)]
    pub sensitivity: bool,
    /// Strata beside all children, comma-separated: idaci_decile, sex, ethnicity, la;
    /// cross variables with ':' (idaci_decile:sex). [default: none]
    #[arg(long, value_delimiter = ',', value_parser = parse_stratum)]
    pub by: Vec<Stratification>,
    /// Outcomes, comma-separated. [default: referral, assessed, cin, cpp, and s47 when the
    /// extract has its columns]
    #[arg(long, value_enum, value_delimiter = ',')]
    pub outcome: Vec<Outcome>,
    /// First day of the study window (YYYY-MM-DD).
    #[arg(long, default_value = "2011-04-01")]
    pub window_start: Date,
    /// Disclosure control profile (none only for synthetic data).
    #[arg(long, value_enum, default_value_t = SdcProfile::Jay2025)]
    pub sdc: SdcProfile,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Child-cluster bootstrap replicates for the intervals of the corrected estimators.
    /// The default, 200, carries the corrections' estimation noise into the intervals;
    /// 1000 for tables to publish (less Monte-Carlo error in the limits); 0 for none (the
    /// intervals then treat the correction's estimate as known and are too narrow).
    /// Either way the corrections' model error is added.
    #[arg(long, default_value_t = cumin_study::config::default_bootstrap())]
    pub bootstrap: u32,
    /// Calendar periods for trend.csv: ranges of census years named by their end year
    /// (comma-separated, e.g. 2012-2015,2016-2019,2020-2023). [default: none]
    #[arg(long, value_delimiter = ',', value_parser = parse_period)]
    pub period: Vec<Period>,
    /// LSOA → IDACI decile lookup (LSOA,IDACI_Decile), for extracts without IDACI_Decile.
    #[arg(long)]
    pub lsoa_lookup: Option<PathBuf>,
    /// The census years to use, first-last by the year each ends (2009-2024 = 2008/09 to
    /// 2023/24); rows of other years are excluded and counted. [default: the extract's own
    /// years, which must lie between 2008/09 and the last year to have ended, none with
    /// under 1% of the median year's rows]
    #[arg(long, value_parser = parse_census_years)]
    pub census_years: Option<Period>,
    /// A preset design: Jay et al. 2025's three cohorts. Fixes the cohorts, ages and
    /// identifiers; --estimator, --id-mode and --by do not apply. [default: none]
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
}

#[derive(clap::Args)]
pub struct ValidateArgs {
    /// Episode files (CSV or Parquet; paths or quoted globs), as for `estimate`.
    /// [default: the study file's episodes]
    #[arg(long, num_args = 1..)]
    pub episodes: Vec<String>,
    /// Episode files given without --episodes: still read, but deprecated.
    #[arg(value_name = "FILES", hide = true)]
    pub files: Vec<String>,
    /// A study TOML whose episodes, [columns], [values], lsoa_lookup and data_start apply.
    #[arg(long)]
    pub study: Option<PathBuf>,
    /// LSOA → IDACI decile lookup (LSOA,IDACI_Decile); overrides the study's.
    #[arg(long)]
    pub lsoa_lookup: Option<PathBuf>,
    /// Write ledger.csv, quarantine.csv, notes.csv and profile.csv into this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The census years to use, first-last by the year each ends (as for estimate);
    /// overrides the study's.
    #[arg(long, value_parser = parse_census_years)]
    pub census_years: Option<Period>,
}

#[derive(clap::Args)]
pub struct InitArgs {
    /// Where to write the study file.
    #[arg(default_value = "study.toml")]
    pub path: PathBuf,
    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Formats `cumin simulate` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExtractFormat {
    /// `episodes.csv`.
    Csv,
    /// `episodes.parquet`.
    Parquet,
    /// Both.
    Both,
}

// Command-line switches are booleans by nature.
#[allow(clippy::struct_excessive_bools)]
#[derive(clap::Args)]
pub struct SimulateArgs {
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Population scale (1.0 = England). [default: 0.05, or the --params file's]
    #[arg(long)]
    pub scale: Option<f64>,
    /// Random seed. [default: 1, or the --params file's]
    #[arg(long)]
    pub seed: Option<u64>,
    /// TOML file of simulation parameters (flags override it; docs/simulation.md).
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Drop every quirk (PMR on every row, IDs unique nationally, clean values).
    #[arg(long)]
    pub no_quirks: bool,
    /// Write the true child on every row (no linkage error at all).
    #[arg(long)]
    pub perfect_ids: bool,
    /// Children arrive in and leave England by age (`[migration]` rates); denominators
    /// become residents and truth.json gains the truth among residents.
    #[arg(long, conflicts_with = "no_migration")]
    pub migration: bool,
    /// A closed population: every child born in England and living here to 18.
    #[arg(long)]
    pub no_migration: bool,
    /// Frailty form (mean 1, variance `frailty_variance`). [default: gamma, or the
    /// --params file's]
    #[arg(long, value_enum)]
    pub frailty: Option<cumin_synth::FrailtyForm>,
    /// Mechanism presets, applied over --params (comma-separated; docs/simulation.md,
    /// "Mechanisms"). [default: none]
    #[arg(
        long,
        value_delimiter = ',',
        value_parser = mechanism_parser()
    )]
    pub mechanism: Vec<String>,
    /// Extract format(s).
    #[arg(long, value_enum, default_value_t = ExtractFormat::Both)]
    pub format: ExtractFormat,
    /// Also write true_ids.csv / .parquet: the true child of every written row (truth,
    /// for measuring linkage; never give it to an estimator).
    #[arg(long)]
    pub write_true_ids: bool,
}

/// The simulator's mechanism presets, each with what it does.
fn mechanism_parser() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        cumin_synth::mechanism::PRESETS
            .iter()
            .map(|(name, what)| clap::builder::PossibleValue::new(*name).help(*what)),
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The defaults `simulate --help` states are the simulator's.
    #[test]
    fn simulate_help_states_the_simulators_defaults() {
        let p = cumin_synth::SimParams::default();
        let cmd = Cli::command();
        let sim = cmd.find_subcommand("simulate").unwrap();
        let help = |id: &str| {
            sim.get_arguments()
                .find(|a| a.get_id() == id)
                .and_then(|a| a.get_help())
                .map(ToString::to_string)
                .unwrap()
        };
        assert!(help("scale").contains(&format!("[default: {},", p.scale)));
        assert!(help("seed").contains(&format!("[default: {},", p.seed)));
        let frailty = format!("{:?}", p.frailty).to_lowercase();
        assert!(help("frailty").contains(&format!("[default: {frailty},")));
    }

    #[test]
    fn every_mechanism_listed_is_one_the_simulator_knows() {
        for (m, _) in cumin_synth::mechanism::PRESETS {
            let mut p = cumin_synth::SimParams::default();
            cumin_synth::params::apply_preset(&mut p, m).unwrap();
        }
    }
}
