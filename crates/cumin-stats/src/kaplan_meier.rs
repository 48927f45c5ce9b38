//! The Kaplan–Meier estimator over risk sets.

use crate::interval::{Interval, SurvivalScale, survival_interval, z_for};
use crate::product_limit::ProductLimit;
use ndarray::ArrayView1;

/// The Kaplan–Meier estimate at one time: a row of R `survival::survfit`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SurvivalEstimate {
    /// Children at risk just before this time.
    pub at_risk: f64,
    /// Events at this time.
    pub events: f64,
    /// Survival probability `S` just after this time.
    pub survival: f64,
    /// Greenwood's standard error of `log S` (R's `std.err`); infinite once `S = 0`.
    pub std_err: f64,
}

impl SurvivalEstimate {
    /// Interval for `S` at coverage `level` on `scale` (R `conf.type`); `None` where R
    /// reports `NA` (see [`survival_interval`]).
    pub fn interval(&self, level: f64, scale: SurvivalScale) -> Option<Interval> {
        survival_interval(self.survival, self.std_err, z_for(level), scale)
    }
}

/// Kaplan–Meier from counts: `events[i]` of the `at_risk[i]` at the `i`-th distinct time,
/// in time order (a [`RiskTable`](crate::RiskTable)'s `at_risk` and `any_events()`).
///
/// Returns one estimate per time, stopping before the first time with nobody at risk
/// (there is no risk set to estimate from). Times with censoring only are kept, as R
/// keeps them, with `S` unchanged.
pub fn kaplan_meier(
    at_risk: ArrayView1<'_, f64>,
    events: ArrayView1<'_, f64>,
) -> Vec<SurvivalEstimate> {
    assert_eq!(at_risk.len(), events.len(), "one event count per risk set");
    let mut product = ProductLimit::new();
    at_risk
        .into_iter()
        .zip(events)
        .map_while(|(&n, &d)| {
            product.step(n, d)?;
            Some(SurvivalEstimate {
                at_risk: n,
                events: d,
                survival: product.survival(),
                std_err: product.std_err_log_survival(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk_set::{Observation, RiskTable, Status};
    use ndarray::array;
    use proptest::prelude::*;

    #[test]
    fn textbook_example() {
        // 10 at risk; 1 event, a censoring, 2 events, then the last 3 all fail.
        let n = array![10.0, 9.0, 7.0, 3.0];
        let d = array![1.0, 0.0, 2.0, 3.0];
        let km = kaplan_meier(n.view(), d.view());
        assert_eq!(km.len(), 4);
        assert!((km[2].survival - 0.9 * 5.0 / 7.0).abs() < 1e-15);
        assert_eq!(km[1].survival, km[0].survival);
        let g: f64 = 1.0 / 90.0 + 2.0 / 35.0;
        assert!((km[2].std_err - g.sqrt()).abs() < 1e-15);
        assert_eq!(km[3].survival, 0.0);
        assert_eq!(km[3].std_err, f64::INFINITY);
        assert_eq!(km[3].interval(0.95, SurvivalScale::LogLog), None);
        assert!(
            km[2]
                .interval(0.95, SurvivalScale::Log)
                .unwrap()
                .contains(km[2].survival)
        );
    }

    #[test]
    fn stops_where_nobody_is_at_risk() {
        let n = array![2.0, 0.0, 5.0];
        let d = array![1.0, 0.0, 1.0];
        assert_eq!(kaplan_meier(n.view(), d.view()).len(), 1);
        assert!(kaplan_meier(array![].view(), array![].view()).is_empty());
    }

    proptest! {
        #[test]
        fn survival_never_rises_and_is_bracketed(
            children in prop::collection::vec((0u8..40, prop::bool::weighted(0.6)), 1..300),
            level in 0.5f64..0.999,
        ) {
            let observations: Vec<Observation> = children
                .iter()
                .map(|&(t, event)| Observation {
                    time: f64::from(t) / 2.0,
                    status: if event { Status::Event { cause: 0 } } else { Status::Censored },
                })
                .collect();
            let table = RiskTable::from_observations(&observations).unwrap();
            // Risk sets shrink by exactly what leaves them.
            prop_assert_eq!(table.at_risk[0], children.len() as f64);
            for i in 1..table.time.len() {
                let left = table.events.row(i - 1).sum() + table.censored[i - 1];
                prop_assert_eq!(table.at_risk[i], table.at_risk[i - 1] - left);
            }
            let km = kaplan_meier(table.at_risk.view(), table.any_events().view());
            prop_assert_eq!(km.len(), table.time.len());
            let mut previous = 1.0;
            for e in &km {
                prop_assert!((0.0..=1.0).contains(&e.survival) && e.survival <= previous);
                previous = e.survival;
                for scale in [SurvivalScale::Log, SurvivalScale::LogLog] {
                    if let Some(ci) = e.interval(level, scale) {
                        prop_assert!(0.0 <= ci.lower && ci.upper <= 1.0, "{ci:?}");
                        prop_assert!(ci.lower <= e.survival + 1e-12, "{ci:?} {e:?}");
                        prop_assert!(e.survival <= ci.upper + 1e-12, "{ci:?} {e:?}");
                    }
                }
            }
        }
    }
}
