//! How one stratum's estimates become the published curves: each estimator's output as
//! a [`Curve`], a life table's with the population its risk set starts from.

use crate::correction_tables::Labels;
use crate::curves::{Curve, CurveEstimator, Kind, Point};
use crate::frame::Frame;

/// The population a life table's risk set starts from at each age: `Σ P(b,a)` over the
/// observed cells it pools (those of the period for a trend's). `None` for a splice,
/// whose denominator is the population itself.
pub(super) fn entered_by_age(
    kind: Kind,
    population: &ndarray::Array2<f64>,
    frame: &Frame,
) -> Option<Vec<f64>> {
    let period = match kind {
        Kind::Splice => return None,
        Kind::LifeTable => None,
        Kind::Period(i) => Some(frame.periods[i]),
    };
    let (cohorts, ages) = population.dim();
    Some(
        (0..ages)
            .map(|a| {
                (0..cohorts)
                    .filter(|&b| {
                        frame.observed[[b, a]] && period.is_none_or(|p| frame.in_period(p, b, a))
                    })
                    .map(|b| population[[b, a]])
                    .sum()
            })
            .collect(),
    )
}

/// One curve of one stratum, from an estimator's output; `entered` the population its
/// risk set starts from by age (a life table's).
pub(super) fn curve(
    labels: &Labels<'_>,
    kind: Kind,
    corrected: bool,
    estimates: &[cumin_stats::AgeEstimate],
    entered: Option<&[f64]>,
) -> Curve {
    Curve {
        outcome: labels.outcome,
        estimator: CurveEstimator::of(kind, corrected),
        by: labels.by,
        stratum: labels.stratum.clone(),
        kind,
        corrected,
        points: estimates
            .iter()
            .map(|e| {
                let mut p = Point::from_estimate(e, kind);
                if let Some(&n) = entered.and_then(|n| n.get(e.age)) {
                    p.entered = n;
                }
                p
            })
            .collect(),
    }
}
