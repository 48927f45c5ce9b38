//! Deprivation gradients of every estimator's curves by IDACI decile.

use crate::curves::{Curve, CurveEstimator, CurveKey, Kind, Strata};
use crate::frame::Frame;
use crate::results::{InequalityKind, InequalityMeasure};
use crate::spec::EstimateSpec;
use crate::spec::OUT_AGES;
use crate::strata::{Stratification, Stratum, StratumVar};
use cumin_census::Age;
use cumin_stats::inequality::{
    GroupEstimate, Measure, SiiOptions, concentration_index, difference, ratio, slope_indices,
};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Deciles, most deprived first.
const DECILES: usize = 10;

/// Measures at every age where all ten deciles have an estimate, for each outcome and
/// (non-period) estimator; nothing when the study is not stratified by decile alone.
pub fn measures(
    curves: &[(CurveKey, Curve)],
    strata: &[Strata],
    frame: &Frame,
    spec: &EstimateSpec,
) -> Vec<InequalityMeasure> {
    let by = Stratification::from(StratumVar::IdaciDecile);
    let Some(deciles) = strata.iter().find(|s| s.by == by) else {
        return Vec::new();
    };
    let population: BTreeMap<&Stratum, &ndarray::Array2<f64>> =
        deciles.levels.iter().map(|(l, p)| (l, p)).collect();
    // (outcome, estimator) → the ten decile curves, most deprived first.
    let mut groups: BTreeMap<(usize, CurveEstimator), [Option<&Curve>; DECILES]> = BTreeMap::new();
    for (key, c) in curves {
        if c.by != by || matches!(c.kind, Kind::Period(_)) {
            continue;
        }
        let Some(d) = c
            .stratum
            .as_str()
            .parse::<usize>()
            .ok()
            .filter(|d| (1..=DECILES).contains(d))
        else {
            continue;
        };
        groups
            .entry((key.outcome, c.estimator))
            .or_insert([None; DECILES])[d - 1] = Some(c);
    }
    let population = &population;
    let jobs: Vec<(usize, CurveEstimator, usize, Vec<GroupEstimate>)> = groups
        .iter()
        .flat_map(|(&(o, est), ten)| {
            (0..OUT_AGES).filter_map(move |age| {
                let estimates: Option<Vec<GroupEstimate>> = ten
                    .iter()
                    .enumerate()
                    .map(|(d, c)| {
                        let p = (*c)?.points.iter().find(|p| p.age == age)?;
                        let pop = population.get(&Stratum::new((d + 1).to_string()))?;
                        let at_age: f64 = (0..pop.nrows())
                            .filter(|&b| frame.observed[[b, age]])
                            .map(|b| pop[[b, age]])
                            .sum();
                        Some(GroupEstimate {
                            value: p.cum_inc,
                            se: p.se,
                            ci: p.ci,
                            population: at_age,
                        })
                    })
                    .collect();
                Some((o, est, age, estimates?))
            })
        })
        .collect();
    let outcome = |o: usize| spec.outcomes[o];
    let measured: Vec<Vec<(InequalityKind, Measure)>> = jobs
        .par_iter()
        .enumerate()
        .map(|(i, (_, _, _, g))| gradients(g, spec, i as u64))
        .collect();
    let mut out = Vec::new();
    for ((o, est, age, _), ms) in jobs.iter().zip(measured) {
        for (measure, m) in ms {
            out.push(InequalityMeasure {
                outcome: outcome(*o),
                estimator: *est,
                age: Age::of_index(*age),
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
fn gradients(g: &[GroupEstimate], spec: &EstimateSpec, job: u64) -> Vec<(InequalityKind, Measure)> {
    let (d1, d10) = (&g[0], &g[DECILES - 1]);
    let mut out = Vec::with_capacity(5);
    if let Some(r) = ratio(d1, d10, spec.level) {
        out.push((InequalityKind::RatioD1D10, r));
    }
    out.push((InequalityKind::DiffD1D10, difference(d1, d10, spec.level)));
    let options = SiiOptions {
        repetitions: spec.sii_repetitions as usize,
        seed: spec
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(job),
    };
    if let Some(s) = slope_indices(g, spec.level, options) {
        out.push((InequalityKind::Sii, s.sii));
        out.push((InequalityKind::Rii, s.rii));
    }
    if let Some(c) = concentration_index(g, spec.level) {
        out.push((InequalityKind::ConcentrationIndex, c));
    }
    out
}
