//! The estimation stage: every curve, correction table and inequality measure of a
//! study, for every outcome and stratum ([`estimate`]).

mod ghosts;
mod prepared;
mod published;

use crate::bootstrap;
use crate::correction_tables::{self, Fitted, Labels};
use crate::curves::{
    Corrected, Curve, CurveKey, Kind, OutcomeYears, PooledModels, Strata, corrected_curves,
    pooled_cells, pooled_models, unadjusted_curves,
};
use crate::denominators::Denominators;
use crate::error::EstimateError;
use crate::frame::Frame;
use crate::model_error::{self, Rho};
use crate::results::{BackwardHazard, CorrectionBound, CorrectionCell, Recurrence, Unplaced};
use crate::spec::EstimateSpec;
use crate::spec::OUT_AGES;
use crate::split::{Ghosts, SplitSummary};
use crate::strata::Stratification;
use cumin_census::{Episodes, NoProgress, Progress};
use cumin_cohort::{Events, Identity, YearTables};
use cumin_stats::{BackwardCells, BackwardModel, Form};
use ghosts::every_ghost;
pub use prepared::Prepared;
use published::{curve, entered_by_age};
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
    /// Per outcome, the left-censoring correction's model forms: each candidate's
    /// back-test on the whole population and the forms averaged.
    pub forms: Vec<FormChoice>,
    /// Nested outcomes whose estimates crossed before they were put in order
    /// ([`crate::nesting`]).
    pub nesting: Vec<crate::nesting::Crossing>,
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
    Prepared::new((episodes, identity, events, denominators), spec)?
        .estimate(identity, events, progress)
}

/// One outcome's tables under one stratification: the real children's, the split
/// correction's ghosts (under `corrected`), and the two applied.
struct Tables {
    real: Vec<YearTables>,
    ghosts: Option<Ghosts>,
    used: Vec<YearTables>,
}

/// The estimation of one study, as it accumulates.
struct Run<'a> {
    frame: &'a Frame,
    spec: &'a EstimateSpec,
    /// The split correction's scalings of its ghosts
    /// ([`crate::split::SplitCorrection::scalings`]): all the curves read of it once the
    /// ghosts are found (the correction itself, its key table above all, is dropped
    /// then).
    split_scalings: Option<(f64, f64)>,
    /// The split correction's ghosts per outcome and stratification (none without it),
    /// found before the curves ([`every_ghost`]); the bootstrap applies them too.
    ghosts: Vec<Vec<Option<Ghosts>>>,
    /// The left-censoring models fitted per outcome, stratification and stratum, where
    /// the bootstrap's refits start.
    models: Vec<Vec<Vec<Vec<BackwardModel>>>>,
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
            split_scalings: None,
            ghosts: Vec::new(),
            models: Vec::new(),
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
        self.models.push(Vec::with_capacity(strata.len()));
        for (k, s) in strata.iter().enumerate() {
            let tables = self.tables(oi, oy, k, s);
            let forms = forms.get_or_insert_with(|| {
                let cells = pooled_cells(&tables.used, s.levels.iter().map(|l| &l.1), self.frame);
                FormChoice::choose(oy.outcome, cells.as_ref())
            });
            let chosen = forms.chosen.clone();
            let at = Place {
                oi,
                outcome: oy.outcome,
                k,
            };
            let own = self.stratification(at, s, &tables, &chosen, rho_all);
            if s.by == Stratification::ALL {
                rho_all = Some(own);
            }
            self.progress.advance(1);
        }
        self.out.forms.extend(forms);
    }

    /// Outcome `oi`'s tables under stratification `k`, and the split correction's ghosts.
    fn tables(&mut self, oi: usize, oy: &OutcomeYears, k: usize, s: &Strata) -> Tables {
        let real = cumin_cohort::tabulate_years(
            &oy.years,
            &oy.strata[k],
            s.levels.len(),
            &self.frame.cohorts,
            |_| 1.0,
        );
        let Some(ghosts) = self.ghosts.get(oi).and_then(|g| g[k].clone()) else {
            return Tables {
                used: real.clone(),
                real,
                ghosts: None,
            };
        };
        if s.by == Stratification::ALL
            && let Some(summary) = self.out.split.as_mut()
        {
            summary.per_outcome[oi].2 = ghosts.removed();
        }
        Tables {
            used: ghosts.applied(&real, 1.0, 1.0),
            real,
            ghosts: Some(ghosts),
        }
    }

    /// One outcome under one stratification: every stratum's correction (its modelled
    /// hazards averaged over `forms`; a stratum that cannot fit a form borrows the pooled
    /// one), its curves and correction tables. Returns the stratification's own
    /// back-tested model error.
    fn stratification(
        &mut self,
        at: Place,
        s: &Strata,
        tables: &Tables,
        forms: &[Form],
        rho_all: Option<f64>,
    ) -> f64 {
        let frame = self.frame;
        let estimators = &self.spec.estimators;
        let used = &tables.used;
        // Fitted only if some stratum cannot fit its own model of some form.
        let pooled = OnceCell::new();
        let fallback = |f: Form| {
            pooled
                .get_or_init(|| pooled_models(used, s.levels.iter().map(|l| &l.1), frame, forms))
                .get(f)
        };
        let fitted: Vec<Corrected> = s
            .levels
            .iter()
            .zip(used)
            .map(|((_, population), t)| {
                corrected_curves(t, population, frame, estimators, forms, fallback)
            })
            .collect();
        if let Some(models) = self.models.get_mut(at.oi) {
            models.push(fitted.iter().map(|c| c.correction.models.clone()).collect());
        }
        let own = model_error::extrapolation_error(fitted.iter().map(|c| &c.correction), forms);
        let rho = Rho {
            applied: rho_all.unwrap_or(own),
            own,
        };
        let split_sd = self.split_sd(tables, s, forms, &fitted);
        for (l, (((stratum, population), t), corrected)) in
            s.levels.iter().zip(used).zip(&fitted).enumerate()
        {
            let labels = Labels {
                outcome: at.outcome,
                by: s.by,
                stratum,
            };
            let key = CurveKey {
                outcome: at.oi,
                by: at.k,
                stratum: l,
                kind: Kind::LifeTable,
            };
            let n = corrected.curves.len();
            let spread =
                model_error::form_spread(t, population, frame, estimators, forms, fallback, n);
            let errors = ModelErrors {
                rho,
                spread: &spread,
                split: split_sd.get(l).map_or(&[][..], Vec::as_slice),
            };
            self.stratum(key, &labels, (t, population, corrected), &errors);
        }
        own
    }

    /// Per stratum, corrected curve and age, the split correction's error in points: the
    /// change in the estimate when every ghost is scaled by `1 + sampling s.d. / hidden
    /// successors`, and when the extrapolated keys' ghosts are scaled by `1 + form s.d. /
    /// their hidden successors`, in quadrature (empty without the correction).
    fn split_sd(
        &self,
        tables: &Tables,
        s: &Strata,
        forms: &[Form],
        fitted: &[Corrected],
    ) -> Vec<Vec<[f64; OUT_AGES]>> {
        let (Some((a, b)), Some(ghosts)) = (self.split_scalings, &tables.ghosts) else {
            return Vec::new();
        };
        let frame = self.frame;
        let estimators = &self.spec.estimators;
        let shifted: Vec<Vec<YearTables>> = [(1.0 + a, 1.0 + a), (1.0, 1.0 + b)]
            .iter()
            .filter(|(x, y)| *x != 1.0 || *y != 1.0)
            .map(|(x, y)| ghosts.applied(&tables.real, *x, *y))
            .collect();
        let pooled: Vec<OnceCell<PooledModels>> = shifted.iter().map(|_| OnceCell::new()).collect();
        s.levels
            .iter()
            .enumerate()
            .map(|(l, (_, population))| {
                let base = &fitted[l].curves;
                let mut sd = vec![[0.0f64; OUT_AGES]; base.len()];
                for (t, cell) in shifted.iter().zip(&pooled) {
                    let fallback = |f: Form| {
                        cell.get_or_init(|| {
                            pooled_models(t, s.levels.iter().map(|l| &l.1), frame, forms)
                        })
                        .get(f)
                    };
                    let moved =
                        corrected_curves(&t[l], population, frame, estimators, forms, fallback);
                    for ((sd, (_, old)), (_, new)) in sd.iter_mut().zip(base).zip(&moved.curves) {
                        for (p, q) in old.iter().zip(new) {
                            let d = q.cum_inc - p.cum_inc;
                            if d.is_finite() {
                                sd[p.age] = sd[p.age].hypot(d);
                            }
                        }
                    }
                }
                sd
            })
            .collect()
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
        errors: &ModelErrors<'_>,
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
            .enumerate()
            .map(|(i, ((_, c), (_, p)))| {
                let mut sd = model_error::extrapolation_sd(c, p, errors.rho.applied);
                for (age, sd) in sd.iter_mut().enumerate() {
                    let spread = errors.spread.get(i).map_or(0.0, |s| s[age]);
                    let split = errors.split.get(i).map_or(0.0, |s| s[age]);
                    *sd = sd.hypot(spread / z).hypot(split);
                }
                sd
            })
            .collect();
        for (((kind, c), (_, u)), sd) in corrected.curves.iter().zip(&unadjusted).zip(&sds) {
            let key = CurveKey { kind: *kind, ..key };
            self.model_sd.insert(key, *sd);
            let entered = entered_by_age(*kind, population, frame);
            self.curves
                .push((key, curve(labels, *kind, true, c, entered.as_deref())));
            self.curves
                .push((key, curve(labels, *kind, false, u, entered.as_deref())));
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
            form_spread: errors.spread,
            split_sd: errors.split,
        };
        self.out.bounds.extend(correction_tables::correction_bounds(
            labels, &fitted, frame, estimators, errors.rho,
        ));
    }

    /// Bootstrap intervals, the model error and inequality (recurrence is counted as
    /// each outcome's events are read).
    fn finish(mut self, years: &[OutcomeYears], strata: &[Strata]) -> Estimates {
        let spec = self.spec;
        if spec.bootstrap > 0 {
            let forms: Vec<Vec<Form>> = self.out.forms.iter().map(|f| f.chosen.clone()).collect();
            let inputs = bootstrap::Inputs {
                years,
                strata,
                frame: self.frame,
                spec,
                ghosts: &self.ghosts,
                forms: &forms,
                models: &self.models,
            };
            self.progress.begin_counting(
                "bootstrap",
                Some(u64::from(spec.bootstrap)),
                "replicates",
            );
            bootstrap::replace_intervals(&mut self.curves, &inputs, self.progress);
            self.progress.end();
        }
        self.progress.begin("inequality and recurrence", None);
        model_error::add_model_error(&mut self.curves, &self.model_sd, spec.level);
        self.out.nesting = crate::nesting::adjust(&mut self.curves, spec.level);
        if !self.out.nesting.is_empty() {
            // The published estimate of the bounds is the adjusted one.
            let published: BTreeMap<_, f64> = self
                .curves
                .iter()
                .filter(|(_, c)| c.corrected && !matches!(c.kind, Kind::Period(_)))
                .flat_map(|(_, c)| {
                    c.points.iter().map(move |p| {
                        (
                            (c.outcome, c.estimator, c.by, c.stratum.clone(), p.age),
                            p.cum_inc,
                        )
                    })
                })
                .collect();
            for b in &mut self.out.bounds {
                let Some(age) = b.age.index() else { continue };
                let key = (b.outcome, b.estimator, b.by, b.stratum.clone(), age);
                if let Some(v) = published.get(&key) {
                    b.corrected = *v;
                }
            }
        }
        self.out.decile_populations = crate::inequality::decile_populations(strata, self.frame);
        self.out.curves = self.curves.into_iter().map(|(_, c)| c).collect();
        self.progress.end();
        self.out
    }
}

/// Which outcome and stratification a computation is for.
#[derive(Clone, Copy)]
struct Place {
    /// Index into the outcomes.
    oi: usize,
    /// The outcome.
    outcome: cumin_census::Outcome,
    /// Index into the stratifications.
    k: usize,
}

/// The parts of one stratum's model error besides the sampling error: the
/// left-censoring model's back-tested error, the spread of its forms, and the split
/// correction's error (per corrected curve and age; empty: none).
struct ModelErrors<'a> {
    rho: Rho,
    spread: &'a [[f64; OUT_AGES]],
    split: &'a [[f64; OUT_AGES]],
}
