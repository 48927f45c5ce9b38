//! Estimators of cumulative incidence and their confidence intervals.
//!
//! Pure functions over count tables (`ndarray`, cohorts × ages or times × causes): no
//! files, no Arrow, no knowledge of the census. Tables from different partitions add, so
//! the functions can be run on merged counts. Formulas and sources are in
//! `docs/methods.md`; agreement with R and statsmodels is shown in `tests/reference.rs`
//! and `docs/validation.md`.

// ndarray views are cheap handles that its own API passes by value; taking `&ArrayView`
// instead would only make callers write `&x.view()`.
#![allow(clippy::needless_pass_by_value)]
// Tests compare counts and exact special values (0, 1, ∞) exactly, on purpose.
#![cfg_attr(test, allow(clippy::float_cmp))]

pub mod aalen_johansen;
pub mod backtest;
mod beta;
pub mod correction;
pub mod error;
pub mod glm;
pub mod inequality;
pub mod interval;
pub mod isotonic;
pub mod kaplan_meier;
pub mod lifetable;
pub mod product_limit;
pub mod resample;
pub mod risk_set;
pub mod splice;
#[cfg(test)]
mod testing;
pub mod truncation;

pub use aalen_johansen::{CumulativeIncidence, aalen_johansen};
pub use backtest::{Backtest, CANDIDATE_FORMS, backtest, plausible_forms, pooled_rho};
pub use correction::{
    BackwardCells, BackwardModel, Correction, Factors, Form, Source, backward_cells,
    fit_backward_model, fit_backward_model_from, fit_correction, fit_correction_forms,
    fit_correction_forms_from, fit_correction_or,
};
pub use error::StatsError;
pub use inequality::{GroupEstimate, Measure, SiiOptions, SlopeIndices};
pub use interval::{
    Interval, SurvivalScale, clopper_pearson, survival_interval, widen, wilson, z_for,
};
pub use isotonic::isotonic;
pub use kaplan_meier::{SurvivalEstimate, kaplan_meier};
pub use lifetable::{
    AgeEstimate, DelayedEntry, closed_cohort_at_risk, first_observed_runs, life_table,
    life_table_delayed_entry, loglog_interval, pooled_product_limit,
};
pub use product_limit::ProductLimit;
pub use resample::{percentile_interval, standard_deviation};
pub use risk_set::{Observation, RiskTable, Status};
pub use splice::cohort_splice;
pub use truncation::{Truncated, right_truncated_distribution};
