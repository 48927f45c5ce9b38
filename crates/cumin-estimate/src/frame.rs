//! The frame of a study: the birth cohorts the denominators cover, the cohort × age
//! cells wholly inside the window and the data, and the designs built on them (which
//! cohort the splice takes at each age).

use crate::denominators::Denominators;
use crate::error::EstimateError;
use crate::spec::{EstimateSpec, OUT_AGES, Period, SpliceDesign};
use cumin_census::{CensusYear, JAY_BANDS};
use cumin_cohort::{BirthCohort, CohortFrame, EventRules};
use ndarray::Array2;

/// Cohorts, the cells each observes, and the designs built on them.
#[derive(Clone, Debug)]
pub struct Frame {
    /// Cohorts tabulated and the age each is first wholly observed.
    pub cohorts: CohortFrame,
    /// Whether each cohort × age (0..=17) lies wholly in the window and the data.
    pub observed: Array2<bool>,
    /// The splice's cohort for each age.
    pub design: Vec<Option<usize>>,
    /// Calendar periods for trend tables.
    pub periods: Vec<Period>,
    /// Confidence level.
    pub level: f64,
}

impl Frame {
    /// The frame of a study of `spec` over the cohorts of `denominators`, with the splice
    /// design it asks for.
    pub fn new(denominators: &Denominators, spec: &EstimateSpec) -> Result<Frame, EstimateError> {
        let n = denominators.n_cohorts();
        let observed = observed_cells(denominators.first_cohort, n, &spec.rules);
        let population = denominators.population();
        let design = match spec.splice_design {
            SpliceDesign::LongestLookback => longest_lookback_design(&observed, &population),
            SpliceDesign::Jay2025 => jay_design(denominators, &observed, &population)?,
        };
        let entry = observed
            .rows()
            .into_iter()
            .map(|r| r.iter().position(|o| *o).map(|a| a as u8))
            .collect();
        Ok(Frame {
            cohorts: CohortFrame {
                first: denominators.first_cohort,
                entry,
            },
            observed,
            design,
            periods: spec.periods.clone(),
            level: spec.level,
        })
    }

    /// Entry ages as the correction wants them.
    pub fn entry(&self) -> Vec<Option<usize>> {
        self.cohorts
            .entry
            .iter()
            .map(|e| e.map(usize::from))
            .collect()
    }

    /// Cells of cohort `b` at age `a` whose census year of reaching `a` is in `p`.
    pub fn in_period(&self, p: Period, b: usize, a: usize) -> bool {
        let year = i32::from(self.cohorts.first.0) + b as i32 + a as i32;
        p.contains(CensusYear(year as i16))
    }

    /// The cohort of row `b`.
    pub fn cohort(&self, b: usize) -> BirthCohort {
        BirthCohort(self.cohorts.first.0 + b as i16)
    }
}

/// Whether each cohort × age (0..=17, age 0 including the pre-birth months) lies wholly
/// inside the window and the data.
pub fn observed_cells(first: BirthCohort, n: usize, rules: &EventRules) -> Array2<bool> {
    let days = rules.birth.prebirth_days;
    Array2::from_shape_fn((n, OUT_AGES), |(b, a)| {
        let c = BirthCohort(first.0 + b as i16);
        let ok = |age: i8| c.age_observed(age, rules.window_start, rules.data_end, days);
        ok(a as i8) && (a > 0 || ok(-1))
    })
}

/// Checks, before any linking, that `denominators` give the estimators something to
/// estimate: some cohort × age lies wholly inside the window and the data (`rules`'
/// window start and data end), and some of those cells have children. When `every_cell`
/// (the life table and the longest-lookback splice use every observed cell; the jay2025
/// design checks its own), each of those cells must have a row for every combination of
/// stratum values the file has (every decile × sex, say), as a missing row would make a
/// smaller population without a word, in the strata and in their sum.
pub fn check_denominators(
    denominators: &Denominators,
    rules: &EventRules,
    every_cell: bool,
) -> Result<(), EstimateError> {
    let (start, end) = (rules.window_start, rules.data_end);
    // Cohorts old enough to be 17 at the window start to those born by the data end.
    let first = BirthCohort((start.year() - 18) as i16);
    let n = (end.year() - start.year() + 20).max(0) as usize;
    let cells: Vec<(BirthCohort, usize)> = observed_cells(first, n, rules)
        .indexed_iter()
        .filter(|(_, o)| **o)
        .map(|((b, a), _)| (BirthCohort(first.0 + b as i16), a))
        .collect();
    denominators.check_cells(&cells, (start, end), every_cell)
}

/// The cohort supplying each age in the default splice: the latest cohort observed at
/// that age, i.e. the one with the longest lookback before it.
pub fn longest_lookback_design(
    observed: &Array2<bool>,
    population: &Array2<f64>,
) -> Vec<Option<usize>> {
    (0..OUT_AGES)
        .map(|a| {
            (0..observed.nrows())
                .rev()
                .find(|&b| observed[[b, a]] && population[[b, a]] > 0.0)
        })
        .collect()
}

/// Jay et al. 2025's fixed design: the cohort row supplying each age 0..=17 (the
/// pre-birth months go with age 0). Every cell must be observed and have a population.
pub fn jay_design(
    denominators: &Denominators,
    observed: &Array2<bool>,
    population: &Array2<f64>,
) -> Result<Vec<Option<usize>>, EstimateError> {
    let mut design = vec![None; OUT_AGES];
    for &(cohort, lo, hi) in &JAY_BANDS {
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
                return Err(EstimateError::Design(format!(
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
