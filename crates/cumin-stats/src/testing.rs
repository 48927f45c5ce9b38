//! Generators shared by the property tests.

use ndarray::Array2;
use proptest::prelude::*;

/// Cohort × age tables of first events, population and observation, consistent the way
/// real counts are: each cohort is a closed population whose first events at each age
/// are a share (at most 20%) of the children still without one, so a cohort's events
/// never exceed its population. Populations are at least 10⁴ so that rounding the
/// events down cannot make spliced shares of different cohorts add to more than one.
#[derive(Clone, Debug)]
pub(crate) struct CohortTables {
    pub events: Array2<f64>,
    pub population: Array2<f64>,
    pub observed: Array2<bool>,
}

pub(crate) fn cohort_tables() -> impl Strategy<Value = CohortTables> {
    (1usize..5, 1usize..19).prop_flat_map(|(n_cohorts, n_ages)| {
        let cells = n_cohorts * n_ages;
        (
            prop::collection::vec(1e4f64..1e6, n_cohorts),
            prop::collection::vec(0.0f64..0.2, n_ages),
            prop::collection::vec(0.8f64..1.25, cells),
            prop::collection::vec(prop::bool::weighted(0.85), cells),
        )
            .prop_map(move |(sizes, hazards, wobble, seen)| {
                let mut events = Array2::zeros((n_cohorts, n_ages));
                let mut population = Array2::zeros((n_cohorts, n_ages));
                for (b, size) in sizes.iter().map(|s| s.round()).enumerate() {
                    let mut remaining = size;
                    for a in 0..n_ages {
                        let h = hazards[a] * wobble[b * n_ages + a];
                        let e = (remaining * h).floor();
                        events[[b, a]] = e;
                        population[[b, a]] = size;
                        remaining -= e;
                    }
                }
                let observed =
                    Array2::from_shape_vec((n_cohorts, n_ages), seen).expect("one flag per cell");
                CohortTables {
                    events,
                    population,
                    observed,
                }
            })
    })
}
