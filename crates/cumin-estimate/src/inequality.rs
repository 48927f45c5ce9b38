//! Deprivation gradients by IDACI decile: the decile populations the measures weight by,
//! and the measures of any ten decile estimates. The release layer (`cumin-report`) calls
//! [`measures`] with the deciles' *released* estimates, so the gradients are computed
//! from released numbers only.

use crate::curves::{CurveEstimator, Strata};
use crate::frame::Frame;
use crate::results::{InequalityKind, InequalityMeasure};
use crate::spec::OUT_AGES;
use crate::strata::{Stratification, Stratum, StratumVar};
use cumin_census::{Age, Outcome};
use cumin_stats::inequality::{
    GroupEstimate, Measure, SiiOptions, concentration_index, difference, ratio, slope_indices,
};
use rayon::prelude::*;

/// Deciles, most deprived first.
pub const DECILES: usize = 10;

/// Each decile's population at each age (children of the cohorts observed at that age):
/// the weights of the slope and concentration indices. `by_age[a][d − 1]` is decile `d`'s.
#[derive(Clone, Debug, PartialEq)]
pub struct DecilePopulations {
    /// Populations by age, deciles most deprived first.
    pub by_age: Vec<[f64; DECILES]>,
}

/// The decile populations, when the study is stratified by decile alone.
pub fn decile_populations(strata: &[Strata], frame: &Frame) -> Option<DecilePopulations> {
    let by = Stratification::from(StratumVar::IdaciDecile);
    let deciles = strata.iter().find(|s| s.by == by)?;
    let mut by_age = vec![[0.0; DECILES]; OUT_AGES];
    for d in 1..=DECILES {
        let (_, pop) = deciles
            .levels
            .iter()
            .find(|(l, _)| *l == Stratum::new(d.to_string()))?;
        for (age, row) in by_age.iter_mut().enumerate() {
            row[d - 1] = (0..pop.nrows())
                .filter(|&b| frame.observed[[b, age]])
                .map(|b| pop[[b, age]])
                .sum();
        }
    }
    Some(DecilePopulations { by_age })
}

/// The ten deciles' estimates of one outcome and estimator at one age.
#[derive(Clone, Debug, PartialEq)]
pub struct DecileEstimates {
    /// Outcome.
    pub outcome: Outcome,
    /// Estimator.
    pub estimator: CurveEstimator,
    /// Age.
    pub age: Age,
    /// Deciles 1 (most deprived) to 10: estimate, standard error, limits, population.
    pub deciles: Vec<GroupEstimate>,
}

/// How the measures are computed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InequalityOptions {
    /// Confidence level.
    pub level: f64,
    /// Simulated draws for the slope indices' intervals.
    pub sii_repetitions: u32,
    /// Seed of the draws (each set of deciles has its own stream, by its position).
    pub seed: u64,
}

/// The measures of every set of deciles, in order (the slope indices' simulation of the
/// `i`th set uses its own seed, so results do not depend on threads).
pub fn measures(sets: &[DecileEstimates], options: InequalityOptions) -> Vec<InequalityMeasure> {
    let measured: Vec<Vec<(InequalityKind, Measure)>> = sets
        .par_iter()
        .enumerate()
        .map(|(i, s)| gradients(&s.deciles, options, i as u64))
        .collect();
    let mut out = Vec::new();
    for (s, ms) in sets.iter().zip(measured) {
        for (measure, m) in ms {
            out.push(InequalityMeasure {
                outcome: s.outcome,
                estimator: s.estimator,
                age: s.age,
                measure,
                value: m.value,
                lower: m.ci.lower,
                upper: m.ci.upper,
            });
        }
    }
    out
}

/// The five measures for one set of deciles; the SII simulation has its own seed.
fn gradients(
    g: &[GroupEstimate],
    options: InequalityOptions,
    job: u64,
) -> Vec<(InequalityKind, Measure)> {
    let (d1, d10) = (&g[0], &g[DECILES - 1]);
    let mut out = Vec::with_capacity(5);
    if let Some(r) = ratio(d1, d10, options.level) {
        out.push((InequalityKind::RatioD1D10, r));
    }
    out.push((
        InequalityKind::DiffD1D10,
        difference(d1, d10, options.level),
    ));
    let sii = SiiOptions {
        repetitions: options.sii_repetitions as usize,
        seed: options
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(job),
    };
    if let Some(s) = slope_indices(g, options.level, sii) {
        out.push((InequalityKind::Sii, s.sii));
        out.push((InequalityKind::Rii, s.rii));
    }
    if let Some(c) = concentration_index(g, options.level) {
        out.push((InequalityKind::ConcentrationIndex, c));
    }
    out
}
