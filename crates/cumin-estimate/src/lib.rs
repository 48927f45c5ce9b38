//! Every estimate of a study, from children and their events.
//!
//! [`estimate`] takes an [`Identity`](cumin_cohort::Identity) (children and episodes, from
//! `cumin_cohort::identify`), the events found under it, the [`Denominators`] and an
//! [`EstimateSpec`], and returns typed results ([`Estimates`]): the curves of every
//! estimator, outcome and stratum ([`curves`]), the left-censoring correction's factors,
//! model and bounds, the split-identity correction ([`split`]), bootstrap intervals
//! ([`bootstrap`]), the model error ([`model_error`]), deprivation gradients
//! ([`inequality`]) and recurrence ([`recurrence`]). It reads no configuration and no
//! file and knows no output table: disclosure control and writing are `cumin-report`'s.
//!
//! The pieces, in the order a run uses them: [`strata`] places each event year in the
//! strata of every stratification; [`frame`] says which cohort × age cells are observed
//! and which cohort the splice takes at each age; [`curves`] tabulates and estimates;
//! [`analysis`] drives them for every outcome and stratum.

pub mod analysis;
pub mod bootstrap;
pub mod correction_tables;
pub mod curves;
pub mod denominators;
pub mod error;
pub mod frame;
pub mod inequality;
pub mod model_error;
pub mod nesting;
pub mod recurrence;
pub mod results;
pub mod spec;
pub mod split;
pub mod strata;

pub use analysis::{Estimates, FormChoice, Prepared, estimate, estimate_with_progress};
pub use curves::{Curve, CurveEstimator, Kind, Point};
pub use denominators::Denominators;
pub use error::EstimateError;
pub use inequality::{DecileEstimates, DecilePopulations, InequalityOptions};
pub use results::{
    BackwardHazard, CorrectionBound, CorrectionCell, InequalityKind, InequalityMeasure, Recurrence,
    Unplaced,
};
pub use spec::OUT_AGES;
pub use spec::{EstimateSpec, Estimator, Period, SpliceDesign, recommended};
pub use split::SplitSummary;
pub use split::mobility::Mobility;
pub use strata::{Stratification, Stratum, StratumVar};
