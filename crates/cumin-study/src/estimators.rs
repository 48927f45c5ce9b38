//! Every estimator, for every outcome and stratum: from event years to curves.
//!
//! Each outcome's event years are tabulated per stratum ([`cumin_cohort::tabulate_years`]);
//! from the tables come the unadjusted estimators (first events in the window, as if they
//! were first ever) and the corrected ones (first events in the wholly observed years,
//! times the left-censoring factor fitted from the same tables). [`corrected_curves`] is
//! the one computation the bootstrap repeats.

use crate::config::{Estimator, Period, StudyConfig};
use crate::denominators::Denominators;
use crate::error::StudyError;
use crate::strata::Stratification;
use cumin_census::{CensusYear, Outcome};
use cumin_cohort::{
    BirthCohort, ChildTable, CohortFrame, Event, NO_EARLIER, NO_STRATUM, YearTables,
};
use cumin_link::EpisodeSet;
use cumin_stats::{AgeEstimate, BackwardModel, Correction, Factors, Interval};
use ndarray::Array2;
use std::collections::BTreeMap;

/// Ages in output tables: 0..=17 (pre-birth folded into 0).
pub const OUT_AGES: usize = 18;

/// Cohorts, the cells each observes, and the designs built on them.
#[derive(Clone, Debug)]
pub struct Frame {
    /// Cohorts tabulated and the age each is first wholly observed.
    pub cohorts: CohortFrame,
    /// Whether each cohort × age (0..=17) lies wholly in the window and the data.
    pub observed: Array2<bool>,
    /// The splice's cohort for each age (longest lookback).
    pub design: Vec<Option<usize>>,
    /// Calendar periods for trend tables.
    pub periods: Vec<Period>,
    /// Confidence level.
    pub level: f64,
}

impl Frame {
    /// Entry ages as the correction wants them.
    fn entry(&self) -> Vec<Option<usize>> {
        self.cohorts
            .entry
            .iter()
            .map(|e| e.map(usize::from))
            .collect()
    }

    /// Cells of cohort `b` at age `a` whose census year of reaching `a` is in `p`.
    fn in_period(&self, p: Period, b: usize, a: usize) -> bool {
        let year = i32::from(self.cohorts.first.0) + b as i32 + a as i32;
        p.contains(CensusYear(year as i16))
    }
}

/// One outcome's event years with each year's stratum under every stratification.
#[derive(Clone, Debug)]
pub struct OutcomeYears {
    /// The outcome.
    pub outcome: Outcome,
    /// Event years, by child then age.
    pub years: Vec<Event>,
    /// `strata[k][i]`: stratum of `years[i]` under stratification `k` (or `NO_STRATUM`).
    pub strata: Vec<Vec<u16>>,
}

/// The strata of one stratification and their populations (cohort × age).
#[derive(Clone, Debug)]
pub struct Strata {
    /// The stratification.
    pub by: Stratification,
    /// Stratum labels and populations, in label order.
    pub levels: Vec<(String, Array2<f64>)>,
}

/// Event years of `outcome` placed in the strata of each stratification. An event in a
/// stratum the denominators do not have is an error (its rate would have no
/// denominator); one whose value is unknown is in no stratum, and counted.
pub fn place_years(
    outcome: Outcome,
    years: Vec<Event>,
    strata: &[Strata],
    set: &EpisodeSet,
    children: &ChildTable,
    denominators: &Denominators,
) -> Result<(OutcomeYears, Vec<u64>), StudyError> {
    let mut placed = Vec::with_capacity(strata.len());
    let mut unknown = Vec::with_capacity(strata.len());
    for s in strata {
        let index: BTreeMap<&str, u16> = s
            .levels
            .iter()
            .enumerate()
            .map(|(i, (l, _))| (l.as_str(), i as u16))
            .collect();
        let mut missing: BTreeMap<String, u64> = BTreeMap::new();
        let mut none = 0u64;
        let column: Vec<u16> = years
            .iter()
            .map(|y| match s.by.event_label(y, set, children) {
                None => {
                    none += 1;
                    NO_STRATUM
                }
                Some(l) => index.get(l.as_str()).copied().unwrap_or_else(|| {
                    *missing.entry(l).or_insert(0) += 1;
                    NO_STRATUM
                }),
            })
            .collect();
        if let Some((stratum, events)) = missing.into_iter().next() {
            return Err(StudyError::StratumWithoutPopulation {
                path: denominators.path.clone(),
                by: s.by.name(),
                stratum,
                outcome: outcome.as_str().to_owned(),
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

/// The corrected life table (and its periods) and splice from one stratum's tables.
pub fn corrected_curves<'a>(
    tables: &YearTables,
    population: &Array2<f64>,
    frame: &Frame,
    estimators: &[Estimator],
    fallback: impl FnOnce() -> Option<&'a BackwardModel>,
) -> Corrected {
    let correction = cumin_stats::fit_correction_or(
        cumin_stats::backward_cells(
            tables.lookback.view(),
            cumin_stats::first_observed_runs(population.view(), frame.observed.view()).view(),
        ),
        fallback,
    );
    let factors = correction.factors(&frame.entry(), OUT_AGES);
    let curves = curves_with(&factors.factor, tables, population, frame, estimators);
    Corrected {
        correction,
        factors,
        curves,
    }
}

/// The backward model of a stratification's strata pooled (their tables and populations
/// summed): what a stratum whose own model cannot be fitted borrows
/// ([`cumin_stats::fit_correction_or`]). `None` if the pooled model cannot be fitted
/// either, or there is no stratum.
pub fn pooled_model<'a>(
    tables: &[YearTables],
    populations: impl IntoIterator<Item = &'a Array2<f64>>,
    frame: &Frame,
) -> Option<BackwardModel> {
    let mut populations = populations.into_iter();
    let mut population = populations.next()?.clone();
    for p in populations {
        population += p;
    }
    let mut lookback = tables.first()?.lookback.clone();
    for t in &tables[1..] {
        lookback += &t.lookback;
    }
    let cells = cumin_stats::backward_cells(
        lookback.view(),
        cumin_stats::first_observed_runs(population.view(), frame.observed.view()).view(),
    );
    cumin_stats::fit_backward_model(&cells).ok()
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
            cum_inc: e.cum_inc,
            se,
            ci: e.ci,
        }
    }
}

/// One curve of one stratum.
#[derive(Clone, Debug)]
pub struct Curve {
    /// Outcome.
    pub outcome: Outcome,
    /// Estimator name in outputs.
    pub estimator: &'static str,
    /// Stratification.
    pub by: Stratification,
    /// Stratum label.
    pub stratum: String,
    /// Which curve (and period).
    pub kind: Kind,
    /// Whether it uses the estimated correction (and so takes bootstrap intervals).
    pub corrected: bool,
    /// Points by age.
    pub points: Vec<Point>,
}

/// The estimator name of a curve.
pub fn estimator_name(kind: Kind, corrected: bool) -> &'static str {
    match (kind, corrected) {
        (Kind::Splice, true) => "cohort-splice",
        (Kind::Splice, false) => "cohort-splice-unadjusted",
        (_, true) => "life-table",
        (_, false) => "life-table-unadjusted",
    }
}

/// The frame of a study: cohorts from the denominators, cells from the window and data.
pub fn frame(
    cfg: &StudyConfig,
    denominators: &Denominators,
    observed: Array2<bool>,
    design: Vec<Option<usize>>,
) -> Frame {
    let entry = observed
        .rows()
        .into_iter()
        .map(|r| r.iter().position(|o| *o).map(|a| a as u8))
        .collect();
    Frame {
        cohorts: CohortFrame {
            first: denominators.first_cohort,
            entry,
        },
        observed,
        design,
        periods: cfg.periods.clone(),
        level: cfg.level,
    }
}

/// The cohort of row `b`.
pub fn cohort_of(frame: &Frame, b: usize) -> BirthCohort {
    BirthCohort(frame.cohorts.first.0 + b as i16)
}
