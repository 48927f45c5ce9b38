//! Individual follow-up data reduced to counts at each distinct time: the risk sets
//! Kaplan–Meier and Aalen–Johansen work on.

use crate::error::StatsError;
use ndarray::{Array1, Array2, Axis};

/// How one child's follow-up ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Still without an event when observation stopped.
    Censored,
    /// An event of cause `cause` (0-based; a single-event analysis uses cause 0).
    Event {
        /// Which of the competing events.
        cause: usize,
    },
}

/// One child's follow-up: the time it ends and how.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observation {
    /// Time (or age) at the event or censoring.
    pub time: f64,
    /// Event or censoring.
    pub status: Status,
}

/// Counts at each distinct follow-up time, in increasing time order.
#[derive(Clone, Debug, PartialEq)]
pub struct RiskTable {
    /// The distinct times at which anything happens (events or censoring), increasing.
    pub time: Array1<f64>,
    /// Children still followed just before each time: R's `n.risk`. Children censored
    /// at a time are at risk at it (events are taken to come first, as in R).
    pub at_risk: Array1<f64>,
    /// `events[[i, k]]`: events of cause `k` at `time[i]`.
    pub events: Array2<f64>,
    /// Children censored at each time: R's `n.censor`.
    pub censored: Array1<f64>,
}

impl RiskTable {
    /// Counts from individual observations (any order). The number of causes is one
    /// more than the largest cause seen (at least one).
    ///
    /// Times are tied only when exactly equal. R's `survfit` by default (`timefix =
    /// TRUE`) also merges times that differ by rounding error (relative ~1e-8); round
    /// computed times before calling this if that matters.
    pub fn from_observations(observations: &[Observation]) -> Result<Self, StatsError> {
        if let Some((index, o)) = observations
            .iter()
            .enumerate()
            .find(|(_, o)| !o.time.is_finite())
        {
            return Err(StatsError::NonFiniteTime {
                index,
                time: o.time,
            });
        }
        let n_causes = observations
            .iter()
            .filter_map(|o| match o.status {
                Status::Event { cause } => Some(cause + 1),
                Status::Censored => None,
            })
            .max()
            .unwrap_or(1);
        let mut sorted: Vec<&Observation> = observations.iter().collect();
        sorted.sort_by(|a, b| a.time.total_cmp(&b.time));
        let mut time = Vec::new();
        let mut at_risk = Vec::new();
        let mut censored = Vec::new();
        let mut events: Vec<f64> = Vec::new();
        let mut remaining = observations.len() as f64;
        for tied in sorted.chunk_by(|a, b| a.time.total_cmp(&b.time).is_eq()) {
            let mut row = vec![0.0; n_causes];
            let mut cens = 0.0;
            for o in tied {
                match o.status {
                    Status::Event { cause } => row[cause] += 1.0,
                    Status::Censored => cens += 1.0,
                }
            }
            time.push(tied[0].time);
            at_risk.push(remaining);
            censored.push(cens);
            events.extend(row);
            remaining -= tied.len() as f64;
        }
        let events = Array2::from_shape_vec((time.len(), n_causes), events)
            .expect("one row of n_causes counts per distinct time");
        Ok(Self {
            time: Array1::from(time),
            at_risk: Array1::from(at_risk),
            events,
            censored: Array1::from(censored),
        })
    }

    /// Events of any cause at each time.
    pub fn any_events(&self) -> Array1<f64> {
        self.events.sum_axis(Axis(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn obs(time: f64, status: u8) -> Observation {
        Observation {
            time,
            status: match status {
                0 => Status::Censored,
                k => Status::Event {
                    cause: usize::from(k) - 1,
                },
            },
        }
    }

    #[test]
    fn ties_and_censoring_at_an_event_time() {
        let t = RiskTable::from_observations(&[
            obs(3.0, 1),
            obs(1.0, 0),
            obs(2.0, 2),
            obs(2.0, 1),
            obs(2.0, 0),
            obs(1.0, 1),
        ])
        .unwrap();
        assert_eq!(t.time, array![1.0, 2.0, 3.0]);
        assert_eq!(t.at_risk, array![6.0, 4.0, 1.0]);
        assert_eq!(t.events, array![[1.0, 0.0], [1.0, 1.0], [1.0, 0.0]]);
        assert_eq!(t.censored, array![1.0, 1.0, 0.0]);
        assert_eq!(t.any_events(), array![1.0, 2.0, 1.0]);
    }

    #[test]
    fn empty_and_invalid_input() {
        let t = RiskTable::from_observations(&[]).unwrap();
        assert_eq!(t.time.len(), 0);
        assert_eq!(t.events.dim(), (0, 1));
        let err = RiskTable::from_observations(&[obs(1.0, 1), obs(f64::NAN, 0)]).unwrap_err();
        assert!(
            matches!(err, StatsError::NonFiniteTime { index: 1, .. }),
            "{err}"
        );
    }
}
