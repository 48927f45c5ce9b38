//! Curves for the report's unit tests.

use cumin_census::Outcome;
use cumin_estimate::{Curve, CurveEstimator, Kind, Point, Stratification, Stratum};

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
