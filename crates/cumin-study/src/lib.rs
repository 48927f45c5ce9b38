//! A cumin study, end to end.
//!
//! A study ([`config`]) names the episode files, the denominators, the estimators,
//! strata and disclosure control. [`pipeline::run`] takes it through every stage —
//! `cumin-census` (read, clean, ledger) → `cumin-link` (children, episodes) →
//! `cumin-cohort` (ages, first events) → `cumin-stats` (estimates) → `cumin-report`
//! (disclosure control, files) — and writes the manifest. The CLI is a thin layer over
//! this crate.

pub mod analysis;
pub mod bootstrap;
pub mod config;
pub mod denominators;
pub mod error;
pub mod estimators;
pub mod inequality;
pub mod jay;
pub mod linkage_report;
pub mod manifest;
pub mod pipeline;
pub mod recurrence;
pub mod sensitivity;
pub mod split;
pub mod strata;

pub use config::{Estimator, Period, SpliceDesign, StratumVar, StudyConfig, default_window_start};
pub use denominators::Denominators;
pub use error::StudyError;
pub use jay::{JayRule, JayRuleSwitches, Preset};
pub use linkage_report::{LinkageSection, ReportTable};
pub use pipeline::{Headline, RunOutput, Study, ToolInfo, run};
pub use sensitivity::SensitivityLine;
pub use strata::Stratification;
