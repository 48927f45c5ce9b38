//! A cumin study, end to end: the thin layer that turns a configuration into files.
//!
//! A study's configuration ([`config::StudyConfig`], from TOML or the command line) is
//! checked once into [`settings::Settings`]. [`run`] then takes it through every stage,
//! each in its own crate: `cumin-census` reads and cleans (with the ledger),
//! `cumin_cohort::identify` decides who is who, `cumin-estimate` estimates (or, for a Jay
//! preset, `cumin-jay` reproduces the R pipeline), [`release`] applies disclosure control
//! to every table, and [`output::OutputDir`] writes them with the report page, `sdc.json`
//! and the manifest into a staging folder it then renames into place; [`verify`] checks a
//! folder against its manifest. The CLI is a thin layer over this crate.

pub mod config;
pub mod error;
pub mod jay_run;
pub mod ledger;
pub mod linkage;
pub mod manifest;
pub mod mode_run;
pub mod output;
pub mod preflight;
pub mod release;
pub mod run;
pub mod sensitivity;
pub mod settings;
pub mod starter;
pub mod summary;
pub mod verify;

pub use config::{StudyConfig, default_window_start};
pub use cumin_estimate::{Estimator, Period, SpliceDesign, Stratification, StratumVar};
pub use cumin_jay::{JayRule, JayRuleSwitches, Preset};
pub use error::StudyError;
pub use manifest::ToolInfo;
pub use settings::{Design, Settings};
pub use summary::{Headline, RunOutput, SensitivityLine};

/// A whole run: cheap checks first ([`preflight`]), then estimates and files.
pub fn run(
    settings: &Settings,
    tool: &ToolInfo,
    progress: &dyn cumin_census::Progress,
) -> Result<RunOutput, StudyError> {
    preflight::check(settings)?;
    match &settings.design {
        Design::Cumin => run::run(settings, tool, progress),
        Design::Jay { preset, rules } => jay_run::run(settings, (*preset, rules), tool, progress),
    }
}
