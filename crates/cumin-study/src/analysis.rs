//! The estimation stage of a run: every curve, correction table and inequality measure,
//! as rows ready for disclosure control.

use crate::bootstrap;
use crate::config::{SpliceDesign, StudyConfig};
use crate::denominators::Denominators;
use crate::error::StudyError;
use crate::estimators::{
    self, Curve, Frame, Kind, OUT_AGES, Point, Strata, corrected_curves, curves_with,
    estimator_name, first_in_observed_years, unadjusted_curves,
};
use crate::inequality;
use crate::split::SplitCorrection;
use crate::strata::Stratification;
use cumin_census::Outcome;
use cumin_cohort::{ChildTable, EventRules, Events, YearTables};
use cumin_link::{EpisodeSet, IdMode};
use cumin_report::{
    BackwardHazardRow, CiRow, CorrectionRow, InequalityRow, SensitivityRow, TrendRow, UnplacedRow,
};
use cumin_stats::Source;
use ndarray::Array2;
use std::cell::OnceCell;
use std::collections::BTreeMap;

/// Everything the estimators produce, before disclosure control.
#[derive(Clone, Debug, Default)]
pub struct Estimates {
    /// `cumulative_incidence.csv`.
    pub ci: Vec<CiRow>,
    /// `trend.csv`.
    pub trend: Vec<TrendRow>,
    /// `corrections.csv`.
    pub corrections: Vec<CorrectionRow>,
    /// `correction_model.csv`.
    pub hazards: Vec<BackwardHazardRow>,
    /// `correction_sensitivity.csv`.
    pub sensitivity: Vec<SensitivityRow>,
    /// `inequality.csv`.
    pub inequality: Vec<InequalityRow>,
    /// `strata.csv`: event years with an unknown stratum.
    pub unplaced: Vec<UnplacedRow>,
}

/// Where each curve came from, for the bootstrap to find it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CurveKey {
    /// Index into the outcomes.
    pub outcome: usize,
    /// Index into the stratifications.
    pub by: usize,
    /// Index into the stratification's strata.
    pub stratum: usize,
    /// Which curve.
    pub kind: Kind,
}

/// Runs every estimator the study asks for.
#[allow(clippy::too_many_arguments)]
pub fn estimate(
    cfg: &StudyConfig,
    stratifications: &[Stratification],
    outcomes: &[Outcome],
    denominators: &Denominators,
    rules: &EventRules,
    set: &EpisodeSet,
    children: &ChildTable,
    events: &Events,
    split: Option<SplitCorrection>,
) -> Result<Estimates, StudyError> {
    let n = denominators.n_cohorts();
    let observed = crate::pipeline::observed_cells(denominators.first_cohort, n, rules);
    let all_population = denominators
        .tables(Stratification::ALL)
        .remove("all")
        .unwrap_or_else(|| Array2::zeros((n, OUT_AGES)));
    let design = match cfg.splice_design {
        SpliceDesign::LongestLookback => {
            crate::pipeline::longest_lookback_design(&observed, &all_population)
        }
        SpliceDesign::Jay2025 => jay_design(denominators, &observed, &all_population)?,
    };
    let frame = estimators::frame(cfg, denominators, observed, design);
    let strata: Vec<Strata> = stratifications
        .iter()
        .map(|&by| Strata {
            by,
            levels: denominators.tables(by).into_iter().collect(),
        })
        .collect();
    let mut out = Estimates::default();
    let mut years = Vec::with_capacity(outcomes.len());
    for &o in outcomes {
        let ey = cumin_cohort::event_years(&events.all[o.index()]);
        let (placed, unknown) =
            estimators::place_years(o, ey, &strata, set, children, denominators)?;
        crate::denominators::check_events(denominators, &strata, &frame, &placed)?;
        for (s, u) in strata.iter().zip(unknown) {
            if s.by != Stratification::ALL {
                out.unplaced.push(UnplacedRow {
                    stratum_var: s.by.name(),
                    outcome: o.as_str().to_owned(),
                    event_years: u as f64,
                });
            }
        }
        years.push(placed);
    }
    let split = match split {
        Some(mut sc) => {
            sc.place(|o, ev| {
                estimators::place_years(o, ev, &strata, set, children, denominators).map(|p| p.0)
            })?;
            Some(sc)
        }
        None => None,
    };
    let ghost_weights = split.as_ref().map(|sc| sc.weights(|_| 1.0, |_| 1.0));
    let mut curves: Vec<(CurveKey, Curve)> = Vec::new();
    let mut model_sd: BTreeMap<CurveKey, [f64; OUT_AGES]> = BTreeMap::new();
    for (oi, oy) in years.iter().enumerate() {
        // The whole population's back-test, for every stratification's model error
        // (`extrapolation_error`); `all` comes first.
        let mut rho_all = None;
        for (k, s) in strata.iter().enumerate() {
            let mut tables = cumin_cohort::tabulate_years(
                &oy.years,
                &oy.strata[k],
                s.levels.len(),
                &frame.cohorts,
                |_| 1.0,
            );
            if let (Some(sc), Some(gw)) = (&split, &ghost_weights) {
                crate::split::subtract_into(&mut tables, &sc.tables(oi, k, s, &frame, gw));
            }
            // Fitted only if some stratum cannot fit its own model.
            let pooled = OnceCell::new();
            let fallback = || {
                pooled
                    .get_or_init(|| {
                        estimators::pooled_model(&tables, s.levels.iter().map(|l| &l.1), &frame)
                    })
                    .as_ref()
            };
            let fitted: Vec<estimators::Corrected> = s
                .levels
                .iter()
                .zip(&tables)
                .map(|((_, population), t)| {
                    corrected_curves(t, population, &frame, &cfg.estimators, fallback)
                })
                .collect();
            let own_rho = extrapolation_error(fitted.iter().map(|c| &c.correction));
            if s.by == Stratification::ALL {
                rho_all = Some(own_rho);
            }
            let rho = Rho {
                applied: rho_all.unwrap_or(own_rho),
                own: own_rho,
            };
            for (l, (((label, population), t), corrected)) in
                s.levels.iter().zip(&tables).zip(&fitted).enumerate()
            {
                let labels = Labels {
                    outcome: oy.outcome,
                    by: s.by,
                    stratum: label,
                };
                let unadjusted = unadjusted_curves(t, population, &frame, &cfg.estimators);
                let partial = observed_only_curves(t, population, &frame, cfg, corrected);
                let sds: Vec<[f64; OUT_AGES]> = corrected
                    .curves
                    .iter()
                    .zip(&partial)
                    .map(|((_, c), (_, p))| extrapolation_sd(c, p, rho.applied))
                    .collect();
                for (((kind, c), (_, u)), sd) in corrected.curves.iter().zip(&unadjusted).zip(&sds)
                {
                    let key = CurveKey {
                        outcome: oi,
                        by: k,
                        stratum: l,
                        kind: *kind,
                    };
                    model_sd.insert(key, *sd);
                    curves.push((key, labels.curve(*kind, true, c)));
                    curves.push((key, labels.curve(*kind, false, u)));
                }
                out.corrections
                    .extend(correction_rows(&labels, t, &corrected.factors, &frame));
                out.hazards
                    .extend(hazard_rows(&labels, &corrected.correction));
                out.sensitivity.extend(sensitivity_rows(
                    &labels, t, population, &frame, cfg, corrected, &partial, &sds, rho,
                ));
            }
        }
    }
    if cfg.bootstrap > 0 {
        bootstrap::replace_intervals(&mut curves, &years, &strata, &frame, cfg, split.as_ref());
    }
    add_model_error(&mut curves, &model_sd, cfg.level);
    out.inequality = inequality::rows(&curves, &strata, &frame, cfg);
    for (_, c) in &curves {
        let rows = ci_rows(c, cfg.id_mode);
        match c.kind {
            Kind::Period(i) => out.trend.extend(rows.map(|ci| TrendRow {
                ci,
                period: frame.periods[i].to_string(),
            })),
            _ => out.ci.extend(rows),
        }
    }
    Ok(out)
}

/// Jay et al. 2025's fixed design: the cohort row supplying each age 0..=17 (the
/// pre-birth months go with age 0). Every cell must be observed and have a population.
pub fn jay_design(
    denominators: &Denominators,
    observed: &Array2<bool>,
    population: &Array2<f64>,
) -> Result<Vec<Option<usize>>, StudyError> {
    let mut design = vec![None; OUT_AGES];
    for &(cohort, lo, hi) in &crate::jay::BANDS {
        for a in lo.max(0)..=hi {
            let a = a as usize;
            let row = usize::try_from(cohort - denominators.first_cohort.0)
                .ok()
                .filter(|&r| r < observed.nrows());
            let why = match row {
                None => Some("the denominators have no such cohort"),
                Some(r) if !observed[[r, a]] => Some(
                    "that age does not lie wholly inside the window and the data \
                     (--window-start, the extract's last census year)",
                ),
                Some(r) if population[[r, a]] <= 0.0 => {
                    Some("the denominators give it no population")
                }
                Some(_) => None,
            };
            if let Some(why) = why {
                return Err(StudyError::Config(format!(
                    "{}: the jay2025 splice design takes age {a} from the cohort born in \
                     {}/{:02}, but {why}",
                    denominators.path.display(),
                    cohort - 1,
                    cohort % 100
                )));
            }
            design[a] = row;
        }
    }
    Ok(design)
}

/// The labels shared by one stratum's rows.
struct Labels<'a> {
    outcome: Outcome,
    by: Stratification,
    stratum: &'a str,
}

impl Labels<'_> {
    fn curve(&self, kind: Kind, corrected: bool, estimates: &[cumin_stats::AgeEstimate]) -> Curve {
        Curve {
            outcome: self.outcome,
            estimator: estimator_name(kind, corrected),
            by: self.by,
            stratum: self.stratum.to_owned(),
            kind,
            corrected,
            points: estimates
                .iter()
                .map(|e| Point::from_estimate(e, kind))
                .collect(),
        }
    }
}

fn ci_rows(c: &Curve, id_mode: IdMode) -> impl Iterator<Item = CiRow> + '_ {
    c.points.iter().map(move |p| CiRow {
        outcome: c.outcome.as_str().to_owned(),
        estimator: c.estimator.to_owned(),
        id_mode: id_mode.as_str().to_owned(),
        stratum_var: c.by.name(),
        stratum: c.stratum.clone(),
        age: p.age as u8,
        events: Some(p.events),
        at_risk: Some(p.at_risk),
        cum_inc: Some(p.cum_inc),
        lower: Some(p.ci.lower),
        upper: Some(p.ci.upper),
        suppressed: false,
    })
}

/// One row per cohort born before the window × age it is observed at.
fn correction_rows(
    labels: &Labels<'_>,
    tables: &YearTables,
    factors: &cumin_stats::Factors,
    frame: &Frame,
) -> Vec<CorrectionRow> {
    let observed_first = first_in_observed_years(tables);
    let mut rows = Vec::new();
    for (b, entry) in frame.cohorts.entry.iter().enumerate() {
        let Some(entry) = *entry else { continue };
        if entry == 0 {
            continue;
        }
        for a in usize::from(entry)..OUT_AGES {
            if !frame.observed[[b, a]] {
                continue;
            }
            rows.push(CorrectionRow {
                outcome: labels.outcome.as_str().to_owned(),
                stratum_var: labels.by.name(),
                stratum: labels.stratum.to_owned(),
                birth_year: estimators::cohort_of(frame, b).0,
                age: a as u8,
                entry_age: entry,
                first_observed: tables.first_observed[[b, a]],
                first_in_observed_years: observed_first[[b, a]],
                factor: factors.factor[[b, a]],
                extrapolated_factor: factors.extrapolated[[b, a]],
                corrected: observed_first[[b, a]] * factors.factor[[b, a]],
            });
        }
    }
    rows
}

fn hazard_rows(labels: &Labels<'_>, c: &cumin_stats::Correction) -> Vec<BackwardHazardRow> {
    let n = c.hazard.nrows();
    let mut rows = Vec::new();
    for a in 1..n {
        for x in 0..a {
            rows.push(BackwardHazardRow {
                outcome: labels.outcome.as_str().to_owned(),
                stratum_var: labels.by.name(),
                stratum: labels.stratum.to_owned(),
                age: a as u8,
                earlier_age: x as u8,
                children: c.cells.children[[a, x]],
                with_event: c.cells.with_event[[a, x]],
                hazard: c.hazard[[a, x]],
                source: c.source[[a, x]].as_str().to_owned(),
            });
        }
    }
    debug_assert!(
        rows.iter()
            .all(|r| r.source != Source::Observed.as_str() || r.children > 0.0)
    );
    rows
}

/// Adds the correction model's error (`extrapolation_sd`, independent of the sampling
/// error) to every corrected curve's standard error and interval.
fn add_model_error(
    curves: &mut [(CurveKey, Curve)],
    model_sd: &BTreeMap<CurveKey, [f64; OUT_AGES]>,
    level: f64,
) {
    for (key, curve) in curves.iter_mut().filter(|(_, c)| c.corrected) {
        let Some(sd) = model_sd.get(key) else {
            continue;
        };
        for p in &mut curve.points {
            let m = sd[p.age];
            if m > 0.0 {
                p.ci = cumin_stats::widen(p.ci, p.cum_inc, m, level);
                p.se = p.se.hypot(m);
            }
        }
    }
}

/// The back-tested relative errors of the correction's model for one stratification.
#[derive(Clone, Copy, Debug)]
struct Rho {
    /// Applied to the modelled part of every estimate: the whole population's.
    applied: f64,
    /// This stratification's own, pooled over its strata (reported only).
    own: f64,
}

/// How many of the longest observed distances the back-test of the correction's model
/// holds out (`cumin_stats::backtest`).
const BACKTEST_HELD_OUT: usize = 3;

/// The back-tested relative error of the correction's model, pooled over the strata of
/// a stratification (each stratum fits its own model, of the same form; one stratum's
/// back-test alone is mostly noise in small strata); 1 (the whole modelled part of the
/// correction is uncertain) where too few distances are observed to test it.
fn extrapolation_error<'a>(corrections: impl Iterator<Item = &'a cumin_stats::Correction>) -> f64 {
    let tests: Vec<cumin_stats::Backtest> = corrections
        .filter_map(|c| cumin_stats::backtest(&c.cells, BACKTEST_HELD_OUT))
        .collect();
    cumin_stats::pooled_rho(&tests).unwrap_or(1.0)
}

/// Per age, the standard deviation of a corrected curve's extrapolation error:
/// `ρ × |F_observed_only − F|`, the part of the estimate that rests on the model scaled
/// by how wrong the model was where it could be checked.
fn extrapolation_sd(
    full: &[cumin_stats::AgeEstimate],
    observed_only: &[cumin_stats::AgeEstimate],
    rho: f64,
) -> [f64; OUT_AGES] {
    let mut sd = [0.0; OUT_AGES];
    for p in full {
        if let Some(q) = observed_only.iter().find(|q| q.age == p.age) {
            let d = rho * (q.cum_inc - p.cum_inc).abs();
            if d.is_finite() {
                sd[p.age] = d;
            }
        }
    }
    sd
}

/// Every corrected curve recomputed with only observed backward hazards.
fn observed_only_curves(
    tables: &YearTables,
    population: &Array2<f64>,
    frame: &Frame,
    cfg: &StudyConfig,
    corrected: &estimators::Corrected,
) -> Vec<(Kind, Vec<cumin_stats::AgeEstimate>)> {
    let observed_only = corrected
        .correction
        .observed_only()
        .factors(
            &frame
                .cohorts
                .entry
                .iter()
                .map(|e| e.map(usize::from))
                .collect::<Vec<_>>(),
            OUT_AGES,
        )
        .factor;
    curves_with(&observed_only, tables, population, frame, &cfg.estimators)
}

/// Each corrected curve recomputed with `c = 1` and with only observed backward hazards,
/// and the extrapolation error that follows.
#[allow(clippy::too_many_arguments)]
fn sensitivity_rows(
    labels: &Labels<'_>,
    tables: &YearTables,
    population: &Array2<f64>,
    frame: &Frame,
    cfg: &StudyConfig,
    corrected: &estimators::Corrected,
    partial: &[(Kind, Vec<cumin_stats::AgeEstimate>)],
    sds: &[[f64; OUT_AGES]],
    rho: Rho,
) -> Vec<SensitivityRow> {
    let ones = Array2::from_elem(corrected.factors.factor.dim(), 1.0);
    let none = curves_with(&ones, tables, population, frame, &cfg.estimators);
    let mut rows = Vec::new();
    for ((((kind, full), (_, none)), (_, partial)), sd) in
        corrected.curves.iter().zip(&none).zip(partial).zip(sds)
    {
        if matches!(kind, Kind::Period(_)) {
            continue;
        }
        for p in full {
            let at = |curve: &[cumin_stats::AgeEstimate]| {
                curve
                    .iter()
                    .find(|e| e.age == p.age)
                    .map_or(f64::NAN, |e| e.cum_inc)
            };
            rows.push(SensitivityRow {
                outcome: labels.outcome.as_str().to_owned(),
                estimator: estimator_name(*kind, true).to_owned(),
                stratum_var: labels.by.name(),
                stratum: labels.stratum.to_owned(),
                age: p.age as u8,
                no_correction: at(none),
                observed_only: at(partial),
                corrected: p.cum_inc,
                extrapolation_error: rho.applied,
                stratification_extrapolation_error: rho.own,
                extrapolation_sd: sd[p.age],
            });
        }
    }
    rows
}
