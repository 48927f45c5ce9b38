//! Tables computed from released tables: the deprivation gradients (`inequality.csv`)
//! from the released decile curves. A number computed from released numbers only cannot
//! tell more than they do.

use crate::sdc::{CellStats, Released};
use crate::spec;
use crate::tables::CiRow;
use cumin_census::{Age, Outcome};
use cumin_estimate::inequality::{DECILES, measures};
use cumin_estimate::{
    CurveEstimator, DecileEstimates, DecilePopulations, InequalityMeasure, InequalityOptions,
    Stratification, StratumVar,
};
use cumin_stats::Interval;
use cumin_stats::inequality::GroupEstimate;
use std::collections::BTreeMap;

/// The measures a set of deciles gives (ratio, difference, SII, RII, concentration
/// index), each with two limits: the derived cells withheld where a set is not computed.
const CELLS_PER_SET: u64 = 5 * 3;

/// A curve's released rows by (age, decile).
type ByAgeAndDecile<'a> = BTreeMap<(u8, usize), &'a CiRow>;

/// `inequality.csv` from the released `cumulative_incidence` rows: at each age where all
/// ten decile curves show an estimate, the measures of their released values, standard
/// errors and limits, weighted by the deciles' populations rounded to the profile's base;
/// no measure at an age where a decile is withheld.
pub fn release_inequality(
    ci: &Released<Vec<CiRow>>,
    populations: Option<&DecilePopulations>,
    options: InequalityOptions,
) -> Released<Vec<InequalityMeasure>> {
    let profile = ci.profile();
    let mut stats = CellStats::default();
    let Some(populations) = populations else {
        return Released::new(Vec::new(), profile, &spec::INEQUALITY, stats);
    };
    let by = Stratification::from(StratumVar::IdaciDecile);
    // Outcomes in the order the curves come; then estimators as they sort.
    let mut order: Vec<Outcome> = Vec::new();
    let mut deciles: BTreeMap<(usize, CurveEstimator), ByAgeAndDecile<'_>> = BTreeMap::new();
    for r in ci.get() {
        if !order.contains(&r.outcome) {
            order.push(r.outcome);
        }
        let Some(d) = (r.by == by)
            .then(|| r.stratum.as_str().parse::<usize>().ok())
            .flatten()
            .filter(|d| (1..=DECILES).contains(d))
        else {
            continue;
        };
        let o = order.iter().position(|x| *x == r.outcome).unwrap_or(0);
        deciles
            .entry((o, r.estimator))
            .or_default()
            .insert((r.age.0 as u8, d), r);
    }
    let population = |age: usize, d: usize| {
        let p = populations.by_age.get(age).map_or(0.0, |row| row[d - 1]);
        profile.round_count(p)
    };
    let mut sets = Vec::new();
    for ((o, estimator), rows) in &deciles {
        let mut ages: Vec<u8> = rows.keys().map(|(a, _)| *a).collect();
        ages.dedup();
        for age in ages {
            let ten: Option<Vec<GroupEstimate>> = (1..=DECILES)
                .map(|d| {
                    let r = rows.get(&(age, d))?;
                    Some(GroupEstimate {
                        value: r.cum_inc?,
                        se: r.se?,
                        ci: Interval {
                            lower: r.lower?,
                            upper: r.upper?,
                        },
                        population: population(usize::from(age), d),
                    })
                })
                .collect();
            match ten {
                Some(deciles) if deciles.iter().all(|g| g.population > 0.0) => {
                    sets.push(DecileEstimates {
                        outcome: order[*o],
                        estimator: *estimator,
                        age: Age(age as i8),
                        deciles,
                    });
                }
                _ => stats.derived_withheld += CELLS_PER_SET,
            }
        }
    }
    let out = measures(&sets, options);
    for _ in 0..out.len() * 3 {
        stats.derived(true);
    }
    Released::new(out, profile, &spec::INEQUALITY, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::{CurveLabel, release_curve};
    use crate::sdc::SdcProfile;
    use cumin_estimate::{Curve, Kind, Point, Stratum};
    use cumin_link::IdMode;

    fn decile_curve(d: usize, events: &[f64]) -> Curve {
        let mut cum = 0.0;
        Curve {
            outcome: Outcome::Cin,
            estimator: CurveEstimator::CohortSpliceUnadjusted,
            by: Stratification::from(StratumVar::IdaciDecile),
            stratum: Stratum::new(d.to_string()),
            kind: Kind::Splice,
            corrected: false,
            points: events
                .iter()
                .enumerate()
                .map(|(a, e)| {
                    cum += e / 1000.0;
                    Point {
                        age: a,
                        events: *e,
                        at_risk: 1000.0,
                        entered: 1000.0,
                        cum_inc: cum,
                        se: 0.001,
                        ci: Interval {
                            lower: cum - 0.002,
                            upper: cum + 0.002,
                        },
                    }
                })
                .collect(),
        }
    }

    fn released(profile: SdcProfile, curves: &[Curve]) -> Released<Vec<CiRow>> {
        let mut stats = CellStats::default();
        let rows = curves
            .iter()
            .flat_map(|c| {
                let label = CurveLabel {
                    curve: c,
                    id_mode: IdMode::Combined,
                };
                release_curve(profile, 0.95, &label, &mut stats)
            })
            .collect();
        Released::new(rows, profile, &spec::CUMULATIVE_INCIDENCE, stats)
    }

    #[test]
    fn measures_only_where_every_decile_is_shown_and_from_its_released_value() {
        // Decile 10's first step closes at age 1; the others at age 0.
        let curves: Vec<Curve> = (1..=10)
            .map(|d| {
                let first = if d == 10 { 4.0 } else { 30.0 - d as f64 };
                decile_curve(d, &[first, 12.0, 20.0])
            })
            .collect();
        let populations = DecilePopulations {
            by_age: vec![[1003.0; DECILES]; 3],
        };
        let options = InequalityOptions {
            level: 0.95,
            sii_repetitions: 100,
            seed: 1,
        };
        let ci = released(SdcProfile::OnsSrs, &curves);
        let out = release_inequality(&ci, Some(&populations), options);
        let ages: Vec<i8> = out.get().iter().map(|m| m.age.0).collect();
        assert!(!ages.contains(&0), "decile 10 is withheld at 0: {ages:?}");
        let diff = out
            .get()
            .iter()
            .find(|m| m.age.0 == 1 && m.measure.as_str() == "diff_d1_d10")
            .unwrap();
        let f = |d: usize| {
            ci.get()
                .iter()
                .find(|r| r.stratum.as_str() == d.to_string() && r.age.0 == 1)
                .and_then(|r| r.cum_inc)
                .unwrap()
        };
        assert_eq!(diff.value, f(1) - f(10));
        assert!(out.stats().derived_withheld > 0);
    }
}
