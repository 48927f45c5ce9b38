//! The child-cluster bootstrap for estimators that use an estimated correction.
//!
//! A replicate resamples *children* (every event of a child goes with it) within birth
//! cohort × stratum, as drawing `P_bs` children with replacement from the `P_bs` children
//! of cohort `b` in stratum `s` would: the `n_bs` children of that cell with an event in
//! the data are chosen `K_bs ~ Binomial(P_bs, n_bs / P_bs)` times in all, uniformly among
//! them; the rest never has an event and needs no drawing. So every stratum's denominator
//! stays what the denominators file says (drawing across strata would let a replicate put
//! more or fewer of a stratum's children in it than it has, and mix the strata's sampling
//! variances). A child is placed, for drawing, in the stratum of its earliest event year
//! (over all outcomes).
//!
//! **One resample for `all` and the first stratification asked for.** The strata are
//! those of the first stratification other than `all` (if any); `all`'s tables are
//! tabulated from the same draws, so its replicate is the sum of the strata's (a
//! stratified bootstrap: the strata's sizes are fixed, as the denominators file fixes
//! them). Children whose stratum is unknown form a pool per cohort drawn as under `all`
//! (`Binomial(P_b, n / P_b)`, `P_b` the cohort's size). Every further stratification
//! draws its own resample, with its unknown children drawn `n` times from `n`.
//!
//! **Patterns.** Children of one pool that add to exactly the same cells of every
//! outcome's tables under every stratification drawn from the resample (their event
//! years, strata and lookback pairs alike) are one *pattern* with a multiplicity. A
//! replicate splits a pool's `K_bs` draws over its patterns by sequential binomials
//! (pattern `i` gets `Binomial(K left, m_i / children left)`), which is the multinomial of
//! drawing `K_bs` children uniformly, counted by pattern; once a pattern expects fewer
//! than [`BY_BINOMIAL`] draws (the patterns go most common first), the draws left are
//! made child by child among the children left. The tables are then each pattern's
//! cells times its draws, so a replicate costs in proportion to the patterns, not to the
//! children's event years.
//!
//! Replicate `r` draws from the ChaCha8 stream `r` of the study seed, resamples then
//! cohorts then strata in order, so results do not depend on the number of threads.

mod patterns;

use crate::curves::{Curve, CurveKey, OutcomeYears, Strata, corrected_curves_from, pooled_models};
use crate::frame::Frame;
use crate::spec::EstimateSpec;
use crate::spec::OUT_AGES;
use crate::split::Ghosts;
use crate::strata::Stratification;
use cumin_census::Progress;
use cumin_cohort::{NO_STRATUM, YearTables};
use cumin_stats::{BackwardModel, Form};
use patterns::{Codes, Patterns, group_patterns};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};
use rayon::prelude::*;
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::ops::Range;

/// The children of one cohort × stratum that can be drawn, and how many it has in all.
#[derive(Clone, Debug, Default, PartialEq)]
struct Pool {
    /// Children (by index) placed in this cell: by child, then (once the patterns are
    /// found, [`group_patterns`]) by pattern and child.
    units: Vec<u32>,
    /// Children of the cell in the population, at least `units.len()`.
    population: u64,
    /// The pool's patterns: indices into its resample's [`Patterns`].
    patterns: Range<u32>,
    /// The pattern of each unit.
    unit_pattern: Vec<u32>,
}

/// One resample of children, for the stratifications tabulated from it
/// ([`resample_members`]): the pools are cohort × stratum of the first, and one pool per
/// cohort of children whose stratum is unknown.
struct Resample {
    /// `pools[row]`: the pools of cohort `row`, one per stratum of `members[0]` and then
    /// the unknown stratum's.
    pools: Vec<Vec<Pool>>,
    patterns: Patterns,
}

/// Which stratifications share a resample: `all` shares the first other
/// stratification's, every other stratification has its own. In order of their first
/// member.
fn resample_members(strata: &[Strata]) -> Vec<Vec<usize>> {
    let is_all = |k: usize| strata[k].by == Stratification::ALL;
    let drawer = (0..strata.len()).find(|&k| !is_all(k));
    let mut out: Vec<Vec<usize>> = Vec::new();
    for k in 0..strata.len() {
        if drawer.is_none() || !is_all(k) {
            out.push(vec![k]);
        }
    }
    if let Some(d) = drawer {
        let shared = out
            .iter_mut()
            .find(|m| m[0] == d)
            .expect("its own resample");
        shared.extend((0..strata.len()).filter(|&k| is_all(k)));
    }
    out
}

/// Children that can be drawn, by resample, cohort row and stratum.
pub struct Resampler {
    resamples: Vec<Resample>,
    /// The resample each stratification is tabulated from.
    resample_of: Vec<usize>,
    /// Where each stratification's tables lie in the patterns' cells.
    codes: Codes,
    /// Per stratification, the one whose tables its tables are the sums of: an `all`
    /// sharing a resample whose first stratification holds the years of no stratum too
    /// ([`patterns::Layout::summed`]), so the patterns need no cells of `all`'s.
    summed_from: Vec<Option<usize>>,
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
    /// Units from every outcome's event years, placed in the strata of each resample's
    /// first stratification; populations from each stratum's denominators; the units of
    /// each pool grouped into patterns.
    pub fn new(years: &[OutcomeYears], strata: &[Strata], frame: &Frame) -> Resampler {
        let n_cohorts = frame.cohorts.entry.len();
        let members = resample_members(strata);
        // `all`'s tables (every year in its one stratum) are the sums of its resample's
        // first stratification's, when that holds the years of no stratum too.
        let mut summed_from = vec![None; strata.len()];
        for m in &members {
            for &a in &m[1..] {
                if years.iter().all(|oy| oy.strata[a].iter().all(|&s| s == 0)) {
                    summed_from[a] = Some(m[0]);
                }
            }
        }
        let unknown: Vec<bool> = (0..strata.len())
            .map(|k| summed_from.contains(&Some(k)))
            .collect();
        let codes = Codes::new(strata, years.len(), n_cohorts, &unknown);
        let n_children = years
            .iter()
            .flat_map(|o| &o.years)
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
        let mut resample_of = vec![0; strata.len()];
        for (i, m) in members.iter().enumerate() {
            for &k in m {
                resample_of[k] = i;
            }
        }
        let resamples = members
            .into_iter()
            .map(|members| {
                let k = members[0];
                let s = &strata[k];
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
                drop(home);
                // The unknown stratum's children are drawn as under `all` if it shares
                // this resample, else among themselves.
                let all = members[1..].first().map(|&a| &strata[a].levels[0].1);
                for (row, cohort) in cells.iter_mut().enumerate() {
                    for (slot, pool) in cohort.iter_mut().enumerate() {
                        let size = match (s.levels.get(slot), all) {
                            (Some((_, p)), _) | (None, Some(p)) => cohort_size(p, row),
                            (None, None) => 0.0,
                        };
                        pool.population =
                            (size.round().max(0.0) as u64).max(pool.units.len() as u64);
                    }
                }
                let coded: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&k| summed_from[k].is_none())
                    .collect();
                let patterns = group_patterns(years, &coded, &codes, frame, n_children, &mut cells);
                Resample {
                    pools: cells,
                    patterns,
                }
            })
            .collect();
        Resampler {
            resamples,
            resample_of,
            codes,
            summed_from,
        }
    }

    /// Patterns of each resample, in all.
    pub fn n_patterns(&self) -> Vec<usize> {
        self.resamples
            .iter()
            .map(|r| r.patterns.multiplicity.len())
            .collect()
    }

    /// How many times each pattern is drawn in replicate `replicate`, for each resample.
    pub fn draws(&self, seed: u64, replicate: u64) -> Vec<Vec<u32>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(replicate);
        self.resamples
            .iter()
            .map(|resample| {
                let patterns = &resample.patterns;
                let mut counts = vec![0u32; patterns.multiplicity.len()];
                for pool in resample.pools.iter().flatten() {
                    let n = pool.units.len();
                    if n == 0 {
                        continue;
                    }
                    let p = n as f64 / pool.population as f64;
                    let draws = Binomial::new(pool.population, p.min(1.0))
                        .expect("a probability in [0, 1]")
                        .sample(&mut rng);
                    split(
                        draws,
                        pool,
                        &patterns.multiplicity,
                        &mut counts,
                        &mut rng,
                        BY_BINOMIAL,
                    );
                }
                counts
            })
            .collect()
    }

    /// The cells of stratification `k`'s tables in a replicate that draws the patterns
    /// of `k`'s resample `draws[resample][i]` times.
    fn buffer(&self, k: usize, draws: &[Vec<u32>]) -> Vec<f64> {
        let mut buffer = vec![0.0; self.codes.layouts[k].len()];
        let r = self.resample_of[k];
        self.resamples[r]
            .patterns
            .gather(self.codes.range(k), &draws[r], &mut buffer);
        buffer
    }

    /// Every outcome's tables (`[outcome][stratum]`) of stratification `k` in a replicate
    /// that draws the patterns of `k`'s resample `draws[resample][i]` times.
    #[cfg(test)]
    fn tabulate(&self, k: usize, draws: &[Vec<u32>]) -> Vec<Vec<YearTables>> {
        match self.summed_from[k] {
            Some(d) => self.codes.layouts[d].summed(&self.buffer(d, draws)),
            None => self.codes.layouts[k].tables(&self.buffer(k, draws)),
        }
    }

    /// [`Resampler::tabulate`] for every stratification (`[k][outcome][stratum]`), each
    /// buffer gathered once.
    fn tabulate_every(&self, draws: &[Vec<u32>]) -> Vec<Vec<Vec<YearTables>>> {
        let buffers: Vec<Option<Vec<f64>>> = (0..self.summed_from.len())
            .map(|k| self.summed_from[k].is_none().then(|| self.buffer(k, draws)))
            .collect();
        self.summed_from
            .iter()
            .enumerate()
            .map(|(k, from)| match (*from, &buffers[k]) {
                (Some(d), _) => {
                    let buffer = buffers[d].as_deref().expect("gathered");
                    self.codes.layouts[d].summed(buffer)
                }
                (None, buffer) => {
                    self.codes.layouts[k].tables(buffer.as_deref().expect("gathered"))
                }
            })
            .collect()
    }
}

/// Below this many expected draws a pattern's draws are not worth a binomial, and the
/// draws left are made child by child (one uniform draw each). Scale 0.1, 1,000
/// replicates: 2.1 / 1.5 / 1.5 CPU s of drawing with 8 / 32 / 128.
const BY_BINOMIAL: u64 = 32;

/// Splits `draws` of children from `pool` over its patterns, adding to `counts`. The
/// patterns (most common first) take sequential binomials (pattern `i` gets
/// `Binomial(draws left, m_i / children left)`) while a pattern expects at least
/// `by_binomial` draws; the draws left are then made uniformly among the children left
/// (the pool's units are ordered by pattern, so those are a suffix). Both parts are the
/// multinomial of drawing `draws` children uniformly, counted by pattern, wherever the
/// switch falls (it depends only on the draws already made).
fn split(
    draws: u64,
    pool: &Pool,
    multiplicity: &[u32],
    counts: &mut [u32],
    rng: &mut ChaCha8Rng,
    by_binomial: u64,
) {
    let (mut left, mut rest) = (draws, pool.units.len() as u64);
    for i in pool.patterns.clone() {
        let m = u64::from(multiplicity[i as usize]);
        if left == 0 || left * m < by_binomial.saturating_mul(rest) {
            break;
        }
        let c = if m >= rest {
            left
        } else {
            Binomial::new(left, m as f64 / rest as f64)
                .expect("a probability in [0, 1]")
                .sample(rng)
        };
        counts[i as usize] += c as u32;
        left -= c;
        rest -= m;
    }
    if left == 0 {
        return;
    }
    let tail = &pool.unit_pattern[pool.unit_pattern.len() - rest as usize..];
    let n = u32::try_from(tail.len()).expect("fewer than 2^32 children in a pool");
    for _ in 0..left {
        let i = tail[rng.random_range(0..n) as usize];
        counts[i as usize] += 1;
    }
}

/// Cumulative incidence by age of every corrected curve, from the tables of every
/// stratification (`tables[k][outcome][stratum]`); the split correction's ghosts, if any,
/// applied as they are.
fn replicate(
    inputs: &Inputs<'_>,
    tables: Vec<Vec<Vec<YearTables>>>,
) -> BTreeMap<CurveKey, [f64; OUT_AGES]> {
    let Inputs {
        strata,
        frame,
        spec,
        ghosts,
        forms,
        models,
        ..
    } = *inputs;
    let mut out = BTreeMap::new();
    for (k, (s, by_outcome)) in strata.iter().zip(tables).enumerate() {
        for (oi, mut tables) in by_outcome.into_iter().enumerate() {
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
                let start = models
                    .get(oi)
                    .and_then(|m| m.get(k))
                    .and_then(|m| m.get(l))
                    .map_or(&[][..], Vec::as_slice);
                let fitted = corrected_curves_from(
                    t,
                    population,
                    frame,
                    &spec.estimators,
                    forms,
                    fallback,
                    start,
                );
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
    /// The point estimate's models per outcome, stratification and stratum: each
    /// replicate's fits start from them (the fit is the same maximum, reached in fewer
    /// iterations; empty: cold starts).
    pub models: &'a [Vec<Vec<Vec<BackwardModel>>>],
}

/// Replaces the intervals and standard errors of every corrected curve by bootstrap ones,
/// advancing `progress` by one per replicate.
pub fn replace_intervals(
    curves: &mut [(CurveKey, Curve)],
    inputs: &Inputs<'_>,
    progress: &dyn Progress,
) {
    let (spec, strata) = (inputs.spec, inputs.strata);
    let resampler = Resampler::new(inputs.years, strata, inputs.frame);
    let replicates: Vec<BTreeMap<CurveKey, [f64; OUT_AGES]>> = (0..u64::from(spec.bootstrap))
        .into_par_iter()
        .map(|r| {
            let draws = resampler.draws(spec.seed, r);
            let one = replicate(inputs, resampler.tabulate_every(&draws));
            progress.advance(1);
            one
        })
        .collect();
    for (key, curve) in curves.iter_mut().filter(|(_, c)| c.corrected) {
        // Each replicate's curve looked up once, not once per age.
        let fitted: Vec<Option<&[f64; OUT_AGES]>> = replicates.iter().map(|r| r.get(key)).collect();
        for p in &mut curve.points {
            let values: Vec<f64> = fitted
                .iter()
                .map(|f| f.map_or(f64::NAN, |f| f[p.age]))
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
    use cumin_cohort::{BirthCohort, CohortFrame, EventYear};
    use cumin_link::ChildId;
    use proptest::prelude::*;

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
            .map(|&(c, cohort, _)| EventYear {
                child: ChildId(c),
                age: 3,
                cohort: BirthCohort(cohort),
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

    /// The pools of the resample stratification `k` is tabulated from.
    fn pools(r: &Resampler, k: usize) -> &[Vec<Pool>] {
        &r.resamples[r.resample_of[k]].pools
    }

    /// Draws, under stratification `k`, of the patterns of `children` (each pattern
    /// once): their total draws where each of those patterns holds only such children.
    fn drawn(
        r: &Resampler,
        d: &[Vec<u32>],
        k: usize,
        children: impl IntoIterator<Item = u32>,
    ) -> u32 {
        let mut patterns: Vec<u32> = children
            .into_iter()
            .filter_map(|c| {
                pools(r, k).iter().flatten().find_map(|p| {
                    p.units
                        .iter()
                        .position(|u| *u == c)
                        .map(|j| p.unit_pattern[j])
                })
            })
            .collect();
        patterns.sort_unstable();
        patterns.dedup();
        patterns
            .iter()
            .map(|i| d[r.resample_of[k]][*i as usize])
            .sum()
    }

    #[test]
    fn weights_are_reproducible_and_draw_within_cohorts() {
        let y = years(&[(0, 2010, 0), (1, 2010, 0), (2, 2011, 0), (5, 2011, 0)]);
        let r = Resampler::new(&y, &strata(&[&[10.0, 2.0]]), &frame(2));
        assert_eq!(pools(&r, 0)[0][0].population, 10);
        assert_eq!(pools(&r, 0)[1][0].population, 2);
        let a = r.draws(7, 3);
        assert_eq!(a, r.draws(7, 3));
        assert_ne!(a, r.draws(7, 4));
        for k in 0..2 {
            // Cohort 2011 has as many units as children: its 2 draws land on its 2
            // children (one pattern).
            assert_eq!(drawn(&r, &a, k, [2, 5]), 2);
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
            let d = r.draws(3, i);
            assert_eq!(drawn(&r, &d, 1, 0..10), 10, "replicate {i}");
            decile2.push(f64::from(drawn(&r, &d, 1, 10..15)));
        }
        // Decile 2's draws are Binomial(100, 0.05): mean 5, variance 4.75.
        let mean = decile2.iter().sum::<f64>() / decile2.len() as f64;
        let var =
            decile2.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (decile2.len() - 1) as f64;
        assert!((mean - 5.0).abs() < 0.3, "{mean}");
        assert!((var - 4.75).abs() < 1.0, "{var}");
        // `all` is tabulated from the same resample: decile 1's share of it is fixed too.
        for i in 0..200 {
            assert_eq!(drawn(&r, &r.draws(3, i), 0, 0..10), 10, "replicate {i}");
        }
    }

    #[test]
    fn all_is_the_sum_of_the_strata_of_the_same_resample() {
        // Children in two deciles and two cohorts, every year with a known decile: in
        // every replicate `all`'s tables are the sum of the deciles' (each stratification
        // drawing its own resample would make them differ).
        let children: Vec<Child> = (0..40)
            .map(|c| {
                let d = u16::from(c % 3 == 0);
                let y0 = vec![(1 + (c % 5) as i8, d), (7, d)];
                let y1 = if c % 2 == 0 { vec![(4, d)] } else { vec![] };
                (c, 2010 + (c % 2) as i16, y0, y1)
            })
            .collect();
        let y = two_outcomes(&children);
        let st = strata(&[&[60.0, 60.0], &[90.0, 90.0]]);
        let r = Resampler::new(&y, &st, &entry_frame());
        assert_eq!(r.resample_of, vec![0, 0]);
        let mut differ = 0;
        for i in 0..20 {
            let d = r.draws(9, i);
            let all = r.tabulate(0, &d);
            let deciles = r.tabulate(1, &d);
            for (o, by_decile) in deciles.iter().enumerate() {
                let first = by_decile[0].first_observed.clone() + &by_decile[1].first_observed;
                let lookback = by_decile[0].lookback.clone() + &by_decile[1].lookback;
                assert_eq!(all[o][0].first_observed, first, "replicate {i}");
                assert_eq!(all[o][0].lookback, lookback, "replicate {i}");
                differ += usize::from(by_decile[0] != by_decile[1]);
            }
        }
        assert!(differ > 0);
    }

    #[test]
    fn a_stratification_beside_the_first_draws_its_own_resample() {
        let mut st = strata(&[&[10.0], &[10.0]]);
        st.push(st[1].clone());
        assert_eq!(resample_members(&st), vec![vec![1, 0], vec![2]]);
        assert_eq!(resample_members(&st[..1]), vec![vec![0]]);
        assert_eq!(resample_members(&st[1..]), vec![vec![0], vec![1]]);
    }

    #[test]
    fn a_child_is_drawn_in_the_stratum_of_its_earliest_event_year() {
        // Child 0 is in decile 1 at age 2 and decile 2 at age 5; child 1 only in decile 2.
        let mut y = years(&[(0, 2010, 0), (0, 2010, 1), (1, 2010, 1)]);
        y[0].years[0].age = 2;
        y[0].years[1].age = 5;
        let r = Resampler::new(&y, &strata(&[&[1.0], &[1.0]]), &frame(1));
        assert_eq!(pools(&r, 1)[0][0].units, vec![0]);
        assert_eq!(pools(&r, 1)[0][1].units, vec![1]);
        // Each pool is its whole stratum: both children (each its own pattern) are
        // drawn exactly once.
        for i in 0..20 {
            assert_eq!(r.draws(5, i)[0], vec![1, 1]);
        }
    }

    #[test]
    fn children_of_unknown_stratum_are_drawn_as_under_all() {
        // Two of the cohort's 50 children have an event and no decile: their draws are
        // Binomial(50, 2 / 50), as under `all`, mean 2 and variance 1.92.
        let y = years(&[(0, 2010, NO_STRATUM), (1, 2010, NO_STRATUM), (2, 2010, 0)]);
        let r = Resampler::new(&y, &strata(&[&[50.0]]), &frame(1));
        assert_eq!(pools(&r, 1)[0][1].units, vec![0, 1]);
        assert_eq!(pools(&r, 1)[0][1].population, 50);
        let x: Vec<f64> = (0..4000)
            .map(|i| f64::from(drawn(&r, &r.draws(2, i), 1, 0..2)))
            .collect();
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        let var = x.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (x.len() - 1) as f64;
        assert!((mean - 2.0).abs() < 0.1, "{mean}");
        assert!((var - 1.92).abs() < 0.25, "{var}");
    }

    #[test]
    fn without_all_children_of_unknown_stratum_are_resampled_among_themselves() {
        let y = years(&[(0, 2010, NO_STRATUM), (1, 2010, NO_STRATUM), (2, 2010, 0)]);
        let st = strata(&[&[50.0]]);
        // The decile stratification alone (its strata are the years' second column).
        let mut y1 = y.clone();
        y1[0].strata.remove(0);
        let r = Resampler::new(&y1, &st[1..], &frame(1));
        assert_eq!(pools(&r, 0)[0][1].units, vec![0, 1]);
        assert_eq!(pools(&r, 0)[0][1].population, 2);
        for i in 0..20 {
            assert_eq!(drawn(&r, &r.draws(2, i), 0, 0..2), 2);
        }
    }

    #[test]
    fn draws_have_the_binomial_variance() {
        // 30 of 100 children have events: the number of their draws is Binomial(100, 0.3),
        // mean 30 and variance 21 (a Poisson bootstrap would give variance 30).
        let children: Vec<(u32, i16, u16)> = (0..30).map(|c| (c, 2010, 0)).collect();
        let r = Resampler::new(&years(&children), &strata(&[&[100.0]]), &frame(1));
        let totals: Vec<f64> = (0..4000)
            .map(|i| r.draws(1, i)[0].iter().map(|w| f64::from(*w)).sum())
            .collect();
        let mean = totals.iter().sum::<f64>() / totals.len() as f64;
        let var =
            totals.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (totals.len() - 1) as f64;
        assert!((mean - 30.0).abs() < 0.5, "{mean}");
        assert!((var - 21.0).abs() < 2.5, "{var}");
    }

    /// Two outcomes' event years of children given as (child, cohort, years of outcome
    /// 0, years of outcome 1), each year an (age, decile stratum); under `all` every
    /// year is in stratum 0.
    type Child = (u32, i16, Vec<(i8, u16)>, Vec<(i8, u16)>);

    fn two_outcomes(children: &[Child]) -> Vec<OutcomeYears> {
        [
            cumin_census::Outcome::Referral,
            cumin_census::Outcome::Assessed,
        ]
        .into_iter()
        .enumerate()
        .map(|(o, outcome)| {
            let mut years = Vec::new();
            let mut decile = Vec::new();
            for (c, cohort, y0, y1) in children {
                for &(age, s) in if o == 0 { y0 } else { y1 } {
                    years.push(EventYear {
                        child: ChildId(*c),
                        age,
                        cohort: BirthCohort(*cohort),
                    });
                    decile.push(s);
                }
            }
            OutcomeYears {
                outcome,
                strata: vec![vec![0; years.len()], decile],
                years,
            }
        })
        .collect()
    }

    /// Two cohorts, the first wholly observed from age 2, the second from birth.
    fn entry_frame() -> Frame {
        Frame {
            cohorts: CohortFrame {
                first: BirthCohort(2010),
                entry: vec![Some(2), Some(0)],
            },
            ..frame(2)
        }
    }

    /// What each pattern of each resample is drawn if every child `c` is drawn `w[c]`
    /// times.
    fn pattern_counts(r: &Resampler, w: &[u32]) -> Vec<Vec<u32>> {
        r.resamples
            .iter()
            .map(|resample| {
                let mut counts = vec![0; resample.patterns.multiplicity.len()];
                for pool in resample.pools.iter().flatten() {
                    for (u, p) in pool.units.iter().zip(&pool.unit_pattern) {
                        counts[*p as usize] += w[*u as usize];
                    }
                }
                counts
            })
            .collect()
    }

    /// [`Resampler::tabulate`] by patterns against `tabulate_years` child by child, for
    /// the same child weights.
    fn check_tabulation(children: &[Child], w: &[u32]) {
        let y = two_outcomes(children);
        let st = strata(&[&[50.0, 50.0], &[50.0, 50.0]]);
        let f = entry_frame();
        let r = Resampler::new(&y, &st, &f);
        let every = r.tabulate_every(&pattern_counts(&r, w));
        for (k, s) in st.iter().enumerate() {
            let by_patterns = r.tabulate(k, &pattern_counts(&r, w));
            assert_eq!(every[k], by_patterns, "stratification {k}");
            for (o, oy) in y.iter().enumerate() {
                let by_child = cumin_cohort::tabulate_years(
                    &oy.years,
                    &oy.strata[k],
                    s.levels.len(),
                    &f.cohorts,
                    |c| f64::from(w[c.index()]),
                );
                assert_eq!(by_patterns[o], by_child, "stratification {k}, outcome {o}");
            }
        }
    }

    #[test]
    fn patterns_group_only_children_with_the_same_cells() {
        let a = vec![(3, 0), (5, 0)];
        let children: Vec<Child> = vec![
            (0, 2010, a.clone(), vec![]),
            (1, 2010, a.clone(), vec![]),
            // The later year in another decile: the same cells under `all` only.
            (2, 2010, vec![(3, 0), (5, 1)], vec![]),
            (3, 2010, vec![(3, 0), (6, 0)], vec![]),
            // The same first outcome, and the second.
            (4, 2010, a.clone(), vec![(5, 0)]),
            // Another cohort: another pool.
            (5, 2011, a.clone(), vec![]),
        ];
        let r = Resampler::new(
            &two_outcomes(&children),
            &strata(&[&[50.0, 50.0], &[50.0, 50.0]]),
            &entry_frame(),
        );
        // One resample (deciles, `all` tabulated from it): children 0 and 1 share a
        // pattern; child 2 differs from them under the deciles only.
        assert_eq!(r.n_patterns(), vec![5]);
        assert_eq!(r.resamples[0].patterns.multiplicity, vec![2, 1, 1, 1, 1]);
        assert_eq!(pools(&r, 1)[0][0].unit_pattern, vec![0, 0, 1, 2, 3]);
        assert_eq!(pools(&r, 1)[1][0].patterns, 4..5);
        check_tabulation(&children, &[1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn a_pools_units_are_ordered_by_pattern() {
        // Child 0 alone, children 1 and 2 alike: the common pattern is numbered first,
        // and the units follow the patterns, so the children left after a pool's first
        // patterns are a suffix of its units (fails if the units stay in child order).
        let children: Vec<Child> = vec![
            (0, 2010, vec![(4, 0)], vec![]),
            (1, 2010, vec![(3, 0)], vec![]),
            (2, 2010, vec![(3, 0)], vec![]),
        ];
        let r = Resampler::new(
            &two_outcomes(&children),
            &strata(&[&[50.0, 50.0], &[50.0, 50.0]]),
            &entry_frame(),
        );
        let pool = &pools(&r, 1)[0][0];
        assert_eq!(pool.units, vec![1, 2, 0]);
        assert_eq!(pool.unit_pattern, vec![0, 0, 1]);
        assert_eq!(r.resamples[0].patterns.multiplicity, vec![2, 1]);
    }

    #[test]
    fn all_is_summed_from_the_strata_and_holds_no_cells_of_its_own() {
        // Years of no decile included: `all`'s tables are the deciles' and the unknown
        // stratum's summed, so no pattern holds a cell in `all`'s range (fails if the
        // patterns still hold `all`'s cells, or if the unknown years are left out of
        // the sum: the tabulation check below then differs under `all`).
        let children: Vec<Child> = (0..30)
            .map(|c| {
                let d = [0, 1, NO_STRATUM][(c % 3) as usize];
                (c, 2010 + (c % 2) as i16, vec![(2, d), (5, 0)], vec![(3, d)])
            })
            .collect();
        let y = two_outcomes(&children);
        let r = Resampler::new(&y, &strata(&[&[50.0, 50.0], &[50.0, 50.0]]), &entry_frame());
        assert_eq!(r.summed_from, vec![Some(1), None]);
        let all = r.codes.range(0);
        let cells = &r.resamples[0].patterns.cells;
        assert!(cells.iter().all(|c| !all.contains(c)));
        assert!(!cells.is_empty());
        let w: Vec<u32> = (0..30).map(|c| c % 4).collect();
        check_tabulation(&children, &w);
    }

    #[test]
    fn all_with_a_year_outside_its_stratum_is_tabulated_from_its_own_cells() {
        // Not the case of any study (`all` places every year), but then `all`'s tables
        // are not the strata's sums and it keeps cells of its own.
        let children: Vec<Child> = (0..12)
            .map(|c| (c, 2010, vec![(2, (c % 2) as u16), (4, 0)], vec![]))
            .collect();
        let mut y = two_outcomes(&children);
        y[0].strata[0][1] = NO_STRATUM;
        let st = strata(&[&[50.0, 50.0], &[50.0, 50.0]]);
        let f = entry_frame();
        let r = Resampler::new(&y, &st, &f);
        assert_eq!(r.summed_from, vec![None, None]);
        let w: Vec<u32> = (0..12).map(|c| 1 + c % 3).collect();
        let tables = r.tabulate_every(&pattern_counts(&r, &w));
        for (k, s) in st.iter().enumerate() {
            for (o, oy) in y.iter().enumerate() {
                let by_child = cumin_cohort::tabulate_years(
                    &oy.years,
                    &oy.strata[k],
                    s.levels.len(),
                    &f.cohorts,
                    |c| f64::from(w[c.index()]),
                );
                assert_eq!(tables[k][o], by_child, "stratification {k}, outcome {o}");
            }
        }
    }

    #[test]
    fn a_pools_draws_are_multinomial_over_its_patterns() {
        let pool = Pool {
            units: (0..10).collect(),
            population: 10,
            patterns: 0..3,
            unit_pattern: vec![0, 0, 0, 0, 0, 0, 1, 1, 1, 2],
        };
        let multiplicity = [6, 3, 1];
        // Every pattern by binomials, every draw child by child, and the switch between
        // them after the first pattern (6 expected draws, then 3).
        for by_binomial in [0, u64::MAX, 4] {
            let mut rng = ChaCha8Rng::seed_from_u64(11);
            let runs: Vec<Vec<u32>> = (0..4000)
                .map(|_| {
                    let mut counts = vec![0; 3];
                    split(10, &pool, &multiplicity, &mut counts, &mut rng, by_binomial);
                    counts
                })
                .collect();
            assert!(runs.iter().all(|c| c.iter().sum::<u32>() == 10));
            for (i, m) in multiplicity.iter().enumerate() {
                // Binomial(10, m / 10): mean m, variance m (1 − m / 10).
                let p = f64::from(*m) / 10.0;
                let x: Vec<f64> = runs.iter().map(|c| f64::from(c[i])).collect();
                let mean = x.iter().sum::<f64>() / x.len() as f64;
                let var = x.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (x.len() - 1) as f64;
                assert!((mean - 10.0 * p).abs() < 0.08, "{by_binomial} {i} {mean}");
                let want = 10.0 * p * (1.0 - p);
                assert!(
                    (var - want).abs() < 0.12 * want + 0.05,
                    "{by_binomial} {i} {var}"
                );
            }
            // The multinomial's covariance of the first two: −10 · 0.6 · 0.3 = −1.8.
            let (x, y): (Vec<f64>, Vec<f64>) = runs
                .iter()
                .map(|c| (f64::from(c[0]), f64::from(c[1])))
                .unzip();
            let (mx, my) = (
                x.iter().sum::<f64>() / 4000.0,
                y.iter().sum::<f64>() / 4000.0,
            );
            let cov = x
                .iter()
                .zip(&y)
                .map(|(a, b)| (a - mx) * (b - my))
                .sum::<f64>()
                / 3999.0;
            assert!((cov + 1.8).abs() < 0.2, "{by_binomial} {cov}");
        }
    }

    /// A child's cohort and the (age, decile stratum) of its years of each outcome.
    type Template = (i16, Vec<(i8, u16)>, Vec<(i8, u16)>);

    fn child_strategy() -> impl Strategy<Value = Template> {
        let years = proptest::collection::btree_map(
            0i8..9,
            prop_oneof![Just(0u16), Just(1), Just(NO_STRATUM)],
            0..4,
        )
        .prop_map(|m| m.into_iter().collect::<Vec<_>>());
        (2009i16..2012, years.clone(), years)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Children drawn from a few templates (so many share a pattern), in cohorts in
        /// and out of the tables, with years in and out of strata, before and after the
        /// cohort's entry: the tables by patterns are the tables child by child.
        #[test]
        fn tabulation_by_patterns_is_tabulation_by_children(
            templates in proptest::collection::vec(child_strategy(), 1..6),
            picks in proptest::collection::vec((0usize..6, 0u32..4), 1..40),
        ) {
            let children: Vec<Child> = picks
                .iter()
                .enumerate()
                .map(|(c, (t, _))| {
                    let (cohort, y0, y1) = templates[t % templates.len()].clone();
                    (c as u32, cohort, y0, y1)
                })
                .collect();
            let w: Vec<u32> = picks.iter().map(|p| p.1).collect();
            check_tabulation(&children, &w);
        }
    }
}
