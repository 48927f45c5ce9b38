//! The Jay et al. 2025 design as two presets (`../shared/spec/jay2025-rules.md`).
//!
//! `jay2025-strict` reproduces the per-age first-event counts of the published R code
//! (UCL-CHIG/csc-cumulative-incidence) exactly, ⚠ behaviours included; `jay2025` runs
//! the same design with each ⚠ behaviour corrected by a named, switchable rule
//! ([`rules::JayRule`]) and reports what each correction changes (`jay_corrections.csv`).
//!
//! - [`prepare`]: the cleaning script's steps, in its order;
//! - [`birth_month`]: its age table (the birth month of each LA key);
//! - [`counts`]: the analysis scripts' per-age first-event counts;
//! - [`engine`]: counts under the run's rules, the R code's, and each correction alone;
//! - [`run`]: the whole run with its files.

pub mod birth_month;
pub mod counts;
pub mod engine;
pub mod mode;
pub mod prepare;
pub mod rules;
pub mod run;

pub use counts::JayCounts;
pub use mode::{JayMode, Preset};
pub use rules::{JayRule, JayRuleSwitches, JayRules};
pub use run::{CorrectionLine, JayLine, JaySummary};
