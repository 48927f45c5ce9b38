//! The child-cluster bootstrap for estimators that use an estimated correction.
//!
//! A replicate resamples *children* (every event of a child goes with it), within birth
//! cohort, as drawing `P_b` children with replacement from a cohort of `P_b` would: the
//! `n_b` children with an event in the data are chosen `K_b ~ Binomial(P_b, n_b / P_b)`
//! times in all, uniformly among them; the rest of the cohort never has an event and needs
//! no drawing. The tables are re-tabulated with those weights, the correction refitted and
//! every corrected curve recomputed; the interval is the percentile interval of the
//! replicates, and their standard deviation the standard error (used for inequality).
//!
//! Replicate `r` draws from the ChaCha8 stream `r` of the study seed, cohorts in order, so
//! results do not depend on the number of threads.

use crate::analysis::CurveKey;
use crate::config::StudyConfig;
use crate::estimators::{Curve, Frame, OUT_AGES, OutcomeYears, Strata, corrected_curves};
use crate::split::SplitCorrection;
use cumin_link::ChildId;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Children that can be drawn, by cohort row, and each cohort's population.
pub struct Resampler {
    /// Children (by index) with an event year in a tabulated cohort, per cohort row.
    units: Vec<Vec<u32>>,
    /// Population of each cohort (its mean over ages), at least its number of units.
    population: Vec<u64>,
    /// One more than the largest child index.
    n_children: usize,
    /// Whether each child (by index) is drawn at all; the others keep weight 1 where a
    /// weight is needed beyond the tables (the keys of the split correction).
    drawn: Vec<bool>,
}

impl Resampler {
    /// Units from every outcome's event years.
    pub fn new(years: &[OutcomeYears], frame: &Frame, cohort_population: &[f64]) -> Resampler {
        let n_cohorts = frame.cohorts.entry.len();
        let mut units: Vec<Vec<u32>> = vec![Vec::new(); n_cohorts];
        let mut n_children = 0;
        for y in years.iter().flat_map(|o| &o.years) {
            if let Some(row) = frame.cohorts.row(y.cohort) {
                units[row].push(y.child.0);
                n_children = n_children.max(y.child.index() + 1);
            }
        }
        for u in &mut units {
            u.sort_unstable();
            u.dedup();
        }
        let mut drawn = vec![false; n_children];
        for c in units.iter().flatten() {
            drawn[*c as usize] = true;
        }
        let population = units
            .iter()
            .zip(cohort_population)
            .map(|(u, p)| (p.round().max(0.0) as u64).max(u.len() as u64))
            .collect();
        Resampler {
            units,
            population,
            n_children,
            drawn,
        }
    }

    /// How many times each child is drawn in replicate `replicate`.
    pub fn weights(&self, seed: u64, replicate: u64) -> Vec<u16> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(replicate);
        let mut w = vec![0u16; self.n_children];
        for (units, &population) in self.units.iter().zip(&self.population) {
            if units.is_empty() {
                continue;
            }
            let p = units.len() as f64 / population as f64;
            let draws = Binomial::new(population, p.min(1.0))
                .expect("a probability in [0, 1]")
                .sample(&mut rng);
            for _ in 0..draws {
                let child = units[rng.random_range(0..units.len())];
                w[child as usize] = w[child as usize].saturating_add(1);
            }
        }
        w
    }

    /// A child's weight in the key table of the split correction: its draws if it can be
    /// drawn, else 1.
    fn key_weight(&self, weights: &[u16], child: ChildId) -> f64 {
        match self.drawn.get(child.index()) {
            Some(true) => f64::from(weights[child.index()]),
            _ => 1.0,
        }
    }
}

/// Cumulative incidence by age of every corrected curve, from one set of weights; the
/// split correction, if any, is re-estimated with the same weights.
fn replicate(
    resampler: &Resampler,
    weights: &[u16],
    years: &[OutcomeYears],
    strata: &[Strata],
    frame: &Frame,
    cfg: &StudyConfig,
    split: Option<&SplitCorrection>,
) -> BTreeMap<CurveKey, [f64; OUT_AGES]> {
    let weight = |c: ChildId| weights.get(c.index()).map_or(0.0, |w| f64::from(*w));
    let ghost_weights =
        split.map(|sc| sc.weights(weight, |c| resampler.key_weight(weights, c)));
    let mut out = BTreeMap::new();
    for (oi, oy) in years.iter().enumerate() {
        for (k, s) in strata.iter().enumerate() {
            let mut tables = cumin_cohort::tabulate_years(
                &oy.years,
                &oy.strata[k],
                s.levels.len(),
                &frame.cohorts,
                weight,
            );
            if let (Some(sc), Some(gw)) = (split, &ghost_weights) {
                crate::split::subtract_into(&mut tables, &sc.tables(oi, k, s, frame, gw));
            }
            for (l, ((_, population), t)) in s.levels.iter().zip(&tables).enumerate() {
                for (kind, curve) in corrected_curves(t, population, frame, &cfg.estimators).curves
                {
                    let mut f = [f64::NAN; OUT_AGES];
                    for e in curve {
                        f[e.age] = e.cum_inc;
                    }
                    let key = CurveKey {
                        outcome: oi,
                        by: k,
                        stratum: l,
                        kind,
                    };
                    out.insert(key, f);
                }
            }
        }
    }
    out
}

/// Replaces the intervals and standard errors of every corrected curve by bootstrap ones.
pub fn replace_intervals(
    curves: &mut [(CurveKey, Curve)],
    years: &[OutcomeYears],
    strata: &[Strata],
    frame: &Frame,
    cfg: &StudyConfig,
    split: Option<&SplitCorrection>,
) {
    let all = strata
        .iter()
        .find(|s| s.by == crate::strata::Stratification::ALL)
        .and_then(|s| s.levels.first());
    let cohort_population: Vec<f64> = match all {
        Some((_, p)) => p
            .rows()
            .into_iter()
            .map(|r| {
                let positive: Vec<f64> = r.iter().copied().filter(|x| *x > 0.0).collect();
                positive.iter().sum::<f64>() / positive.len().max(1) as f64
            })
            .collect(),
        None => vec![0.0; frame.cohorts.entry.len()],
    };
    let resampler = Resampler::new(years, frame, &cohort_population);
    let replicates: Vec<BTreeMap<CurveKey, [f64; OUT_AGES]>> = (0..u64::from(cfg.bootstrap))
        .into_par_iter()
        .map(|r| {
            let w = resampler.weights(cfg.seed, r);
            replicate(&resampler, &w, years, strata, frame, cfg, split)
        })
        .collect();
    for (key, curve) in curves.iter_mut().filter(|(_, c)| c.corrected) {
        for p in &mut curve.points {
            let values: Vec<f64> = replicates
                .iter()
                .map(|r| r.get(key).map_or(f64::NAN, |f| f[p.age]))
                .collect();
            if let Some(ci) = cumin_stats::percentile_interval(&values, cfg.level) {
                p.ci = ci;
            }
            if let Some(se) = cumin_stats::standard_deviation(&values) {
                p.se = se;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_cohort::{BirthCohort, CohortFrame, Event};

    fn frame(n: usize) -> Frame {
        Frame {
            cohorts: CohortFrame {
                first: BirthCohort(2010),
                entry: vec![Some(0); n],
            },
            observed: ndarray::Array2::from_elem((n, OUT_AGES), true),
            design: vec![Some(0); OUT_AGES],
            periods: vec![],
            level: 0.95,
        }
    }

    fn years(children: &[(u32, i16)]) -> Vec<OutcomeYears> {
        let years = children
            .iter()
            .map(|&(c, cohort)| Event {
                child: ChildId(c),
                episode: 0,
                date: cumin_census::Date::ymd(2015, 1, 1),
                age: 3,
                cohort: BirthCohort(cohort),
                in_window: true,
            })
            .collect::<Vec<_>>();
        vec![OutcomeYears {
            outcome: cumin_census::Outcome::Referral,
            strata: vec![vec![0; years.len()]],
            years,
        }]
    }

    #[test]
    fn weights_are_reproducible_and_draw_within_cohorts() {
        let y = years(&[(0, 2010), (1, 2010), (2, 2011), (5, 2011)]);
        let r = Resampler::new(&y, &frame(2), &[10.0, 2.0]);
        assert_eq!(r.population, vec![10, 2]);
        let a = r.weights(7, 3);
        assert_eq!(a, r.weights(7, 3));
        assert_ne!(a, r.weights(7, 4));
        // Cohort 2011 has as many units as children: every one of its 2 draws lands on
        // one of its 2 children; nobody else is drawn.
        assert_eq!(a[2] + a[5], 2);
        assert_eq!(a[3] + a[4], 0);
    }

    #[test]
    fn draws_have_the_binomial_variance() {
        // 30 of 100 children have events: the number of their draws is Binomial(100, 0.3),
        // mean 30 and variance 21 (a Poisson bootstrap would give variance 30).
        let children: Vec<(u32, i16)> = (0..30).map(|c| (c, 2010)).collect();
        let r = Resampler::new(&years(&children), &frame(1), &[100.0]);
        let totals: Vec<f64> = (0..4000)
            .map(|i| r.weights(1, i).iter().map(|w| f64::from(*w)).sum())
            .collect();
        let mean = totals.iter().sum::<f64>() / totals.len() as f64;
        let var =
            totals.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (totals.len() - 1) as f64;
        assert!((mean - 30.0).abs() < 0.5, "{mean}");
        assert!((var - 21.0).abs() < 2.5, "{var}");
    }
}
