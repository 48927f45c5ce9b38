//! Population denominators: children by birth cohort and age, optionally by stratum.
//!
//! They are checked like episodes (docs/input-contract.md, "Checks cumin makes"): every
//! value read ([`Denominators::from_table`]: a year, an age 0-17, a finite population of
//! at most [`MAX_POPULATION`], each key once), every cell the estimators need present
//! with something to estimate ([`Denominators::check_cells`], before any linking), and
//! no cell with fewer children than children with an event in it ([`check_events`]).

use crate::config::StratumVar;
use crate::error::StudyError;
use crate::estimators::{Frame, OUT_AGES, OutcomeYears, Strata};
use crate::strata::{self, Stratification};
use cumin_census::{Date, TextTable};
use cumin_cohort::{BirthCohort, EventRules, NO_STRATUM};
use ndarray::Array2;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The most children one cell of the denominators (a cohort at an age, in a stratum) can
/// hold: ten times England's births in a year (about 700,000 at their peak in 2012). A
/// larger figure is a typing or unit error (e.g. `1e308`), and would make rates zero.
pub const MAX_POPULATION: f64 = 7_000_000.0;

/// Cells named in full in an error about many (the count says how many in all).
const SHOWN_CELLS: usize = 3;

/// Population counts, one entry per row of the file.
#[derive(Clone, Debug)]
pub struct Denominators {
    /// The file read.
    pub path: PathBuf,
    /// Earliest cohort.
    pub first_cohort: BirthCohort,
    /// Latest cohort.
    pub last_cohort: BirthCohort,
    rows: Vec<DenomRow>,
}

#[derive(Clone, Debug)]
struct DenomRow {
    cohort: i16,
    age: u8,
    strata: BTreeMap<StratumVar, String>,
    population: f64,
}

impl Denominators {
    /// Reads the file, checking the columns for the stratifications `needed`.
    pub fn read(path: &Path, needed: &[Stratification]) -> Result<Denominators, StudyError> {
        let table = cumin_census::read_text_table(path)?;
        Denominators::from_table(path, &table, needed)
    }

    /// Builds from a table already read.
    pub fn from_table(
        path: &Path,
        table: &TextTable,
        needed: &[Stratification],
    ) -> Result<Denominators, StudyError> {
        let col = |name: &str, why: &str| {
            table
                .column(name)
                .ok_or_else(|| StudyError::DenominatorColumn {
                    path: path.to_owned(),
                    column: name.to_owned(),
                    why: why.to_owned(),
                    found: table.headers.join(", "),
                })
        };
        let by = col(
            "birth_year",
            "the birth cohort, financial year named by its end",
        )?;
        let age = col("age", "completed years, 0-17")?;
        let pop = col("population", "the number of children")?;
        let mut strata_cols = Vec::new();
        for s in needed {
            for v in s.vars() {
                if strata_cols.iter().any(|(seen, _, _)| *seen == v) {
                    continue;
                }
                if let Some(name) = v.denominator_column() {
                    let c = col(name, &format!("the study asks for --by {s}"))?;
                    strata_cols.push((v, c, name));
                }
            }
        }
        let mut rows = Vec::with_capacity(table.rows.len());
        // Each row's key: cohort, age and every other column but the population, stratum
        // values as they are read (`M` = `male`); the first row of each key.
        let key_columns: Vec<(usize, Option<StratumVar>)> = (0..table.headers.len())
            .filter(|c| ![by, age, pop].contains(c))
            .map(|c| {
                let var = [
                    StratumVar::IdaciDecile,
                    StratumVar::Sex,
                    StratumVar::Ethnicity,
                    StratumVar::La,
                ]
                .into_iter()
                .find(|v| v.denominator_column().and_then(|n| table.column(n)) == Some(c));
                (c, var)
            })
            .collect();
        let mut first_of_key: BTreeMap<(i16, u8, Vec<String>), usize> = BTreeMap::new();
        let bad = |row: usize, column: &str, found: &str, expected: &'static str| {
            StudyError::DenominatorValue {
                path: path.to_owned(),
                row: row + 1,
                column: column.to_owned(),
                found: found.to_owned(),
                expected,
            }
        };
        for (i, r) in table.rows.iter().enumerate() {
            let cohort: i16 = r[by]
                .parse()
                .ok()
                .filter(|y| (1900..=2100).contains(y))
                .ok_or_else(|| bad(i, "birth_year", &r[by], "a year"))?;
            let a: u8 = r[age]
                .parse()
                .ok()
                .filter(|a| *a <= 17)
                .ok_or_else(|| bad(i, "age", &r[age], "an age 0-17"))?;
            let p: f64 = r[pop]
                .parse()
                .ok()
                .filter(|p: &f64| p.is_finite() && *p >= 0.0)
                .ok_or_else(|| bad(i, "population", &r[pop], "a non-negative number"))?;
            if p > MAX_POPULATION {
                return Err(bad(
                    i,
                    "population",
                    &r[pop],
                    "a number of children no larger than 7,000,000 (ten times England's \
                     births in a year)",
                ));
            }
            let key = (
                cohort,
                a,
                key_columns
                    .iter()
                    .map(|(c, var)| {
                        var.and_then(|v| strata::denominator_label(v, &r[*c]))
                            .unwrap_or_else(|| r[*c].trim().to_lowercase())
                    })
                    .collect::<Vec<_>>(),
            );
            if let Some(first) = first_of_key.get(&key) {
                let mut cell = format!("birth_year {cohort}, age {a}");
                for ((c, _), value) in key_columns.iter().zip(&key.2) {
                    cell.push_str(&format!(", {} {value}", table.headers[*c]));
                }
                return Err(StudyError::DenominatorDuplicate {
                    path: path.to_owned(),
                    first: first + 1,
                    second: i + 1,
                    cell,
                });
            }
            first_of_key.insert(key, i);
            let mut s = BTreeMap::new();
            for (v, c, name) in &strata_cols {
                let label = strata::denominator_label(*v, &r[*c])
                    .ok_or_else(|| bad(i, name, &r[*c], strata::expectation(*v)))?;
                s.insert(*v, label);
            }
            rows.push(DenomRow {
                cohort,
                age: a,
                strata: s,
                population: p,
            });
        }
        let first = rows.iter().map(|r| r.cohort).min().unwrap_or(2000);
        let last = rows.iter().map(|r| r.cohort).max().unwrap_or(2000);
        Ok(Denominators {
            path: path.to_owned(),
            first_cohort: BirthCohort(first),
            last_cohort: BirthCohort(last),
            rows,
        })
    }

    /// Checks, before any linking, that the denominators give the estimators something
    /// to estimate: some cohort × age lies wholly inside the window and the data (with
    /// `rules`' window start and data end), the cohorts and ages that do have children,
    /// and — when `every_cell` (the life table and the longest-lookback splice use every
    /// observed cell; the jay2025 design checks its own) — each of those cells has a row
    /// in every stratum of every stratification in `strata`.
    pub fn check_cells(
        &self,
        strata: &[Stratification],
        rules: &EventRules,
        every_cell: bool,
    ) -> Result<(), StudyError> {
        let (start, end) = (rules.window_start, rules.data_end);
        // Cohorts old enough to be 17 at the window start to those born by the data end.
        let first = BirthCohort((start.year() - 18) as i16);
        let n = (end.year() - start.year() + 20).max(0) as usize;
        let observed = crate::pipeline::observed_cells(first, n, rules);
        let cells: Vec<(BirthCohort, usize)> = observed
            .indexed_iter()
            .filter(|(_, o)| **o)
            .map(|((b, a), _)| (BirthCohort(first.0 + b as i16), a))
            .collect();
        if cells.is_empty() {
            return Err(StudyError::NothingToEstimate(nothing_observed(start, end)));
        }
        let path = self.path.display();
        if every_cell {
            for by in strata {
                let present: BTreeSet<(String, i16, u8)> = self
                    .rows
                    .iter()
                    .filter_map(|r| {
                        by.join(|v| r.strata.get(&v).cloned())
                            .map(|l| (l, r.cohort, r.age))
                    })
                    .collect();
                let levels: BTreeSet<&String> = present.iter().map(|(l, _, _)| l).collect();
                let levels = if levels.is_empty() {
                    vec!["all".to_owned()]
                } else {
                    levels.into_iter().cloned().collect()
                };
                let missing: Vec<String> = levels
                    .iter()
                    .flat_map(|l| cells.iter().map(move |(c, a)| (l, *c, *a)))
                    .filter(|(l, c, a)| !present.contains(&((*l).clone(), c.0, *a as u8)))
                    .map(|(l, c, a)| cell_name(*by, l, c, a))
                    .collect();
                if let Some(cell) = missing.first() {
                    return Err(StudyError::DenominatorCell {
                        path: self.path.clone(),
                        cell: cell.clone(),
                        problem: format!(
                            "the denominators have no row for it, but the window (from {start})                              and the data (to {end}) observe that cohort at that age, so the                              estimators need its population; {} such cell{} missing{}. Add the                              rows, or narrow the study (--window-start, --census-years)",
                            missing.len(),
                            if missing.len() == 1 { " is" } else { "s are" },
                            if missing.len() > 1 {
                                format!(
                                    " (e.g. {})",
                                    missing[1..missing.len().min(SHOWN_CELLS + 1)].join("; ")
                                )
                            } else {
                                String::new()
                            }
                        ),
                    });
                }
            }
        }
        let all = self.tables(Stratification::ALL).remove("all");
        let at = |c: BirthCohort, a: usize| {
            let row = usize::try_from(c.0 - self.first_cohort.0).ok()?;
            all.as_ref().and_then(|t| t.get([row, a]).copied())
        };
        if let Some((c, a, p)) = cells
            .iter()
            .filter_map(|(c, a)| at(*c, *a).map(|p| (*c, *a, p)))
            .find(|(_, _, p)| *p > MAX_POPULATION)
        {
            return Err(StudyError::DenominatorCell {
                path: self.path.clone(),
                cell: cell_name(Stratification::ALL, "all", c, a),
                problem: format!(
                    "its rows sum to {p} children, more than 7,000,000 (ten times England's \
                     births in a year)"
                ),
            });
        }
        if cells.iter().all(|(c, a)| at(*c, *a).unwrap_or(0.0) <= 0.0) {
            return Err(StudyError::NothingToEstimate(format!(
                "{path}: nothing to estimate: the denominators give no child to any of the {} \
                 cohort × age cells the \
                 window (from {start}) and the data (to {end}) observe: every population there \
                 is zero or absent",
                cells.len()
            )));
        }
        Ok(())
    }

    /// Number of cohorts covered.
    pub fn n_cohorts(&self) -> usize {
        (self.last_cohort.0 - self.first_cohort.0 + 1) as usize
    }

    /// Population by stratum of `by` as cohort × age (0..=17) tables.
    pub fn tables(&self, by: Stratification) -> BTreeMap<String, Array2<f64>> {
        let mut out: BTreeMap<String, Array2<f64>> = BTreeMap::new();
        for r in &self.rows {
            let Some(level) = by.join(|v| r.strata.get(&v).cloned()) else {
                continue;
            };
            let t = out
                .entry(level)
                .or_insert_with(|| Array2::zeros((self.n_cohorts(), 18)));
            t[[
                (r.cohort - self.first_cohort.0) as usize,
                usize::from(r.age),
            ]] += r.population;
        }
        out
    }
}

/// Why no cell can be estimated, when the window and the data do not overlap by a whole
/// year of age.
fn nothing_observed(start: Date, end: Date) -> String {
    let why = if end < start {
        format!("the data end {end} is before the window start {start}")
    } else {
        format!(
            "no birth cohort spends a whole year of age between the window start {start} and \
             the data end {end}"
        )
    };
    format!(
        "nothing to estimate: {why} (the data end is the last day of the extract's last census \
         year); start the window earlier (--window-start) or give the later census years"
    )
}

/// A cell as messages name it: `birth_year 2005 (born 2004/05) at age 12, idaci_decile 3`.
fn cell_name(by: Stratification, level: &str, c: BirthCohort, a: usize) -> String {
    let stratum = if by == Stratification::ALL {
        String::new()
    } else {
        format!(", {} {level}", by.name())
    };
    format!(
        "birth_year {} (born {}/{:02}) at age {a}{stratum}",
        c.0,
        c.0 - 1,
        c.0.rem_euclid(100)
    )
}

/// Checks that no cell of the denominators (cohort × age, in each stratum of each
/// stratification, where the window and data observe it) holds fewer children than
/// children with an event of `years`' outcome at that age: a population in the wrong units
/// (thousands, a rate, a sample) would otherwise give rates above one.
pub(crate) fn check_events(
    denominators: &Denominators,
    strata: &[Strata],
    frame: &Frame,
    years: &OutcomeYears,
) -> Result<(), StudyError> {
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
                return Err(StudyError::DenominatorCell {
                    path: denominators.path.clone(),
                    cell: cell_name(
                        s.by,
                        label,
                        BirthCohort(frame.cohorts.first.0 + b as i16),
                        a,
                    ),
                    problem: format!(
                        "a population of {p} but {e} children with a {} event at that age: the \
                         population must count every child of the cohort at that age (is it \
                         in thousands, a rate or a sample?)",
                        years.outcome.as_str()
                    ),
                });
            }
        }
    }
    Ok(())
}
