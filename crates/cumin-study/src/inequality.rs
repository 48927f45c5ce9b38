//! `inequality.csv`: deprivation gradients of every estimator's curves by IDACI decile.

use crate::analysis::CurveKey;
use crate::config::{StratumVar, StudyConfig};
use crate::estimators::{Curve, Frame, Kind, Strata};
use crate::strata::Stratification;
use cumin_report::InequalityRow;
use cumin_stats::inequality::{
    GroupEstimate, Measure, SiiOptions, concentration_index, difference, ratio, slope_indices,
};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Deciles, most deprived first.
const DECILES: usize = 10;

/// Measures at every age where all ten deciles have an estimate, for each outcome and
/// (non-period) estimator; nothing when the study is not stratified by decile alone.
pub fn rows(
    curves: &[(CurveKey, Curve)],
    strata: &[Strata],
    frame: &Frame,
    cfg: &StudyConfig,
) -> Vec<InequalityRow> {
    let by = Stratification::from(StratumVar::IdaciDecile);
    let Some(deciles) = strata.iter().find(|s| s.by == by) else {
        return Vec::new();
    };
    let population: BTreeMap<&str, &ndarray::Array2<f64>> = deciles
        .levels
        .iter()
        .map(|(l, p)| (l.as_str(), p))
        .collect();
    // (outcome, estimator) → the ten decile curves, most deprived first.
    let mut groups: BTreeMap<(usize, &'static str), [Option<&Curve>; DECILES]> = BTreeMap::new();
    for (key, c) in curves {
        if c.by != by || matches!(c.kind, Kind::Period(_)) {
            continue;
        }
        let Some(d) = c
            .stratum
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
    let jobs: Vec<(usize, &'static str, usize, Vec<GroupEstimate>)> = groups
        .iter()
        .flat_map(|(&(o, est), ten)| {
            (0..crate::estimators::OUT_AGES).filter_map(move |age| {
                let estimates: Option<Vec<GroupEstimate>> = ten
                    .iter()
                    .enumerate()
                    .map(|(d, c)| {
                        let p = (*c)?.points.iter().find(|p| p.age == age)?;
                        let pop = population.get((d + 1).to_string().as_str())?;
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
    let outcome_name = |o: usize| {
        curves
            .iter()
            .find(|(k, _)| k.outcome == o)
            .map(|(_, c)| c.outcome.as_str())
            .unwrap_or_default()
    };
    let measured: Vec<Vec<(&'static str, Measure)>> = jobs
        .par_iter()
        .enumerate()
        .map(|(i, (_, _, _, g))| measures(g, cfg, i as u64))
        .collect();
    let mut out = Vec::new();
    for ((o, est, age, _), ms) in jobs.iter().zip(measured) {
        for (name, m) in ms {
            out.push(InequalityRow {
                outcome: outcome_name(*o).to_owned(),
                estimator: (*est).to_owned(),
                age: *age as u8,
                measure: name.to_owned(),
                value: m.value,
                lower: m.ci.lower,
                upper: m.ci.upper,
            });
        }
    }
    out
}

/// The five measures for one set of deciles; the SII simulation has its own seed.
fn measures(g: &[GroupEstimate], cfg: &StudyConfig, job: u64) -> Vec<(&'static str, Measure)> {
    let (d1, d10) = (&g[0], &g[DECILES - 1]);
    let mut out = Vec::with_capacity(5);
    if let Some(r) = ratio(d1, d10, cfg.level) {
        out.push(("ratio_d1_d10", r));
    }
    out.push(("diff_d1_d10", difference(d1, d10, cfg.level)));
    let options = SiiOptions {
        repetitions: cfg.sii_repetitions as usize,
        seed: cfg
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(job),
    };
    if let Some(s) = slope_indices(g, cfg.level, options) {
        out.push(("sii", s.sii));
        out.push(("rii", s.rii));
    }
    if let Some(c) = concentration_index(g, cfg.level) {
        out.push(("concentration_index", c));
    }
    out
}
