//! Curves for the report's unit tests.

use crate::curve::{CurveLabel, release_curves};
use crate::sdc::{Released, SdcProfile};
use crate::tables::CiRow;
use cumin_census::Outcome;
use cumin_estimate::{Curve, CurveEstimator, Kind, Point, Stratification, Stratum};

/// `curves` released under `profile` (95% limits) as `cumulative_incidence.csv`, under
/// the combined identifiers.
pub fn released(profile: SdcProfile, curves: &[Curve]) -> Released<Vec<CiRow>> {
    let labels: Vec<CurveLabel<'_>> = curves
        .iter()
        .map(|curve| CurveLabel {
            curve,
            id_mode: cumin_link::IdMode::Combined,
        })
        .collect();
    release_curves(profile, 0.95, &crate::spec::CUMULATIVE_INCIDENCE, &labels)
}

/// A life-table curve rising by `step` a year, 100 events of 1,000 at risk per age.
pub fn curve(
    outcome: Outcome,
    estimator: CurveEstimator,
    stratum_var: &str,
    stratum: &str,
    step: f64,
) -> Curve {
    Curve {
        outcome,
        estimator,
        by: Stratification::parse(stratum_var).unwrap(),
        stratum: Stratum::new(stratum),
        kind: Kind::LifeTable,
        corrected: estimator.corrected(),
        points: (0..18)
            .map(|a| {
                let cum = step * (a as f64 + 1.0);
                Point {
                    age: a,
                    events: 100.0,
                    at_risk: 1000.0,
                    entered: 1000.0,
                    cum_inc: cum,
                    se: 0.01,
                    ci: cumin_stats::Interval {
                        lower: cum - 0.01,
                        upper: cum + 0.01,
                    },
                }
            })
            .collect(),
    }
}
