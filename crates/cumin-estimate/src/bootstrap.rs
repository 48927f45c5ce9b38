//! The child-cluster bootstrap for estimators that use an estimated correction.
//!
//! A replicate resamples *children* (every event of a child goes with it) within birth
//! cohort × stratum, separately for each stratification, as drawing `P_bs` children with
//! replacement from the `P_bs` children of cohort `b` in stratum `s` would: the `n_bs`
//! children of that cell with an event in the data are chosen
//! `K_bs ~ Binomial(P_bs, n_bs / P_bs)` times in all, uniformly among them; the rest never
//! has an event and needs no drawing. So every stratum's denominator stays what the
//! denominators file says (drawing across strata would let a replicate put more or fewer
//! of a stratum's children in it than it has, and mix the strata's sampling variances).
//! A child is placed, for drawing, in the stratum of its earliest event year (over all
//! outcomes); children whose stratum is unknown are resampled among themselves, within
//! cohort, `n` draws from `n`. The tables are re-tabulated with those weights, the
//! correction refitted and every corrected curve recomputed; the interval is the
//! percentile interval of the replicates, and their standard deviation the standard error
//! (used for inequality).
//!
//! Replicate `r` draws from the ChaCha8 stream `r` of the study seed, stratifications then
//! cohorts then strata in order, so results do not depend on the number of threads.

use crate::curves::{Curve, CurveKey, OutcomeYears, Strata, corrected_curves, pooled_models};
use crate::frame::Frame;
use crate::spec::EstimateSpec;
use crate::spec::OUT_AGES;
use crate::split::Ghosts;
use cumin_census::Progress;
use cumin_cohort::NO_STRATUM;
use cumin_link::ChildId;
use cumin_stats::Form;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};
use rayon::prelude::*;
use std::cell::OnceCell;
use std::collections::BTreeMap;

/// The children of one cohort × stratum that can be drawn, and how many it has in all.
#[derive(Clone, Debug, Default, PartialEq)]
struct Pool {
    /// Children (by index) placed in this cell, sorted.
    units: Vec<u32>,
    /// Children of the cell in the population, at least `units.len()`.
    population: u64,
}

/// Children that can be drawn, by stratification, cohort row and stratum.
pub struct Resampler {
    /// `pools[k][row]`: the pools of stratification `k` in cohort `row`, one per stratum
    /// and then one for children whose stratum is unknown.
    pools: Vec<Vec<Vec<Pool>>>,
    /// One more than the largest child index.
    n_children: usize,
}

/// Mean of the positive entries of a population table's row (a cohort's size; 0 if none).
fn cohort_size(table: &ndarray::Array2<f64>, row: usize) -> f64 {
    let positive: Vec<f64> = table
        .row(row)
        .iter()
        .copied()
        .filter(|x| *x > 0.0)
        .collect();
    positive.iter().sum::<f64>() / positive.len().max(1) as f64
}

impl Resampler {
    /// Units from every outcome's event years, placed in the strata of every
    /// stratification; populations from each stratum's denominators.
    pub fn new(years: &[OutcomeYears], strata: &[Strata], frame: &Frame) -> Resampler {
        let n_cohorts = frame.cohorts.entry.len();
        let n_children = years
            .iter()
            .flat_map(|o| &o.years)
            .filter(|y| frame.cohorts.row(y.cohort).is_some())
            .map(|y| y.child.index() + 1)
            .max()
            .unwrap_or(0);
        // Each child's cohort row, once.
        let mut row_of: Vec<Option<u32>> = vec![None; n_children];
        for y in years.iter().flat_map(|o| &o.years) {
            if let Some(row) = frame.cohorts.row(y.cohort) {
                row_of[y.child.index()] = Some(row as u32);
            }
        }
        let pools = strata
            .iter()
            .enumerate()
            .map(|(k, s)| {
                // The stratum of each child's earliest event year: by age, then outcome.
                let mut home: Vec<(i8, u16)> = vec![(i8::MAX, NO_STRATUM); n_children];
                for oy in years {
                    for (y, &st) in oy.years.iter().zip(&oy.strata[k]) {
                        let h = &mut home[y.child.index()];
                        if y.age < h.0 {
                            *h = (y.age, st);
                        }
                    }
                }
                let n_levels = s.levels.len();
                let mut cells: Vec<Vec<Pool>> =
                    vec![vec![Pool::default(); n_levels + 1]; n_cohorts];
                for (c, (row, (_, st))) in row_of.iter().zip(&home).enumerate() {
                    let Some(row) = row else { continue };
                    let slot = if *st == NO_STRATUM {
                        n_levels
                    } else {
                        usize::from(*st)
                    };
                    cells[*row as usize][slot].units.push(c as u32);
                }
                for (row, cohort) in cells.iter_mut().enumerate() {
                    for (slot, pool) in cohort.iter_mut().enumerate() {
                        let size = s.levels.get(slot).map_or(0.0, |(_, p)| cohort_size(p, row));
                        pool.population =
                            (size.round().max(0.0) as u64).max(pool.units.len() as u64);
                    }
                }
                cells
            })
            .collect();
        Resampler { pools, n_children }
    }

    /// How many times each child is drawn in replicate `replicate`, for each
    /// stratification.
    pub fn weights(&self, seed: u64, replicate: u64) -> Vec<Vec<u16>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(replicate);
        self.pools
            .iter()
            .map(|cohorts| {
                let mut w = vec![0u16; self.n_children];
                for pool in cohorts.iter().flatten() {
                    let units = &pool.units;
                    if units.is_empty() {
                        continue;
                    }
                    let p = units.len() as f64 / pool.population as f64;
                    let draws = Binomial::new(pool.population, p.min(1.0))
                        .expect("a probability in [0, 1]")
                        .sample(&mut rng);
                    for _ in 0..draws {
                        let child = units[rng.random_range(0..units.len())];
                        w[child as usize] = w[child as usize].saturating_add(1);
                    }
                }
                w
            })
            .collect()
    }
}

/// Cumulative incidence by age of every corrected curve, from one set of weights per
/// stratification; the split correction's ghosts, if any, applied as they are.
fn replicate(inputs: &Inputs<'_>, weights: &[Vec<u16>]) -> BTreeMap<CurveKey, [f64; OUT_AGES]> {
    let Inputs {
        years,
        strata,
        frame,
        spec,
        ghosts,
        forms,
    } = *inputs;
    let mut out = BTreeMap::new();
    for (oi, oy) in years.iter().enumerate() {
        for (k, s) in strata.iter().enumerate() {
            let w = &weights[k];
            let weight = |c: ChildId| w.get(c.index()).map_or(0.0, |x| f64::from(*x));
            let mut tables = cumin_cohort::tabulate_years(
                &oy.years,
                &oy.strata[k],
                s.levels.len(),
                &frame.cohorts,
                weight,
            );
            if let Some(Some(g)) = ghosts.get(oi).map(|o| &o[k]) {
                tables = g.applied(&tables, 1.0, 1.0);
            }
            // Fitted only if some stratum cannot fit its own model of some form.
            let forms = &forms[oi];
            let pooled = OnceCell::new();
            let fallback = |f: Form| {
                pooled
                    .get_or_init(|| {
                        pooled_models(&tables, s.levels.iter().map(|l| &l.1), frame, forms)
                    })
                    .get(f)
            };
            for (l, ((_, population), t)) in s.levels.iter().zip(&tables).enumerate() {
                let fitted =
                    corrected_curves(t, population, frame, &spec.estimators, forms, fallback);
                for (kind, curve) in fitted.curves {
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

/// What every replicate recomputes the corrected curves from.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// Every outcome's event years, placed in the strata.
    pub years: &'a [OutcomeYears],
    /// The stratifications and their populations.
    pub strata: &'a [Strata],
    /// The study's frame.
    pub frame: &'a Frame,
    /// What to estimate (estimators, bootstrap replicates, seed, level).
    pub spec: &'a EstimateSpec,
    /// The split correction's ghosts per outcome and stratification (under
    /// `corrected`), applied to every replicate's tables as they are: its estimation
    /// error is carried analytically (`SplitCorrection::scalings`), not resampled.
    pub ghosts: &'a [Vec<Option<Ghosts>>],
    /// The left-censoring correction's model forms per outcome, chosen on the data: each
    /// replicate refits these forms (the choice itself is not repeated).
    pub forms: &'a [Vec<Form>],
}

/// Replaces the intervals and standard errors of every corrected curve by bootstrap ones,
/// advancing `progress` by one per replicate.
pub fn replace_intervals(
    curves: &mut [(CurveKey, Curve)],
    inputs: &Inputs<'_>,
    progress: &dyn Progress,
) {
    let (spec, years, strata, frame) = (inputs.spec, inputs.years, inputs.strata, inputs.frame);
    let resampler = Resampler::new(years, strata, frame);
    let replicates: Vec<BTreeMap<CurveKey, [f64; OUT_AGES]>> = (0..u64::from(spec.bootstrap))
        .into_par_iter()
        .map(|r| {
            let w = resampler.weights(spec.seed, r);
            let one = replicate(inputs, &w);
            progress.advance(1);
            one
        })
        .collect();
    for (key, curve) in curves.iter_mut().filter(|(_, c)| c.corrected) {
        for p in &mut curve.points {
            let values: Vec<f64> = replicates
                .iter()
                .map(|r| r.get(key).map_or(f64::NAN, |f| f[p.age]))
                .collect();
            if let Some(ci) = cumin_stats::percentile_interval(&values, spec.level) {
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

    /// Event years (one per child, at age 3) with each child's stratum under
    /// `all` (0) and under a second stratification.
    fn years(children: &[(u32, i16, u16)]) -> Vec<OutcomeYears> {
        let years = children
            .iter()
            .map(|&(c, cohort, _)| Event {
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
            strata: vec![vec![0; years.len()], children.iter().map(|c| c.2).collect()],
            years,
        }]
    }

    /// `all` and a decile stratification whose strata have `sizes[s][b]` children in
    /// cohort `b` at every age.
    fn strata(sizes: &[&[f64]]) -> Vec<Strata> {
        let table =
            |b: &[f64]| ndarray::Array2::from_shape_fn((b.len(), OUT_AGES), |(row, _)| b[row]);
        let n = sizes[0].len();
        let total: Vec<f64> = (0..n).map(|b| sizes.iter().map(|s| s[b]).sum()).collect();
        vec![
            Strata {
                by: crate::strata::Stratification::ALL,
                levels: vec![(crate::strata::Stratum::all(), table(&total))],
            },
            Strata {
                by: crate::strata::Stratification::from(crate::strata::StratumVar::IdaciDecile),
                levels: sizes
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (crate::strata::Stratum::new((i + 1).to_string()), table(s)))
                    .collect(),
            },
        ]
    }

    fn total(w: &[u16], children: impl IntoIterator<Item = u32>) -> u32 {
        children.into_iter().map(|c| u32::from(w[c as usize])).sum()
    }

    #[test]
    fn weights_are_reproducible_and_draw_within_cohorts() {
        let y = years(&[(0, 2010, 0), (1, 2010, 0), (2, 2011, 0), (5, 2011, 0)]);
        let r = Resampler::new(&y, &strata(&[&[10.0, 2.0]]), &frame(2));
        assert_eq!(r.pools[0][0][0].population, 10);
        assert_eq!(r.pools[0][1][0].population, 2);
        let a = r.weights(7, 3);
        assert_eq!(a, r.weights(7, 3));
        assert_ne!(a, r.weights(7, 4));
        for w in &a {
            // Cohort 2011 has as many units as children: every one of its 2 draws lands
            // on one of its 2 children; nobody else is drawn.
            assert_eq!(w[2] + w[5], 2);
            assert_eq!(w[3] + w[4], 0);
        }
    }

    #[test]
    fn each_stratum_keeps_its_own_denominator() {
        // One cohort: decile 1 has 10 children, all with an event; decile 2 has 100, of
        // which 5 have one. Drawing within cohort × stratum, decile 1 gets exactly 10
        // draws in every replicate (its denominator cannot change); drawing across the
        // cohort's 110 children (the wrong scheme) would give it Binomial(110, 15/110)
        // draws, shared with decile 2, about 10 ± 3.
        let mut children: Vec<(u32, i16, u16)> = (0..10).map(|c| (c, 2010, 0)).collect();
        children.extend((10..15).map(|c| (c, 2010, 1)));
        let r = Resampler::new(&years(&children), &strata(&[&[10.0], &[100.0]]), &frame(1));
        let mut decile2 = Vec::new();
        for i in 0..500 {
            let w = r.weights(3, i);
            assert_eq!(total(&w[1], 0..10), 10, "replicate {i}");
            decile2.push(f64::from(total(&w[1], 10..15)));
        }
        // Decile 2's draws are Binomial(100, 0.05): mean 5, variance 4.75.
        let mean = decile2.iter().sum::<f64>() / decile2.len() as f64;
        let var =
            decile2.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (decile2.len() - 1) as f64;
        assert!((mean - 5.0).abs() < 0.3, "{mean}");
        assert!((var - 4.75).abs() < 1.0, "{var}");
        // Under `all` the cohort is one pool of 110: decile 1's share then varies.
        let all: Vec<u32> = (0..200)
            .map(|i| total(&r.weights(3, i)[0], 0..10))
            .collect();
        assert!(all.iter().any(|t| *t != 10), "{all:?}");
    }

    #[test]
    fn a_child_is_drawn_in_the_stratum_of_its_earliest_event_year() {
        // Child 0 is in decile 1 at age 2 and decile 2 at age 5; child 1 only in decile 2.
        let mut y = years(&[(0, 2010, 0), (0, 2010, 1), (1, 2010, 1)]);
        y[0].years[0].age = 2;
        y[0].years[1].age = 5;
        let r = Resampler::new(&y, &strata(&[&[1.0], &[1.0]]), &frame(1));
        assert_eq!(r.pools[1][0][0].units, vec![0]);
        assert_eq!(r.pools[1][0][1].units, vec![1]);
        // Each pool is its whole stratum: both children are drawn exactly once.
        for i in 0..20 {
            assert_eq!(r.weights(5, i)[1], vec![1, 1]);
        }
    }

    #[test]
    fn children_of_unknown_stratum_are_resampled_among_themselves() {
        let y = years(&[(0, 2010, NO_STRATUM), (1, 2010, NO_STRATUM), (2, 2010, 0)]);
        let r = Resampler::new(&y, &strata(&[&[50.0]]), &frame(1));
        assert_eq!(r.pools[1][0][1].units, vec![0, 1]);
        assert_eq!(r.pools[1][0][1].population, 2);
        for i in 0..20 {
            assert_eq!(total(&r.weights(2, i)[1], 0..2), 2);
        }
    }

    #[test]
    fn draws_have_the_binomial_variance() {
        // 30 of 100 children have events: the number of their draws is Binomial(100, 0.3),
        // mean 30 and variance 21 (a Poisson bootstrap would give variance 30).
        let children: Vec<(u32, i16, u16)> = (0..30).map(|c| (c, 2010, 0)).collect();
        let r = Resampler::new(&years(&children), &strata(&[&[100.0]]), &frame(1));
        let totals: Vec<f64> = (0..4000)
            .map(|i| r.weights(1, i)[0].iter().map(|w| f64::from(*w)).sum())
            .collect();
        let mean = totals.iter().sum::<f64>() / totals.len() as f64;
        let var =
            totals.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (totals.len() - 1) as f64;
        assert!((mean - 30.0).abs() < 0.5, "{mean}");
        assert!((var - 21.0).abs() < 2.5, "{var}");
    }
}
