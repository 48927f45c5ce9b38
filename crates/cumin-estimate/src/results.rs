//! Typed results besides the curves: the left-censoring correction's cells, model and
//! bounds, deprivation gradients, recurrence, and the event years no stratum could take.
//! `cumin-report` releases and writes them; the names in comments are their files.

use crate::curves::CurveEstimator;
use crate::strata::{Stratification, Stratum};
use cumin_census::{Age, CensusYear, Outcome};
use cumin_cohort::BirthCohort;
use cumin_stats::Source;

/// The left-censoring factor applied to one cohort × age (`corrections.csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct CorrectionCell {
    /// Outcome.
    pub outcome: Outcome,
    /// Stratification.
    pub by: Stratification,
    /// Stratum.
    pub stratum: Stratum,
    /// Birth cohort.
    pub cohort: BirthCohort,
    /// Age.
    pub age: Age,
    /// First age at which the cohort is wholly observed.
    pub entry_age: Age,
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

/// A backward hazard `h(a, x)` of the correction's model (`correction_model.csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct BackwardHazard {
    /// Outcome.
    pub outcome: Outcome,
    /// Stratification.
    pub by: Stratification,
    /// Stratum.
    pub stratum: Stratum,
    /// Age of the later event, `a`.
    pub age: Age,
    /// Age of the earlier year, `x`.
    pub earlier_age: Age,
    /// Children with an event at `a` and none between `x` and `a`, pooled over cohorts
    /// observing both (0 where none does).
    pub children: f64,
    /// Of those, children with an event at `x`.
    pub with_event: f64,
    /// `h(a, x)` used.
    pub hazard: f64,
    /// Observed, modelled, borrowed (a pooled model shifted to this stratum, whose own
    /// could not be fitted) or missing.
    pub source: Source,
}

/// How a corrected estimate moves with the correction (`correction_sensitivity.csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct CorrectionBound {
    /// Outcome.
    pub outcome: Outcome,
    /// Corrected estimator.
    pub estimator: CurveEstimator,
    /// Stratification.
    pub by: Stratification,
    /// Stratum.
    pub stratum: Stratum,
    /// Age.
    pub age: Age,
    /// With `c = 1` (first events in the observed years, no correction).
    pub no_correction: f64,
    /// With only observed backward hazards (modelled ones set to 0: `c = 1` where it
    /// would be extrapolated).
    pub observed_only: f64,
    /// With the full correction (the estimate published).
    pub corrected: f64,
    /// The back-tested relative error `ρ` of the modelled part of the correction, the
    /// whole population's for every stratification (1 where no back-test was possible).
    pub extrapolation_error: f64,
    /// This stratification's own back-tested `ρ`, pooled over its strata: reported, not
    /// used (sparse strata inflate it; docs/methods.md §5.3).
    pub stratification_extrapolation_error: f64,
    /// Half the range of the estimates of the model forms the correction averages (0
    /// with one form): their disagreement where the back-test cannot tell them apart.
    pub form_spread: f64,
    /// The split-identity correction's error in points (its sampling error and its
    /// extrapolation's form error; 0 without the correction).
    pub split_sd: f64,
    /// The model error as a standard deviation, added to the published interval and
    /// standard error: `ρ × |observed_only − corrected|` (the extrapolation error to
    /// expect), `form_spread / z` and the split correction's extrapolation, in
    /// quadrature.
    pub extrapolation_sd: f64,
}

/// A measure of the deprivation gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InequalityKind {
    /// Decile 1 over decile 10.
    RatioD1D10,
    /// Decile 1 minus decile 10.
    DiffD1D10,
    /// Slope index of inequality.
    Sii,
    /// Relative index of inequality.
    Rii,
    /// Concentration index.
    ConcentrationIndex,
}

impl InequalityKind {
    /// Name in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            InequalityKind::RatioD1D10 => "ratio_d1_d10",
            InequalityKind::DiffD1D10 => "diff_d1_d10",
            InequalityKind::Sii => "sii",
            InequalityKind::Rii => "rii",
            InequalityKind::ConcentrationIndex => "concentration_index",
        }
    }
}

/// A deprivation gradient of one curve at one age (`inequality.csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct InequalityMeasure {
    /// Outcome.
    pub outcome: Outcome,
    /// Estimator.
    pub estimator: CurveEstimator,
    /// Age: the measure of incidence before the (age+1)th birthday.
    pub age: Age,
    /// Which measure.
    pub measure: InequalityKind,
    /// The measure.
    pub value: f64,
    /// Lower confidence limit.
    pub lower: f64,
    /// Upper confidence limit.
    pub upper: f64,
}

/// Children with a first event in one census year, and how many had another within so
/// many years (`recurrence.csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct Recurrence {
    /// Outcome.
    pub outcome: Outcome,
    /// Census year of the children's first event in the window.
    pub first_year: CensusYear,
    /// Years of follow-up, 1..6.
    pub years_after: u8,
    /// Children with a first event that year and the whole follow-up in the data.
    pub children: f64,
    /// Of those, children with another such event within `years_after` years.
    pub recurred: f64,
    /// `recurred / children`, from unrounded counts.
    pub share: Option<f64>,
}

/// Event years a stratification could not place because the value was unknown
/// (`strata.csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct Unplaced {
    /// Stratification.
    pub by: Stratification,
    /// Outcome.
    pub outcome: Outcome,
    /// Event years with an unknown stratum (left out of that stratification's estimates).
    pub event_years: f64,
}
