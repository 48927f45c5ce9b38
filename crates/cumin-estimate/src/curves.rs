//! Every estimator, for every outcome and stratum: from event years to curves.
//!
//! Each outcome's event years are tabulated per stratum ([`cumin_cohort::tabulate_years`]);
//! from the tables come the unadjusted estimators (first events in the window, as if they
//! were first ever) and the corrected ones (first events in the wholly observed years,
//! times the left-censoring factor fitted from the same tables). [`corrected_curves`] is
//! the one computation the bootstrap repeats.

use crate::denominators::Denominators;
use crate::error::EstimateError;
use crate::frame::Frame;
use crate::spec::Estimator;
use crate::spec::OUT_AGES;
use crate::strata::{Stratification, Stratum};
use cumin_census::Outcome;
use cumin_cohort::{Event, EventYear, Identity, NO_EARLIER, NO_STRATUM, YearTables};
use cumin_stats::{AgeEstimate, BackwardModel, Correction, Factors, Form, Interval};
use ndarray::Array2;
use rustc_hash::FxHashMap;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// One outcome's event years with each year's stratum under every stratification.
#[derive(Clone, Debug)]
pub struct OutcomeYears {
    /// The outcome.
    pub outcome: Outcome,
    /// Event years, by child then age.
    pub years: Vec<EventYear>,
    /// `strata[k][i]`: stratum of `years[i]` under stratification `k` (or `NO_STRATUM`).
    pub strata: Vec<Vec<u16>>,
}

/// The strata of one stratification and their populations (cohort × age).
#[derive(Clone, Debug)]
pub struct Strata {
    /// The stratification.
    pub by: Stratification,
    /// Strata and their populations, in label order.
    pub levels: Vec<(Stratum, Array2<f64>)>,
}

/// Event years of `outcome` (from its events `all`, [`cumin_cohort::event_years`])
/// placed in the strata of each stratification, each by the event it is taken from
/// ([`cumin_cohort::year_events`]). An event in a stratum the denominators do not have
/// is an error (its rate would have no denominator); one whose value is unknown is in no
/// stratum, and counted.
pub fn place_years(
    outcome: Outcome,
    all: &[Event],
    strata: &[Strata],
    identity: &Identity,
    denominators: &Denominators,
) -> Result<(OutcomeYears, Vec<u64>), EstimateError> {
    let (set, children) = (&identity.episodes, &identity.children);
    let years = cumin_cohort::event_years(all);
    let mut placed = Vec::with_capacity(strata.len());
    let mut unknown = Vec::with_capacity(strata.len());
    for s in strata {
        let index: BTreeMap<&Stratum, u16> = s
            .levels
            .iter()
            .enumerate()
            .map(|(i, (l, _))| (l, i as u16))
            .collect();
        // Each distinct code's place, from its label made once; strata the denominators
        // lack are counted by code, then by label.
        let mut places: FxHashMap<u64, Place> = FxHashMap::default();
        let mut lacking: Vec<(Stratum, u64)> = Vec::new();
        let mut none = 0u64;
        let mut column: Vec<u16> = Vec::with_capacity(years.len());
        column.extend(cumin_cohort::year_events(all).map(|y| {
            let Some(code) = s.by.event_code(y, set, children) else {
                none += 1;
                return NO_STRATUM;
            };
            let place = *places.entry(code).or_insert_with(|| {
                let label =
                    s.by.event_stratum(y, set, children)
                        .expect("an event with a code has a stratum");
                index.get(&label).map_or_else(
                    || {
                        lacking.push((label, 0));
                        Place::Lacking(lacking.len() - 1)
                    },
                    |&i| Place::In(i),
                )
            });
            match place {
                Place::In(i) => i,
                Place::Lacking(m) => {
                    lacking[m].1 += 1;
                    NO_STRATUM
                }
            }
        }));
        debug_assert_eq!(column.len(), years.len());
        let mut missing: BTreeMap<Stratum, u64> = BTreeMap::new();
        for (label, n) in lacking {
            *missing.entry(label).or_insert(0) += n;
        }
        if let Some((stratum, events)) = missing.into_iter().next() {
            return Err(EstimateError::StratumWithoutPopulation {
                path: denominators.path.clone(),
                by: s.by,
                stratum,
                outcome,
                events,
            });
        }
        placed.push(column);
        unknown.push(none);
    }
    Ok((
        OutcomeYears {
            outcome,
            years,
            strata: placed,
        },
        unknown,
    ))
}

/// Checks that no cell of the denominators (cohort × age, in each stratum of each
/// stratification, where the window and data observe it) holds fewer children than
/// children with an event of `years`' outcome at that age: a population in the wrong units
/// (thousands, a rate, a sample) would otherwise give rates above one.
pub fn check_events(
    denominators: &Denominators,
    strata: &[Strata],
    frame: &Frame,
    years: &OutcomeYears,
) -> Result<(), EstimateError> {
    let n = frame.cohorts.entry.len();
    for (k, s) in strata.iter().enumerate() {
        let mut events = vec![Array2::<u64>::zeros((n, OUT_AGES)); s.levels.len()];
        for (y, &stratum) in years.years.iter().zip(&years.strata[k]) {
            let age = y.age.max(0) as usize;
            if stratum == NO_STRATUM || age >= OUT_AGES {
                continue;
            }
            if let Some(row) = frame.cohorts.row(y.cohort) {
                events[usize::from(stratum)][[row, age]] += 1;
            }
        }
        for ((label, population), events) in s.levels.iter().zip(&events) {
            let over = ndarray::Zip::indexed(events)
                .and(population)
                .and(&frame.observed)
                .fold(None, |found, (b, a), &e, &p, &o| {
                    found.or_else(|| (o && e as f64 > p).then_some((b, a, e, p)))
                });
            if let Some((b, a, e, p)) = over {
                let stratum = if s.by == Stratification::ALL {
                    String::new()
                } else {
                    format!(", {} {label}", s.by.name())
                };
                return Err(crate::denominators::fewer_children_than_events(
                    &denominators.path,
                    crate::denominators::cell_name(frame.cohort(b).0, a, &stratum),
                    (p, e),
                    &format!("a {} event", years.outcome.as_str()),
                ));
            }
        }
    }
    Ok(())
}

/// Where the events of one stratum code go.
#[derive(Clone, Copy)]
enum Place {
    /// Into the stratum at this index.
    In(u16),
    /// Into a stratum the denominators lack (the entry of the list of such strata).
    Lacking(usize),
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

/// Which corrected curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The life table over all cohorts.
    LifeTable,
    /// The longest-lookback splice.
    Splice,
    /// The life table over the cells of `periods[i]`.
    Period(usize),
}

/// The corrected estimators from one stratum's tables.
#[derive(Clone, Debug)]
pub struct Corrected {
    /// The fitted correction.
    pub correction: Correction,
    /// Its factors for every cohort.
    pub factors: Factors,
    /// The curves asked for.
    pub curves: Vec<(Kind, Vec<AgeEstimate>)>,
}

/// First events in the wholly observed years: the counts the correction multiplies.
pub fn first_in_observed_years(tables: &YearTables) -> Array2<f64> {
    tables
        .lookback
        .index_axis(ndarray::Axis(2), NO_EARLIER)
        .to_owned()
}

/// The corrected life table (and its periods) and splice from one stratum's tables, the
/// correction's modelled hazards averaged over `forms` ([`cumin_stats::fit_correction_forms`]);
/// a form this stratum cannot fit borrows `fallback(form)`.
pub fn corrected_curves<'a>(
    tables: &YearTables,
    population: &Array2<f64>,
    frame: &Frame,
    estimators: &[Estimator],
    forms: &[Form],
    fallback: impl FnMut(Form) -> Option<&'a BackwardModel>,
) -> Corrected {
    let correction = cumin_stats::fit_correction_forms(
        stratum_cells(tables, population, frame),
        forms,
        fallback,
    );
    corrected_with(correction, tables, population, frame, estimators)
}

/// [`corrected_curves`] as a bootstrap replicate refits them: each form's fit started
/// from the model of that form in `start` (the point estimate's: a warm start; the fit is
/// the same up to the convergence tolerance), the models' covariances not computed
/// (nothing in a replicate reads them; hazards and curves are the same).
pub fn corrected_curves_from<'a>(
    tables: &YearTables,
    population: &Array2<f64>,
    frame: &Frame,
    estimators: &[Estimator],
    forms: &[Form],
    fallback: impl FnMut(Form) -> Option<&'a BackwardModel>,
    start: &[BackwardModel],
) -> Corrected {
    let correction = cumin_stats::fit_correction_forms_from(
        stratum_cells(tables, population, frame),
        forms,
        fallback,
        |f| start.iter().find(|m| m.form == f),
        false,
    );
    corrected_with(correction, tables, population, frame, estimators)
}

/// The curves of one stratum's tables under a fitted correction.
fn corrected_with(
    correction: Correction,
    tables: &YearTables,
    population: &Array2<f64>,
    frame: &Frame,
    estimators: &[Estimator],
) -> Corrected {
    let factors = correction.factors(&frame.entry(), OUT_AGES);
    let curves = curves_with(&factors.factor, tables, population, frame, estimators);
    Corrected {
        correction,
        factors,
        curves,
    }
}

/// The backward-hazard cells of one stratum's tables.
pub fn stratum_cells(
    tables: &YearTables,
    population: &Array2<f64>,
    frame: &Frame,
) -> cumin_stats::BackwardCells {
    cumin_stats::backward_cells(
        tables.lookback.view(),
        cumin_stats::first_observed_runs(population.view(), frame.observed.view()).view(),
    )
}

/// The backward-hazard cells of a stratification's strata pooled (their tables and
/// populations summed); `None` without strata.
pub fn pooled_cells<'a>(
    tables: &[YearTables],
    populations: impl IntoIterator<Item = &'a Array2<f64>>,
    frame: &Frame,
) -> Option<cumin_stats::BackwardCells> {
    let mut populations = populations.into_iter();
    let mut population = populations.next()?.clone();
    for p in populations {
        population += p;
    }
    let mut lookback = tables.first()?.lookback.clone();
    for t in &tables[1..] {
        lookback += &t.lookback;
    }
    Some(cumin_stats::backward_cells(
        lookback.view(),
        cumin_stats::first_observed_runs(population.view(), frame.observed.view()).view(),
    ))
}

/// The models of every form in `forms` fitted to a stratification's strata pooled: what
/// a stratum whose own model of a form cannot be fitted borrows
/// ([`cumin_stats::fit_correction_forms`]). A form's entry is `None` if the pooled model
/// cannot be fitted either, or there is no stratum.
pub fn pooled_models<'a>(
    tables: &[YearTables],
    populations: impl IntoIterator<Item = &'a Array2<f64>>,
    frame: &Frame,
    forms: &[Form],
) -> PooledModels {
    let cells = pooled_cells(tables, populations, frame);
    PooledModels(
        forms
            .iter()
            .map(|&f| {
                let m = cells
                    .as_ref()
                    .and_then(|c| cumin_stats::fit_backward_model(c, f).ok());
                (f, m)
            })
            .collect(),
    )
}

/// A stratification's pooled model of each form ([`pooled_models`]).
#[derive(Clone, Debug, Default)]
pub struct PooledModels(Vec<(Form, Option<BackwardModel>)>);

impl PooledModels {
    /// The pooled model of `form`, if it could be fitted.
    pub fn get(&self, form: Form) -> Option<&BackwardModel> {
        self.0
            .iter()
            .find(|(f, _)| *f == form)
            .and_then(|(_, m)| m.as_ref())
    }
}

/// The corrected curves with the factors given (the sensitivity bounds use others).
pub fn curves_with(
    factor: &Array2<f64>,
    tables: &YearTables,
    population: &Array2<f64>,
    frame: &Frame,
    estimators: &[Estimator],
) -> Vec<(Kind, Vec<AgeEstimate>)> {
    let observed_first = first_in_observed_years(tables);
    let corrected = &observed_first * factor;
    let mut curves = Vec::new();
    for est in estimators {
        match est {
            Estimator::LifeTable => {
                let lt = cumin_stats::life_table_delayed_entry(
                    corrected.view(),
                    population.view(),
                    frame.observed.view(),
                    frame.level,
                );
                curves.push((Kind::LifeTable, lt.estimates));
                for (i, p) in frame.periods.iter().enumerate() {
                    let cells = Array2::from_shape_fn(lt.used.dim(), |(b, a)| {
                        lt.used[[b, a]] && frame.in_period(*p, b, a)
                    });
                    curves.push((
                        Kind::Period(i),
                        cumin_stats::pooled_product_limit(
                            corrected.view(),
                            lt.at_risk.view(),
                            cells.view(),
                            frame.level,
                        ),
                    ));
                }
            }
            Estimator::CohortSplice => curves.push((
                Kind::Splice,
                cumin_stats::cohort_splice(
                    observed_first.view(),
                    population.view(),
                    &frame.design,
                    Some(factor.view()),
                    frame.level,
                ),
            )),
        }
    }
    curves
}

/// The unadjusted curves: first events in the window taken as first ever.
pub fn unadjusted_curves(
    tables: &YearTables,
    population: &Array2<f64>,
    frame: &Frame,
    estimators: &[Estimator],
) -> Vec<(Kind, Vec<AgeEstimate>)> {
    let e = &tables.first_observed;
    let mut curves = Vec::new();
    for est in estimators {
        match est {
            Estimator::LifeTable => {
                curves.push((
                    Kind::LifeTable,
                    cumin_stats::life_table(
                        e.view(),
                        population.view(),
                        frame.observed.view(),
                        frame.level,
                    ),
                ));
                let at_risk = cumin_stats::closed_cohort_at_risk(e.view(), population.view());
                for (i, p) in frame.periods.iter().enumerate() {
                    let cells = Array2::from_shape_fn(e.dim(), |(b, a)| {
                        frame.observed[[b, a]]
                            && population[[b, a]] > 0.0
                            && frame.in_period(*p, b, a)
                    });
                    curves.push((
                        Kind::Period(i),
                        cumin_stats::pooled_product_limit(
                            e.view(),
                            at_risk.view(),
                            cells.view(),
                            frame.level,
                        ),
                    ));
                }
            }
            Estimator::CohortSplice => curves.push((
                Kind::Splice,
                cumin_stats::cohort_splice(
                    e.view(),
                    population.view(),
                    &frame.design,
                    None,
                    frame.level,
                ),
            )),
        }
    }
    curves
}

/// A point of a curve, before release: the estimate and its standard error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Age, 0..=17.
    pub age: usize,
    /// Events used at this age.
    pub events: f64,
    /// Denominator at this age.
    pub at_risk: f64,
    /// The children the denominator starts from: for a life table, the population of the
    /// cells it pools at this age (`Σ P(b,a)`, public figures), so that `entered −
    /// at_risk` counts those cells' children with an earlier event (the release treats
    /// that difference as a count: docs/methods.md §7); for a splice, `at_risk` itself.
    pub entered: f64,
    /// Cumulative incidence.
    pub cum_inc: f64,
    /// Its standard error.
    pub se: f64,
    /// Its confidence interval.
    pub ci: Interval,
}

impl Point {
    /// From an estimator's output; the standard error of `F` from its working variance
    /// (`Var(log S)` for a product-limit curve, by the delta method; `Var(F)` for a splice).
    pub fn from_estimate(e: &AgeEstimate, kind: Kind) -> Point {
        let se = match kind {
            Kind::Splice => e.variance.sqrt(),
            Kind::LifeTable | Kind::Period(_) => (1.0 - e.cum_inc) * e.variance.sqrt(),
        };
        Point {
            age: e.age,
            events: e.events,
            at_risk: e.at_risk,
            entered: e.at_risk,
            cum_inc: e.cum_inc,
            se,
            ci: e.ci,
        }
    }
}

/// The estimator of a published curve: an estimator, with or without the left-censoring
/// correction. Ordered as their names sort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CurveEstimator {
    /// The splice with the left-censoring correction.
    CohortSplice,
    /// The splice of first events in the window, taken as first ever.
    CohortSpliceUnadjusted,
    /// The life table with the left-censoring correction.
    LifeTable,
    /// The life table of first events in the window, taken as first ever.
    LifeTableUnadjusted,
}

impl CurveEstimator {
    /// `estimator`, corrected for left-censoring or not.
    pub fn new(estimator: Estimator, corrected: bool) -> CurveEstimator {
        match (estimator, corrected) {
            (Estimator::CohortSplice, true) => CurveEstimator::CohortSplice,
            (Estimator::CohortSplice, false) => CurveEstimator::CohortSpliceUnadjusted,
            (Estimator::LifeTable, true) => CurveEstimator::LifeTable,
            (Estimator::LifeTable, false) => CurveEstimator::LifeTableUnadjusted,
        }
    }

    /// The estimator of a curve of `kind`.
    pub fn of(kind: Kind, corrected: bool) -> CurveEstimator {
        let estimator = match kind {
            Kind::Splice => Estimator::CohortSplice,
            Kind::LifeTable | Kind::Period(_) => Estimator::LifeTable,
        };
        CurveEstimator::new(estimator, corrected)
    }

    /// Whether it uses the left-censoring correction.
    pub fn corrected(self) -> bool {
        matches!(
            self,
            CurveEstimator::CohortSplice | CurveEstimator::LifeTable
        )
    }

    /// Name in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            CurveEstimator::CohortSplice => "cohort-splice",
            CurveEstimator::CohortSpliceUnadjusted => "cohort-splice-unadjusted",
            CurveEstimator::LifeTable => "life-table",
            CurveEstimator::LifeTableUnadjusted => "life-table-unadjusted",
        }
    }
}

impl std::fmt::Display for CurveEstimator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for CurveEstimator {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One curve of one stratum.
#[derive(Clone, Debug)]
pub struct Curve {
    /// Outcome.
    pub outcome: Outcome,
    /// Estimator.
    pub estimator: CurveEstimator,
    /// Stratification.
    pub by: Stratification,
    /// Stratum.
    pub stratum: Stratum,
    /// Which curve (and period).
    pub kind: Kind,
    /// Whether it uses the estimated correction (and so takes bootstrap intervals).
    pub corrected: bool,
    /// Points by age.
    pub points: Vec<Point>,
}

impl Curve {
    /// Its last point: the estimate before the 18th birthday when the curve reaches it.
    pub fn last(&self) -> Option<&Point> {
        self.points.iter().max_by_key(|p| p.age)
    }
}
