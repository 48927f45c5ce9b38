//! `cumin`: cumulative incidence of children's social care contact from the CIN census.
//!
//! This binary only parses arguments and calls the libraries; see `docs/ARCHITECTURE.md`.

// The binary is the one place that writes to the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod demo;
mod init;
mod print;
mod progress;
mod simulate;
mod validate;
mod verify;

use anyhow::Result;
use args::{Cli, Command, EstimateArgs};
use clap::Parser;
use cumin_study::StudyConfig;
use progress::Bars;

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {}", message(&e));
        std::process::exit(1);
    }
}

/// The error and its causes, each said once: a cause whose text a message already
/// carries (an OS error quoted by the message that wraps it) is not repeated.
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
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
    let bars = Bars::new(cli.quiet, cli.progress);
    match cli.command {
        Command::Estimate(a) => {
            let force = a.force;
            let out = study(&estimate_config(a), "estimate", force, &bars)?;
            if !cli.quiet {
                print::print_outcome(&out);
            }
            Ok(())
        }
        Command::Run { study: path, force } => {
            let config = StudyConfig::from_toml_file(&path)?;
            let out = study(&config, "run", force, &bars)?;
            if !cli.quiet {
                print::print_outcome(&out);
            }
            Ok(())
        }
        Command::Init(a) => init::run(&a, cli.quiet),
        Command::Simulate(a) => simulate::run(&a, &bars, cli.quiet),
        Command::Validate(a) => validate::run(&a, &bars, cli.quiet),
        Command::Demo {
            out,
            force,
            bootstrap,
        } => demo::run(&out, (force, bootstrap), &bars, cli.quiet),
        Command::Verify { dir } => verify::run(&dir),
    }
}

/// The study `cumin estimate` describes with its flags.
fn estimate_config(a: EstimateArgs) -> StudyConfig {
    let defaults = StudyConfig::new(a.episodes, a.denominators, a.out);
    StudyConfig {
        estimators: a.estimator,
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
        lsoa_lookup: a.lsoa_lookup,
        ..defaults
    }
}

/// Checks the settings, then runs the study (which checks its inputs and output folder
/// before any heavy work).
fn study(
    config: &StudyConfig,
    command: &str,
    force: bool,
    bars: &Bars,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_os_error_is_said_once() {
        let os = || std::io::Error::from_raw_os_error(13);
        let e = anyhow::Error::new(cumin_census::CensusError::Io {
            path: "x.csv".into(),
            source: os(),
        });
        assert_eq!(e.chain().count(), 2, "the OS error is also the source");
        assert_eq!(message(&e), format!("cannot read x.csv: {}", os()));
        let e = anyhow::Error::new(os()).context("cannot write to out");
        assert_eq!(message(&e), format!("cannot write to out: {}", os()));
    }
}
