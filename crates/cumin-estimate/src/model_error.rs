//! The correction model's error (docs/methods.md §5.3): the back-tested relative error
//! `ρ` of the modelled part of the left-censoring correction, the standard deviation it
//! implies for each corrected estimate, and that error added to its interval.

use crate::curves::{Corrected, Curve, CurveKey, Kind, corrected_curves, curves_with};
use crate::frame::Frame;
use crate::spec::Estimator;
use crate::spec::OUT_AGES;
use cumin_cohort::YearTables;
use cumin_stats::{AgeEstimate, BackwardModel, Form};
use ndarray::Array2;
use std::collections::BTreeMap;

/// The back-tested relative errors of the correction's model for one stratification.
#[derive(Clone, Copy, Debug)]
pub struct Rho {
    /// Applied to the modelled part of every estimate: the whole population's.
    pub applied: f64,
    /// This stratification's own, pooled over its strata (reported only).
    pub own: f64,
}

/// How many of the longest observed distances the back-test of the correction's model
/// holds out (`cumin_stats::backtest`).
pub const BACKTEST_HELD_OUT: usize = 3;

/// The back-tested relative error of the correction's model (its hazards averaged over
/// `forms`: the back-test of their mean prediction, [`cumin_stats::Backtest::mean`]),
/// pooled over the strata of a stratification (each stratum fits its own models; one
/// stratum's back-test alone is mostly noise in small strata); 1 (the whole modelled part
/// of the correction is uncertain) where too few distances are observed to test it.
pub fn extrapolation_error<'a>(
    corrections: impl Iterator<Item = &'a cumin_stats::Correction>,
    forms: &[Form],
) -> f64 {
    let tests: Vec<cumin_stats::Backtest> = corrections
        .filter_map(|c| {
            let each: Option<Vec<cumin_stats::Backtest>> = forms
                .iter()
                .map(|&f| cumin_stats::backtest(&c.cells, BACKTEST_HELD_OUT, f))
                .collect();
            cumin_stats::Backtest::mean(&each?)
        })
        .collect();
    cumin_stats::pooled_rho(&tests).unwrap_or(1.0)
}

/// Per corrected curve (`n_curves`, in the order [`curves_with`] gives them) and age, half the range
/// of the estimates of `forms` taken one at a time: the disagreement of the forms the
/// back-test cannot tell apart, added to the model error (zero with one form).
pub fn form_spread<'a>(
    tables: &YearTables,
    population: &Array2<f64>,
    frame: &Frame,
    estimators: &[Estimator],
    forms: &[Form],
    mut fallback: impl FnMut(Form) -> Option<&'a BackwardModel>,
    n_curves: usize,
) -> Vec<[f64; OUT_AGES]> {
    let each: Vec<Vec<(Kind, Vec<AgeEstimate>)>> = if forms.len() < 2 {
        Vec::new()
    } else {
        forms
            .iter()
            .map(|&f| {
                corrected_curves(tables, population, frame, estimators, &[f], &mut fallback).curves
            })
            .collect()
    };
    (0..n_curves)
        .map(|i| {
            let mut half = [0.0; OUT_AGES];
            for (age, h) in half.iter_mut().enumerate() {
                let values: Vec<f64> = each
                    .iter()
                    .filter_map(|c| c[i].1.iter().find(|e| e.age == age).map(|e| e.cum_inc))
                    .filter(|v| v.is_finite())
                    .collect();
                if values.len() >= 2 {
                    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    *h = (hi - lo) / 2.0;
                }
            }
            half
        })
        .collect()
}

/// Per age, the standard deviation of a corrected curve's extrapolation error:
/// `ρ × |F_observed_only − F|`, the part of the estimate that rests on the model scaled
/// by how wrong the model was where it could be checked.
pub fn extrapolation_sd(
    full: &[AgeEstimate],
    observed_only: &[AgeEstimate],
    rho: f64,
) -> [f64; OUT_AGES] {
    let mut sd = [0.0; OUT_AGES];
    for p in full {
        if let Some(q) = observed_only.iter().find(|q| q.age == p.age) {
            let d = rho * (q.cum_inc - p.cum_inc).abs();
            if d.is_finite() {
                sd[p.age] = d;
            }
        }
    }
    sd
}

/// Every corrected curve recomputed with only observed backward hazards.
pub fn observed_only_curves(
    tables: &YearTables,
    population: &Array2<f64>,
    frame: &Frame,
    estimators: &[Estimator],
    corrected: &Corrected,
) -> Vec<(Kind, Vec<AgeEstimate>)> {
    let observed_only = corrected
        .correction
        .observed_only()
        .factors(&frame.entry(), OUT_AGES)
        .factor;
    curves_with(&observed_only, tables, population, frame, estimators)
}

/// Adds the correction model's error (`extrapolation_sd`, independent of the sampling
/// error) to every corrected curve's standard error and interval.
pub fn add_model_error(
    curves: &mut [(CurveKey, Curve)],
    model_sd: &BTreeMap<CurveKey, [f64; OUT_AGES]>,
    level: f64,
) {
    for (key, curve) in curves.iter_mut().filter(|(_, c)| c.corrected) {
        let Some(sd) = model_sd.get(key) else {
            continue;
        };
        for p in &mut curve.points {
            let m = sd[p.age];
            if m > 0.0 {
                p.ci = cumin_stats::widen(p.ci, p.cum_inc, m, level);
                p.se = p.se.hypot(m);
            }
        }
    }
}
