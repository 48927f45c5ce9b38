//! The rows of the output tables, before disclosure control.

use serde::Serialize;

/// One row of `cumulative_incidence.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CiRow {
    /// `referral`, `assessed`, `cin`, `s47`, `cpp`.
    pub outcome: String,
    /// Estimator name.
    pub estimator: String,
    /// Identifier mode.
    pub id_mode: String,
    /// `all`, `idaci_decile`, `sex`, ...
    pub stratum_var: String,
    /// `all`, `1`..`10`, ...
    pub stratum: String,
    /// Completed years 0..17: incidence before the (age+1)th birthday.
    pub age: u8,
    /// First events at this age (blank when withheld).
    pub events: Option<f64>,
    /// Denominator at this age.
    pub at_risk: Option<f64>,
    /// Cumulative incidence.
    pub cum_inc: Option<f64>,
    /// Lower 95% limit.
    pub lower: Option<f64>,
    /// Upper 95% limit.
    pub upper: Option<f64>,
    /// Whether disclosure control withheld the figures.
    pub suppressed: bool,
}

/// One row of `linkage.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkageRow {
    /// Identifier mode.
    pub id_mode: String,
    /// What is measured.
    pub measure: String,
    /// The value (a count or a share).
    pub value: f64,
    /// Whether `value` counts children, rows or episodes (rounded by disclosure control)
    /// rather than being a share.
    #[serde(skip)]
    pub is_count: bool,
}
