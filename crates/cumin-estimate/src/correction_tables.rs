//! What the left-censoring correction did in one stratum, as typed results: the factor of
//! every cohort × age it corrects, the backward hazards of its model, and how each
//! corrected estimate moves without the correction or without its modelled part.

use crate::curves::{Corrected, CurveEstimator, Kind, curves_with, first_in_observed_years};
use crate::frame::Frame;
use crate::model_error::Rho;
use crate::results::{BackwardHazard, CorrectionBound, CorrectionCell};
use crate::spec::Estimator;
use crate::spec::OUT_AGES;
use crate::strata::{Stratification, Stratum};
use cumin_census::{Age, Outcome};
use cumin_cohort::YearTables;
use cumin_stats::{AgeEstimate, Source};
use ndarray::Array2;

/// The outcome and stratum every result of one stratum carries.
#[derive(Clone, Copy, Debug)]
pub struct Labels<'a> {
    /// Outcome.
    pub outcome: Outcome,
    /// Stratification.
    pub by: Stratification,
    /// Stratum.
    pub stratum: &'a Stratum,
}

/// One cell per cohort born before the window × age it is observed at.
pub fn correction_cells(
    labels: &Labels<'_>,
    tables: &YearTables,
    factors: &cumin_stats::Factors,
    frame: &Frame,
) -> Vec<CorrectionCell> {
    let observed_first = first_in_observed_years(tables);
    let mut cells = Vec::new();
    for (b, entry) in frame.cohorts.entry.iter().enumerate() {
        let Some(entry) = *entry else { continue };
        if entry == 0 {
            continue;
        }
        for a in usize::from(entry)..OUT_AGES {
            if !frame.observed[[b, a]] {
                continue;
            }
            cells.push(CorrectionCell {
                outcome: labels.outcome,
                by: labels.by,
                stratum: labels.stratum.clone(),
                cohort: frame.cohort(b),
                age: Age::of_index(a),
                entry_age: Age::of_index(usize::from(entry)),
                first_observed: tables.first_observed[[b, a]],
                first_in_observed_years: observed_first[[b, a]],
                factor: factors.factor[[b, a]],
                extrapolated_factor: factors.extrapolated[[b, a]],
                corrected: observed_first[[b, a]] * factors.factor[[b, a]],
            });
        }
    }
    cells
}

/// Every backward hazard `h(a, x)`, `x < a`, of the correction's model.
pub fn backward_hazards(labels: &Labels<'_>, c: &cumin_stats::Correction) -> Vec<BackwardHazard> {
    let n = c.hazard.nrows();
    let mut out = Vec::new();
    for a in 1..n {
        for x in 0..a {
            out.push(BackwardHazard {
                outcome: labels.outcome,
                by: labels.by,
                stratum: labels.stratum.clone(),
                age: Age::of_index(a),
                earlier_age: Age::of_index(x),
                children: c.cells.children[[a, x]],
                with_event: c.cells.with_event[[a, x]],
                hazard: c.hazard[[a, x]],
                source: c.source[[a, x]],
            });
        }
    }
    debug_assert!(
        out.iter()
            .all(|h| h.source != Source::Observed || h.children > 0.0)
    );
    out
}

/// One stratum's tables, population and fitted correction, for its bounds.
pub struct Fitted<'a> {
    /// Its year tables.
    pub tables: &'a YearTables,
    /// Its population.
    pub population: &'a Array2<f64>,
    /// Its correction and corrected curves.
    pub corrected: &'a Corrected,
    /// Its corrected curves with only observed backward hazards.
    pub observed_only: &'a [(Kind, Vec<AgeEstimate>)],
    /// The model error's standard deviation of each corrected curve, by age.
    pub model_sd: &'a [[f64; OUT_AGES]],
    /// Half the range of the estimates of the correction's forms, by curve and age.
    pub form_spread: &'a [[f64; OUT_AGES]],
    /// The split correction's error, by curve and age (empty: no split correction).
    pub split_sd: &'a [[f64; OUT_AGES]],
}

/// Each corrected curve recomputed with `c = 1` and with only observed backward hazards,
/// and the extrapolation error that follows.
pub fn correction_bounds(
    labels: &Labels<'_>,
    fitted: &Fitted<'_>,
    frame: &Frame,
    estimators: &[Estimator],
    rho: Rho,
) -> Vec<CorrectionBound> {
    let corrected = fitted.corrected;
    let ones = Array2::from_elem(corrected.factors.factor.dim(), 1.0);
    let none = curves_with(&ones, fitted.tables, fitted.population, frame, estimators);
    let mut out = Vec::new();
    for (i, ((((kind, full), (_, none)), (_, partial)), sd)) in corrected
        .curves
        .iter()
        .zip(&none)
        .zip(fitted.observed_only)
        .zip(fitted.model_sd)
        .enumerate()
    {
        if matches!(kind, Kind::Period(_)) {
            continue;
        }
        for p in full {
            let at = |curve: &[AgeEstimate]| {
                curve
                    .iter()
                    .find(|e| e.age == p.age)
                    .map_or(f64::NAN, |e| e.cum_inc)
            };
            out.push(CorrectionBound {
                outcome: labels.outcome,
                estimator: CurveEstimator::of(*kind, true),
                by: labels.by,
                stratum: labels.stratum.clone(),
                age: Age::of_index(p.age),
                no_correction: at(none),
                observed_only: at(partial),
                corrected: p.cum_inc,
                extrapolation_error: rho.applied,
                stratification_extrapolation_error: rho.own,
                form_spread: fitted.form_spread.get(i).map_or(0.0, |s| s[p.age]),
                split_sd: fitted.split_sd.get(i).map_or(0.0, |s| s[p.age]),
                extrapolation_sd: sd[p.age],
            });
        }
    }
    out
}
