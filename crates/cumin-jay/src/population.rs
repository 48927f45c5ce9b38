//! The populations of the design's three cohorts, and the unadjusted splice of its
//! per-age counts over them.

use crate::counts::JayCounts;
use crate::mode::JayMode;
use cumin_census::{JAY_BANDS, Outcome};
use cumin_estimate::denominators::{cell_name, fewer_children_than_events};
use cumin_estimate::{
    Curve, CurveEstimator, Denominators, EstimateError, Kind, OUT_AGES, Point, Stratification,
    Stratum,
};
use cumin_stats::AgeEstimate;
use ndarray::Array2;
use std::path::Path;

/// Populations of the three cohorts by age (rows in [`JAY_BANDS`] order, ages 0..=17).
#[derive(Clone, Debug, PartialEq)]
pub struct Population {
    table: Array2<f64>,
}

/// A cohort × age the design needs that the denominators do not give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingPopulation(pub String);

impl Population {
    /// The design's cells of `d`; every one must have a population.
    pub fn of(d: &Denominators) -> Result<Population, MissingPopulation> {
        let all = d.population();
        let mut table = Array2::zeros((JAY_BANDS.len(), OUT_AGES));
        for (i, &(cohort, lo, hi)) in JAY_BANDS.iter().enumerate() {
            let row = cohort - d.first_cohort.0;
            for a in lo.max(0)..=hi {
                let p = if (0..d.n_cohorts() as i16).contains(&row) {
                    all[[row as usize, a as usize]]
                } else {
                    0.0
                };
                if p <= 0.0 {
                    return Err(MissingPopulation(format!(
                        "{}: the jay2025 design needs the population of birth_year {cohort} at age {a} \
                         (cohorts 2013 at ages 0-5, 2006 at 6-12, 2001 at 13-17), but it has none",
                        d.path.display()
                    )));
                }
                table[[i, a as usize]] = p;
            }
        }
        Ok(Population { table })
    }

    /// Checks that no cell of the design holds fewer children than children with a first
    /// event in it, under either mode and for any outcome (the pre-birth months with age
    /// 0): a population in the wrong units (thousands, a rate, a sample) would otherwise
    /// give rates above one. `path` is the denominators file.
    pub fn check_counts(&self, counts: &JayCounts, path: &Path) -> Result<(), EstimateError> {
        for (i, &(cohort, lo, hi)) in JAY_BANDS.iter().enumerate() {
            for mode in JayMode::ALL {
                for o in Outcome::JAY {
                    let mut events = [0u64; OUT_AGES];
                    for a in lo..=hi {
                        events[a.max(0) as usize] += counts.get(mode, o, cohort, a);
                    }
                    for a in lo.max(0) as usize..=hi as usize {
                        let p = self.table[[i, a]];
                        if events[a] as f64 > p {
                            return Err(fewer_children_than_events(
                                path,
                                cell_name(cohort, a, ""),
                                (p, events[a]),
                                &format!(
                                    "a first {} event ({} identifiers)",
                                    o.as_str(),
                                    mode.as_str()
                                ),
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The spliced, unadjusted curve of `counts` (pre-birth folded into age 0).
    pub fn splice(
        &self,
        counts: &JayCounts,
        mode: JayMode,
        outcome: Outcome,
        level: f64,
    ) -> Vec<AgeEstimate> {
        let mut events = Array2::zeros((JAY_BANDS.len(), OUT_AGES));
        let mut design = vec![None; OUT_AGES];
        for (i, &(cohort, lo, hi)) in JAY_BANDS.iter().enumerate() {
            for a in lo..=hi {
                events[[i, a.max(0) as usize]] += counts.get(mode, outcome, cohort, a) as f64;
                design[a.max(0) as usize] = Some(i);
            }
        }
        cumin_stats::cohort_splice(events.view(), self.table.view(), &design, None, level)
    }

    /// The spliced, unadjusted curve of `counts` as a curve of stratum `all`.
    pub fn curve(&self, counts: &JayCounts, mode: JayMode, outcome: Outcome, level: f64) -> Curve {
        Curve {
            outcome,
            estimator: CurveEstimator::CohortSpliceUnadjusted,
            by: Stratification::ALL,
            stratum: Stratum::all(),
            kind: Kind::Splice,
            corrected: false,
            points: self
                .splice(counts, mode, outcome, level)
                .iter()
                .map(|e| Point::from_estimate(e, Kind::Splice))
                .collect(),
        }
    }
}
