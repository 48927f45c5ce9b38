//! The estimation stage: every curve, correction table and inequality measure of a
//! study, for every outcome and stratum ([`estimate`]).

use crate::bootstrap;
use crate::correction_tables::{self, Fitted, Labels};
use crate::curves::{
    Corrected, Curve, CurveEstimator, CurveKey, Kind, OutcomeYears, Point, Strata,
    corrected_curves, place_years, pooled_model, unadjusted_curves,
};
use crate::denominators::Denominators;
use crate::error::EstimateError;
use crate::frame::Frame;
use crate::model_error::{self, Rho};
use crate::results::{BackwardHazard, CorrectionBound, CorrectionCell, Recurrence, Unplaced};
use crate::spec::EstimateSpec;
use crate::spec::OUT_AGES;
use crate::split::{SplitCorrection, SplitSummary, subtract_into};
use crate::strata::Stratification;
use cumin_census::{CensusYear, Episodes, NoProgress, Progress};
use cumin_cohort::{Events, Identity};
use cumin_link::LinkageMode;
use std::cell::OnceCell;
use std::collections::BTreeMap;

/// Everything the estimators produce, before disclosure control.
#[derive(Clone, Debug, Default)]
pub struct Estimates {
    /// Every curve: per outcome, stratification, stratum and estimator, the corrected
    /// curve then the unadjusted one; the periods' life tables ([`Kind::Period`]) among
    /// them.
    pub curves: Vec<Curve>,
    /// The left-censoring factor of every corrected cohort × age.
    pub corrections: Vec<CorrectionCell>,
    /// The correction model's backward hazards.
    pub hazards: Vec<BackwardHazard>,
    /// How each corrected estimate moves with the correction.
    pub bounds: Vec<CorrectionBound>,
    /// The deciles' populations by age (with `idaci_decile` among the stratifications):
    /// the weights of the deprivation gradients, which are computed from released
    /// curves ([`crate::inequality::measures`]).
    pub decile_populations: Option<crate::inequality::DecilePopulations>,
    /// Event years with an unknown stratum, per stratification other than `all`.
    pub unplaced: Vec<Unplaced>,
    /// Recurrence after a first event.
    pub recurrence: Vec<Recurrence>,
    /// The split-identity correction's diagnostics, under `corrected` linkage.
    pub split: Option<SplitSummary>,
}

/// Runs every estimator `spec` asks for on the children of `identity` (linked from
/// `episodes`) and their `events` (found by `spec.rules`), with `denominators`. Under
/// `corrected` linkage the split-identity correction is estimated and applied too.
pub fn estimate(
    episodes: &Episodes,
    identity: &Identity,
    events: &Events,
    denominators: &Denominators,
    spec: &EstimateSpec,
) -> Result<Estimates, EstimateError> {
    let inputs = (episodes, identity, events, denominators);
    estimate_with_progress(inputs, spec, &NoProgress)
}

/// [`estimate`], reporting its stages to `progress`: the curve sets (one outcome under
/// one stratification each), the bootstrap replicates, then inequality and recurrence.
pub fn estimate_with_progress(
    (episodes, identity, events, denominators): (&Episodes, &Identity, &Events, &Denominators),
    spec: &EstimateSpec,
    progress: &dyn Progress,
) -> Result<Estimates, EstimateError> {
    let frame = Frame::new(denominators, spec)?;
    let strata: Vec<Strata> = spec
        .strata
        .iter()
        .map(|&by| Strata {
            by,
            levels: denominators.tables(by).into_iter().collect(),
        })
        .collect();
    let place = |o, ev| place_years(o, ev, &strata, identity, denominators);
    let mut run = Run::new(&frame, spec, progress);
    let mut years = Vec::with_capacity(spec.outcomes.len());
    for &o in &spec.outcomes {
        let (placed, unknown) = place(o, cumin_cohort::event_years(&events.all[o.index()]))?;
        crate::curves::check_events(denominators, &strata, &frame, &placed)?;
        for (s, u) in strata.iter().zip(unknown) {
            if s.by != Stratification::ALL {
                run.out.unplaced.push(Unplaced {
                    by: s.by,
                    outcome: o,
                    event_years: u as f64,
                });
            }
        }
        years.push(placed);
    }
    let split = if identity.linkage_mode == LinkageMode::Corrected {
        let mut sc = SplitCorrection::build(episodes, identity, events, &spec.outcomes);
        sc.place(|o, ev| place(o, ev).map(|p| p.0))?;
        Some(sc)
    } else {
        None
    };
    run.out.split = split.as_ref().map(SplitCorrection::summary);
    run.split = split.as_ref();
    let ghost_weights = split.as_ref().map(|sc| sc.weights(|_| 1.0, |_| 1.0));
    run.ghost_weights = ghost_weights.as_deref();
    progress.begin_counting(
        "estimating",
        Some((years.len() * strata.len()) as u64),
        "curve sets",
    );
    for (oi, oy) in years.iter().enumerate() {
        run.outcome(oi, oy, &strata);
    }
    progress.end();
    Ok(run.finish(&years, &strata, events))
}

/// The estimation of one study, as it accumulates.
struct Run<'a> {
    frame: &'a Frame,
    spec: &'a EstimateSpec,
    split: Option<&'a SplitCorrection>,
    ghost_weights: Option<&'a [f64]>,
    curves: Vec<(CurveKey, Curve)>,
    model_sd: BTreeMap<CurveKey, [f64; OUT_AGES]>,
    out: Estimates,
    progress: &'a dyn Progress,
}

impl<'a> Run<'a> {
    fn new(frame: &'a Frame, spec: &'a EstimateSpec, progress: &'a dyn Progress) -> Run<'a> {
        Run {
            progress,
            frame,
            spec,
            split: None,
            ghost_weights: None,
            curves: Vec::new(),
            model_sd: BTreeMap::new(),
            out: Estimates::default(),
        }
    }

    /// One outcome under every stratification. The whole population's back-test of the
    /// correction's model (`all` comes first) sets every stratification's model error.
    fn outcome(&mut self, oi: usize, oy: &OutcomeYears, strata: &[Strata]) {
        let mut rho_all = None;
        for (k, s) in strata.iter().enumerate() {
            let own = self.stratification(oi, oy, k, s, rho_all);
            if s.by == Stratification::ALL {
                rho_all = Some(own);
            }
            self.progress.advance(1);
        }
    }

    /// One outcome under stratification `k`: every stratum's tables (less the split
    /// correction's ghosts), its correction (a stratum that cannot fit its own model
    /// borrows the pooled one), its curves and correction tables. Returns the
    /// stratification's own back-tested model error.
    fn stratification(
        &mut self,
        oi: usize,
        oy: &OutcomeYears,
        k: usize,
        s: &Strata,
        rho_all: Option<f64>,
    ) -> f64 {
        let frame = self.frame;
        let mut tables = cumin_cohort::tabulate_years(
            &oy.years,
            &oy.strata[k],
            s.levels.len(),
            &frame.cohorts,
            |_| 1.0,
        );
        if let (Some(sc), Some(gw)) = (self.split, self.ghost_weights) {
            subtract_into(&mut tables, &sc.tables(oi, k, s, frame, gw));
        }
        // Fitted only if some stratum cannot fit its own model.
        let pooled = OnceCell::new();
        let fallback = || {
            pooled
                .get_or_init(|| pooled_model(&tables, s.levels.iter().map(|l| &l.1), frame))
                .as_ref()
        };
        let fitted: Vec<Corrected> = s
            .levels
            .iter()
            .zip(&tables)
            .map(|((_, population), t)| {
                corrected_curves(t, population, frame, &self.spec.estimators, fallback)
            })
            .collect();
        let own = model_error::extrapolation_error(fitted.iter().map(|c| &c.correction));
        let rho = Rho {
            applied: rho_all.unwrap_or(own),
            own,
        };
        for (l, (((stratum, population), t), corrected)) in
            s.levels.iter().zip(&tables).zip(&fitted).enumerate()
        {
            let labels = Labels {
                outcome: oy.outcome,
                by: s.by,
                stratum,
            };
            let key = CurveKey {
                outcome: oi,
                by: k,
                stratum: l,
                kind: Kind::LifeTable,
            };
            self.stratum(key, &labels, (t, population, corrected), rho);
        }
        own
    }

    /// One stratum: its corrected and unadjusted curves, each corrected curve's model
    /// error, and its correction tables.
    fn stratum(
        &mut self,
        key: CurveKey,
        labels: &Labels<'_>,
        (tables, population, corrected): (
            &cumin_cohort::YearTables,
            &ndarray::Array2<f64>,
            &Corrected,
        ),
        rho: Rho,
    ) {
        let (frame, estimators) = (self.frame, &self.spec.estimators);
        let unadjusted = unadjusted_curves(tables, population, frame, estimators);
        let observed_only =
            model_error::observed_only_curves(tables, population, frame, estimators, corrected);
        let sds: Vec<[f64; OUT_AGES]> = corrected
            .curves
            .iter()
            .zip(&observed_only)
            .map(|((_, c), (_, p))| model_error::extrapolation_sd(c, p, rho.applied))
            .collect();
        for (((kind, c), (_, u)), sd) in corrected.curves.iter().zip(&unadjusted).zip(&sds) {
            let key = CurveKey { kind: *kind, ..key };
            self.model_sd.insert(key, *sd);
            self.curves.push((key, curve(labels, *kind, true, c)));
            self.curves.push((key, curve(labels, *kind, false, u)));
        }
        self.out
            .corrections
            .extend(correction_tables::correction_cells(
                labels,
                tables,
                &corrected.factors,
                frame,
            ));
        self.out.hazards.extend(correction_tables::backward_hazards(
            labels,
            &corrected.correction,
        ));
        let fitted = Fitted {
            tables,
            population,
            corrected,
            observed_only: &observed_only,
            model_sd: &sds,
        };
        self.out.bounds.extend(correction_tables::correction_bounds(
            labels, &fitted, frame, estimators, rho,
        ));
    }

    /// Bootstrap intervals, the model error, inequality and recurrence.
    fn finish(mut self, years: &[OutcomeYears], strata: &[Strata], events: &Events) -> Estimates {
        let spec = self.spec;
        if spec.bootstrap > 0 {
            self.progress.begin_counting(
                "bootstrap",
                Some(u64::from(spec.bootstrap)),
                "replicates",
            );
            bootstrap::replace_intervals(
                &mut self.curves,
                (years, strata, self.frame),
                spec,
                self.split,
                self.progress,
            );
            self.progress.end();
        }
        self.progress.begin("inequality and recurrence", None);
        model_error::add_model_error(&mut self.curves, &self.model_sd, spec.level);
        self.out.decile_populations = crate::inequality::decile_populations(strata, self.frame);
        let last_year = CensusYear::containing(spec.rules.data_end);
        self.out.recurrence = spec
            .outcomes
            .iter()
            .flat_map(|o| crate::recurrence::recurrence(*o, &events.all[o.index()], last_year))
            .collect();
        self.out.curves = self.curves.into_iter().map(|(_, c)| c).collect();
        self.progress.end();
        self.out
    }
}

/// One curve of one stratum, from an estimator's output.
fn curve(
    labels: &Labels<'_>,
    kind: Kind,
    corrected: bool,
    estimates: &[cumin_stats::AgeEstimate],
) -> Curve {
    Curve {
        outcome: labels.outcome,
        estimator: CurveEstimator::of(kind, corrected),
        by: labels.by,
        stratum: labels.stratum.clone(),
        kind,
        corrected,
        points: estimates
            .iter()
            .map(|e| Point::from_estimate(e, kind))
            .collect(),
    }
}
