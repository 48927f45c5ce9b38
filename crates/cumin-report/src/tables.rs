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

/// One row of `trend.csv`: a `cumulative_incidence.csv` row from a life table over the
/// cells of one calendar period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrendRow {
    /// The estimate, as in `cumulative_incidence.csv`.
    pub ci: CiRow,
    /// Census years pooled, `2012-2015`.
    pub period: String,
}

/// One row of `inequality.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InequalityRow {
    /// Outcome.
    pub outcome: String,
    /// Estimator.
    pub estimator: String,
    /// Completed years: the measure of incidence before the (age+1)th birthday.
    pub age: u8,
    /// `ratio_d1_d10`, `diff_d1_d10`, `sii`, `rii`, `concentration_index`.
    pub measure: String,
    /// The measure.
    pub value: f64,
    /// Lower confidence limit.
    pub lower: f64,
    /// Upper confidence limit.
    pub upper: f64,
}

/// One row of `recurrence.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecurrenceRow {
    /// Outcome.
    pub outcome: String,
    /// Census year (named by its end) of the children's first event in the window.
    pub first_year: i16,
    /// Years of follow-up, 1..6.
    pub years_after: u8,
    /// Children with a first event that year and the whole follow-up in the data.
    pub children: f64,
    /// Of those, children with another such event within `years_after` years.
    pub recurred: f64,
    /// `recurred / children`, from unrounded counts.
    pub share: Option<f64>,
}

/// One row of `corrections.csv`: the left-censoring factor applied to one cohort × age.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CorrectionRow {
    /// Outcome.
    pub outcome: String,
    /// Stratification.
    pub stratum_var: String,
    /// Stratum.
    pub stratum: String,
    /// Birth cohort (financial year of birth, named by its end).
    pub birth_year: i16,
    /// Age (completed years).
    pub age: u8,
    /// First age at which the cohort is wholly observed.
    pub entry_age: u8,
    /// Children whose first event in the window is at this age (unadjusted count).
    pub first_observed: f64,
    /// Children with an event at this age and none at an earlier wholly observed age.
    pub first_in_observed_years: f64,
    /// The factor `c`: the estimated share of those that are first ever.
    pub factor: f64,
    /// The part of `factor` that rests on modelled backward hazards (1: none).
    pub extrapolated_factor: f64,
    /// `first_in_observed_years × factor`.
    pub corrected: f64,
}

/// One row of `correction_model.csv`: a backward hazard `h(a, x)`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BackwardHazardRow {
    /// Outcome.
    pub outcome: String,
    /// Stratification.
    pub stratum_var: String,
    /// Stratum.
    pub stratum: String,
    /// Age of the later event, `a`.
    pub age: u8,
    /// Age of the earlier year, `x`.
    pub earlier_age: u8,
    /// Children with an event at `a` and none between `x` and `a`, pooled over cohorts
    /// observing both (0 where none does).
    pub children: f64,
    /// Of those, children with an event at `x`.
    pub with_event: f64,
    /// `h(a, x)` used.
    pub hazard: f64,
    /// `observed`, `modelled`, `borrowed` (a pooled model shifted to this stratum, whose
    /// own could not be fitted) or `missing`.
    pub source: String,
}

/// One row of `correction_sensitivity.csv`: how an estimate moves with the correction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SensitivityRow {
    /// Outcome.
    pub outcome: String,
    /// Corrected estimator (`life-table`, `cohort-splice`).
    pub estimator: String,
    /// Stratification.
    pub stratum_var: String,
    /// Stratum.
    pub stratum: String,
    /// Age.
    pub age: u8,
    /// With `c = 1` (first events in the observed years, no correction).
    pub no_correction: f64,
    /// With only observed backward hazards (modelled ones set to 0: `c = 1` where it
    /// would be extrapolated).
    pub observed_only: f64,
    /// With the full correction (the estimate published).
    pub corrected: f64,
    /// The back-tested relative error `ρ` of the modelled part of the correction, the
    /// whole population's (`stratum_var = all`) for every stratification (1 where no
    /// back-test was possible).
    pub extrapolation_error: f64,
    /// This stratification's own back-tested `ρ`, pooled over its strata: reported, not
    /// used (sparse strata inflate it; docs/methods.md §5.3).
    pub stratification_extrapolation_error: f64,
    /// `ρ × |observed_only − corrected|`: the extrapolation error to expect, as a
    /// standard deviation; added to the published interval and standard error
    /// (docs/methods.md §5.3).
    pub extrapolation_sd: f64,
}

/// One row of `strata.csv`: event years a stratification could not place, because the
/// value was unknown (a missing decile, sex, ethnicity or LA).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnplacedRow {
    /// Stratification.
    pub stratum_var: String,
    /// Outcome.
    pub outcome: String,
    /// Event years with an unknown stratum (left out of that stratification's estimates).
    pub event_years: f64,
}
