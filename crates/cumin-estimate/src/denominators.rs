//! Population denominators: children by birth cohort and age, optionally by stratum. The
//! file is read by the caller (`cumin_census::read_text_table`); this module checks and
//! tabulates its rows.

use crate::error::EstimateError;
use crate::spec::OUT_AGES;
use crate::strata::{self, Stratification, Stratum, StratumVar};
use cumin_census::TextTable;
use cumin_cohort::BirthCohort;
use ndarray::Array2;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    /// The denominators of `table`, read from `path`, checking the columns for the
    /// stratifications `needed`.
    pub fn from_table(
        path: &Path,
        table: &TextTable,
        needed: &[Stratification],
    ) -> Result<Denominators, EstimateError> {
        let col = |name: &str, why: &str| {
            table
                .column(name)
                .ok_or_else(|| EstimateError::DenominatorColumn {
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
        let bad = |row: usize, column: &str, found: &str, expected: &'static str| {
            EstimateError::DenominatorValue {
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

    /// Number of cohorts covered.
    pub fn n_cohorts(&self) -> usize {
        (self.last_cohort.0 - self.first_cohort.0 + 1) as usize
    }

    /// The whole population (stratum `all`) as a cohort × age (0..=17) table.
    pub fn population(&self) -> Array2<f64> {
        self.tables(Stratification::ALL)
            .remove(&Stratum::all())
            .unwrap_or_else(|| Array2::zeros((self.n_cohorts(), OUT_AGES)))
    }

    /// Population by stratum of `by` as cohort × age (0..=17) tables.
    pub fn tables(&self, by: Stratification) -> BTreeMap<Stratum, Array2<f64>> {
        let mut out: BTreeMap<Stratum, Array2<f64>> = BTreeMap::new();
        for r in &self.rows {
            let Some(level) = by.join(|v| r.strata.get(&v).cloned()) else {
                continue;
            };
            let t = out
                .entry(level)
                .or_insert_with(|| Array2::zeros((self.n_cohorts(), OUT_AGES)));
            t[[
                (r.cohort - self.first_cohort.0) as usize,
                usize::from(r.age),
            ]] += r.population;
        }
        out
    }
}
