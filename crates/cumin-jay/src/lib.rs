//! The Jay et al. 2025 design as two presets (docs/methods.md, "Jay et al. 2025").
//!
//! `jay2025-strict` reproduces the per-age first-event counts of the published R code
//! (UCL-CHIG/csc-cumulative-incidence) exactly, ⚠ behaviours included; `jay2025` runs
//! the same design with each ⚠ behaviour corrected by a named, switchable rule
//! ([`rules::JayRule`]) and reports what each correction changes (`jay_corrections.csv`).
//! The design's left-censoring corrected splice is not computed here: it goes through
//! cumin's own identity and estimation (`cumin_cohort::identify`, `cumin_estimate`), with
//! the splice design `jay2025`.
//!
//! - [`prepare`]: the cleaning script's steps, in its order;
//! - [`birth_month`]: its age table (the birth month of each LA key);
//! - [`counts`]: the analysis scripts' per-age first-event counts;
//! - [`engine`]: counts under the run's rules, the R code's, and each correction alone;
//! - [`population`]: the design's populations and the unadjusted splice of the counts;
//! - [`tables`]: the rows of `jay_counts.csv`, `jay_corrections.csv` and the summary.

pub mod birth_month;
pub mod counts;
pub mod engine;
pub mod mode;
pub mod population;
pub mod prepare;
pub mod rules;
pub mod tables;

pub use counts::JayCounts;
pub use engine::{Evaluation, evaluate};
pub use mode::{JayMode, Preset};
pub use population::{MissingPopulation, Population};
pub use prepare::{Fate, JayInput};
pub use rules::{JayRule, JayRuleSwitches, JayRules};
pub use tables::{
    Correction, CorrectionLine, JayCorrectionRow, JayCountRow, JayLine, JaySummary,
    correction_rows, count_rows, rule_names,
};
