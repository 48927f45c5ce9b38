//! The estimation stage: every curve, correction table and inequality measure of a
//! study, for every outcome and stratum ([`estimate`]).

use crate::bootstrap;
use crate::correction_tables::{self, Fitted, Labels};
use crate::curves::{
    Corrected, Curve, CurveEstimator, CurveKey, Kind, OutcomeYears, Point, Strata,
    corrected_curves, place_years, pooled_cells, pooled_models, unadjusted_curves,
};
use crate::denominators::Denominators;
use crate::error::EstimateError;
use crate::frame::Frame;
use crate::model_error::{self, Rho};
use crate::results::{
    BackwardHazard, CorrectionBound, CorrectionCell, InequalityMeasure, Recurrence, Unplaced,
};
use crate::spec::EstimateSpec;
use crate::spec::OUT_AGES;
use crate::split::{SplitCorrection, SplitSummary, subtract_into};
use crate::strata::Stratification;
use cumin_census::{CensusYear, Episodes};
use cumin_cohort::{Events, Identity};
use cumin_link::LinkageMode;
use cumin_stats::{BackwardCells, Form};
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
    /// Deprivation gradients (with `idaci_decile` among the stratifications).
    pub inequality: Vec<InequalityMeasure>,
    /// Event years with an unknown stratum, per stratification other than `all`.
    pub unplaced: Vec<Unplaced>,
    /// Recurrence after a first event.
    pub recurrence: Vec<Recurrence>,
    /// The split-identity correction's diagnostics, under `corrected` linkage.
    pub split: Option<SplitSummary>,
    /// Per outcome, the left-censoring correction's model forms: each candidate's
    /// back-test on the whole population and the forms averaged.
    pub forms: Vec<FormChoice>,
}

/// The model forms of one outcome's left-censoring correction (docs/methods.md §5.3).
#[derive(Clone, Debug, PartialEq)]
pub struct FormChoice {
    /// The outcome.
    pub outcome: cumin_census::Outcome,
    /// Each candidate form's back-tested `ρ` on the whole population (`None`: no
    /// back-test possible, or its fit failed).
    pub backtests: Vec<(Form, Option<f64>)>,
    /// The forms whose modelled hazards are averaged, best back-test first.
    pub chosen: Vec<Form>,
}

impl FormChoice {
    /// Chooses among [`cumin_stats::CANDIDATE_FORMS`] by their back-tests on `cells`
    /// (the whole population's): [`cumin_stats::plausible_forms`].
    pub fn choose(outcome: cumin_census::Outcome, cells: Option<&BackwardCells>) -> FormChoice {
        let backtests: Vec<(Form, Option<f64>)> = cumin_stats::CANDIDATE_FORMS
            .iter()
            .map(|&f| {
                let rho = cells
                    .and_then(|c| cumin_stats::backtest(c, model_error::BACKTEST_HELD_OUT, f))
                    .map(|b| b.rho);
                (f, rho)
            })
            .collect();
        let chosen = cumin_stats::plausible_forms(&backtests);
        FormChoice {
            outcome,
            backtests,
            chosen,
        }
    }
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
    let mut run = Run::new(&frame, spec);
    let mut years = Vec::with_capacity(spec.outcomes.len());
    for &o in &spec.outcomes {
        let (placed, unknown) = place(o, cumin_cohort::event_years(&events.all[o.index()]))?;
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
    for (oi, oy) in years.iter().enumerate() {
        run.outcome(oi, oy, &strata);
    }
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
}

impl<'a> Run<'a> {
    fn new(frame: &'a Frame, spec: &'a EstimateSpec) -> Run<'a> {
        Run {
            frame,
            spec,
            split: None,
            ghost_weights: None,
            curves: Vec::new(),
            model_sd: BTreeMap::new(),
            out: Estimates::default(),
        }
    }

    /// One outcome under every stratification. The whole population's back-tests
    /// (`all` comes first) choose the correction's model forms and set every
    /// stratification's model error.
    fn outcome(&mut self, oi: usize, oy: &OutcomeYears, strata: &[Strata]) {
        let mut rho_all = None;
        let mut forms: Option<FormChoice> = None;
        for (k, s) in strata.iter().enumerate() {
            let tables = self.tables(oi, oy, k, s);
            let forms = forms.get_or_insert_with(|| {
                let cells = pooled_cells(&tables, s.levels.iter().map(|l| &l.1), self.frame);
                FormChoice::choose(oy.outcome, cells.as_ref())
            });
            let chosen = forms.chosen.clone();
            let own = self.stratification(oi, oy.outcome, k, s, &tables, &chosen, rho_all);
            if s.by == Stratification::ALL {
                rho_all = Some(own);
            }
        }
        self.out.forms.extend(forms);
    }

    /// Outcome `oi`'s tables under stratification `k`, less the split correction's
    /// ghosts.
    fn tables(
        &self,
        oi: usize,
        oy: &OutcomeYears,
        k: usize,
        s: &Strata,
    ) -> Vec<cumin_cohort::YearTables> {
        let mut tables = cumin_cohort::tabulate_years(
            &oy.years,
            &oy.strata[k],
            s.levels.len(),
            &self.frame.cohorts,
            |_| 1.0,
        );
        if let (Some(sc), Some(gw)) = (self.split, self.ghost_weights) {
            subtract_into(&mut tables, &sc.tables(oi, k, s, self.frame, gw));
        }
        tables
    }

    /// One outcome under stratification `k`: every stratum's correction (its modelled
    /// hazards averaged over `forms`; a stratum that cannot fit a form borrows the pooled
    /// one), its curves and correction tables. Returns the stratification's own
    /// back-tested model error.
    #[allow(clippy::too_many_arguments)] // one stratification's inputs, passed through
    fn stratification(
        &mut self,
        oi: usize,
        outcome: cumin_census::Outcome,
        k: usize,
        s: &Strata,
        tables: &[cumin_cohort::YearTables],
        forms: &[Form],
        rho_all: Option<f64>,
    ) -> f64 {
        let frame = self.frame;
        // Fitted only if some stratum cannot fit its own model of some form.
        let pooled = OnceCell::new();
        let fallback = |f: Form| {
            pooled
                .get_or_init(|| pooled_models(tables, s.levels.iter().map(|l| &l.1), frame, forms))
                .get(f)
        };
        let fitted: Vec<Corrected> = s
            .levels
            .iter()
            .zip(tables)
            .map(|((_, population), t)| {
                corrected_curves(t, population, frame, &self.spec.estimators, forms, fallback)
            })
            .collect();
        let own = model_error::extrapolation_error(fitted.iter().map(|c| &c.correction), forms);
        let rho = Rho {
            applied: rho_all.unwrap_or(own),
            own,
        };
        for (l, (((stratum, population), t), corrected)) in
            s.levels.iter().zip(tables).zip(&fitted).enumerate()
        {
            let labels = Labels {
                outcome,
                by: s.by,
                stratum,
            };
            let key = CurveKey {
                outcome: oi,
                by: k,
                stratum: l,
                kind: Kind::LifeTable,
            };
            let spread = model_error::form_spread(
                t,
                population,
                frame,
                &self.spec.estimators,
                forms,
                fallback,
                corrected.curves.len(),
            );
            self.stratum(key, &labels, (t, population, corrected), rho, &spread);
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
        spread: &[[f64; OUT_AGES]],
    ) {
        let (frame, estimators) = (self.frame, &self.spec.estimators);
        let unadjusted = unadjusted_curves(tables, population, frame, estimators);
        let observed_only =
            model_error::observed_only_curves(tables, population, frame, estimators, corrected);
        let z = cumin_stats::z_for(frame.level);
        let sds: Vec<[f64; OUT_AGES]> = corrected
            .curves
            .iter()
            .zip(&observed_only)
            .zip(spread)
            .map(|(((_, c), (_, p)), spread)| {
                let mut sd = model_error::extrapolation_sd(c, p, rho.applied);
                for (sd, half) in sd.iter_mut().zip(spread) {
                    *sd = sd.hypot(half / z);
                }
                sd
            })
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
            form_spread: spread,
        };
        self.out.bounds.extend(correction_tables::correction_bounds(
            labels, &fitted, frame, estimators, rho,
        ));
    }

    /// Bootstrap intervals, the model error, inequality and recurrence.
    fn finish(mut self, years: &[OutcomeYears], strata: &[Strata], events: &Events) -> Estimates {
        let spec = self.spec;
        if spec.bootstrap > 0 {
            let forms: Vec<Vec<Form>> = self.out.forms.iter().map(|f| f.chosen.clone()).collect();
            let inputs = bootstrap::Inputs {
                years,
                strata,
                frame: self.frame,
                spec,
                split: self.split,
                forms: &forms,
            };
            bootstrap::replace_intervals(&mut self.curves, &inputs);
        }
        model_error::add_model_error(&mut self.curves, &self.model_sd, spec.level);
        self.out.inequality = crate::inequality::measures(&self.curves, strata, self.frame, spec);
        let last_year = CensusYear::containing(spec.rules.data_end);
        self.out.recurrence = spec
            .outcomes
            .iter()
            .flat_map(|o| crate::recurrence::recurrence(*o, &events.all[o.index()], last_year))
            .collect();
        self.out.curves = self.curves.into_iter().map(|(_, c)| c).collect();
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
