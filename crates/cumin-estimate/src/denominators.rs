//! Population denominators: children by birth cohort and age, optionally by stratum. The
//! file is read by the caller (`cumin_census::read_text_table`); this module checks and
//! tabulates its rows.
//!
//! They are checked like episodes (docs/input-contract.md, "Checks cumin makes"): every
//! value read ([`Denominators::from_table`]: a year, an age 0-17, a finite population of
//! at most [`MAX_POPULATION`], a stratum in every stratum column the file has, each key
//! once), every cell the estimators need present
//! with something to estimate ([`crate::frame::check_denominators`], before any linking),
//! and no cell with fewer children than children with an event in it
//! ([`crate::curves::check_events`]).

use crate::error::EstimateError;
use crate::spec::OUT_AGES;
use crate::strata::{self, Stratification, Stratum, StratumVar};
use cumin_census::{Date, TextTable};
use cumin_cohort::BirthCohort;
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
    /// Each distinct combination of the file's stratum columns (`IDACI_Decile 3, sex
    /// male`; one, empty, when it has none), by [`DenomRow::level`].
    levels: Vec<String>,
}

#[derive(Clone, Debug)]
struct DenomRow {
    cohort: i16,
    age: u8,
    strata: BTreeMap<StratumVar, String>,
    population: f64,
    /// The combination of stratum values, in [`Denominators::levels`].
    level: u32,
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
        let mut keys = Keys::new(table, [by, age, pop]);
        let bad = |row: usize, column: &str, found: &str, expected: &'static str| {
            EstimateError::DenominatorValue {
                path: path.to_owned(),
                row: row + 1,
                column: column.to_owned(),
                found: found.to_owned(),
                expected: expected.into(),
            }
        };
        for (i, r) in table.rows.iter().enumerate() {
            let cohort: i16 = whole(&r[by])
                .filter(|y| (1900..=2100).contains(y))
                .and_then(|y| i16::try_from(y).ok())
                .ok_or_else(|| bad(i, "birth_year", &r[by], "a whole year (2005 or 2005.0)"))?;
            let a: u8 = whole(&r[age])
                .filter(|a| (0..=17).contains(a))
                .and_then(|a| u8::try_from(a).ok())
                .ok_or_else(|| bad(i, "age", &r[age], "a whole age 0-17 (5 or 5.0)"))?;
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
            let level = keys.level(path, table, i, (cohort, a))?;
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
                level,
            });
        }
        let first = rows.iter().map(|r| r.cohort).min().unwrap_or(2000);
        let last = rows.iter().map(|r| r.cohort).max().unwrap_or(2000);
        Ok(Denominators {
            path: path.to_owned(),
            first_cohort: BirthCohort(first),
            last_cohort: BirthCohort(last),
            rows,
            levels: keys.names(table),
        })
    }

    /// Checks `cells`, every cohort × age wholly inside the window from `start` and the
    /// data to `end` ([`crate::frame::check_denominators`] says why): some of them must
    /// have children and, when `every_cell`, each must have a row for every combination of
    /// stratum values the file has.
    pub(crate) fn check_cells(
        &self,
        cells: &[(BirthCohort, usize)],
        (start, end): (Date, Date),
        every_cell: bool,
    ) -> Result<(), EstimateError> {
        if cells.is_empty() {
            return Err(EstimateError::NothingToEstimate(nothing_observed(
                start, end,
            )));
        }
        let path = self.path.display();
        if every_cell {
            let present: BTreeSet<(u32, i16, u8)> = self
                .rows
                .iter()
                .map(|r| (r.level, r.cohort, r.age))
                .collect();
            let missing: Vec<String> = (0..self.levels.len() as u32)
                .flat_map(|l| cells.iter().map(move |(c, a)| (l, *c, *a)))
                .filter(|(l, c, a)| !present.contains(&(*l, c.0, *a as u8)))
                .map(|(l, c, a)| cell_name(c.0, a, &self.levels[l as usize]))
                .collect();
            if let Some(cell) = missing.first() {
                return Err(EstimateError::DenominatorCell {
                    path: self.path.clone(),
                    cell: cell.clone(),
                    problem: format!(
                        "the denominators have no row for it, but the window (from {start}) and \
                         the data (to {end}) observe that cohort at that age, so the estimators \
                         need its population; {} such cell{} missing{}. Add the rows (with \
                         population 0 where a stratum has no children), or narrow the study \
                         (--window-start, --census-years)",
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
        let all = self.population();
        let at = |c: BirthCohort, a: usize| {
            let row = usize::try_from(c.0 - self.first_cohort.0).ok()?;
            all.get([row, a]).copied()
        };
        if let Some((c, a, p)) = cells
            .iter()
            .filter_map(|(c, a)| at(*c, *a).map(|p| (*c, *a, p)))
            .find(|(_, _, p)| *p > MAX_POPULATION)
        {
            return Err(EstimateError::DenominatorCell {
                path: self.path.clone(),
                cell: cell_name(c.0, a, ""),
                problem: format!(
                    "its rows sum to {p} children, more than 7,000,000 (ten times England's \
                     births in a year)"
                ),
            });
        }
        if cells.iter().all(|(c, a)| at(*c, *a).unwrap_or(0.0) <= 0.0) {
            return Err(EstimateError::NothingToEstimate(format!(
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

/// A whole number as the episodes' integer columns read it (`5`, or `5.0` as R and
/// pandas write a number held in a float column; `5.5` is not one).
fn whole(text: &str) -> Option<i64> {
    cumin_census::normalise::field::whole_number(text.trim())
}

/// The key of each row of a denominators file: cohort, age and the values of every
/// stratum column the file has, as they are read (`M` = `male`), whether or not the study
/// asks for it. Other columns are not read, so rows differing only in them are the same
/// cell.
struct Keys<'t> {
    /// The stratum columns the file has.
    columns: Vec<(usize, StratumVar)>,
    /// The columns not read (neither key nor population).
    unread: Vec<&'t str>,
    /// The first row of each key.
    first_of_key: BTreeMap<(i16, u8, u32), usize>,
    /// Each combination of stratum values, numbered as first seen.
    levels: BTreeMap<Vec<String>, u32>,
}

impl<'t> Keys<'t> {
    /// The keys of `table`, whose columns `read` are the cohort, age and population.
    fn new(table: &'t TextTable, read: [usize; 3]) -> Keys<'t> {
        let columns: Vec<(usize, StratumVar)> = [
            StratumVar::IdaciDecile,
            StratumVar::Sex,
            StratumVar::Ethnicity,
            StratumVar::La,
        ]
        .into_iter()
        .filter_map(|v| Some((table.column(v.denominator_column()?)?, v)))
        .collect();
        let unread = (0..table.headers.len())
            .filter(|c| !read.contains(c) && columns.iter().all(|(k, _)| k != c))
            .map(|c| table.headers[c].as_str())
            .collect();
        Keys {
            columns,
            unread,
            first_of_key: BTreeMap::new(),
            levels: BTreeMap::new(),
        }
    }

    /// The combination of stratum values of row `i` (0-based), of `cohort` at age `a`; an
    /// error naming the row when a stratum column's value is not a stratum, or both rows
    /// when an earlier row has the same key.
    fn level(
        &mut self,
        path: &Path,
        table: &TextTable,
        i: usize,
        (cohort, a): (i16, u8),
    ) -> Result<u32, EstimateError> {
        let r = &table.rows[i];
        // Every stratum column's value must be a stratum, whether or not the study asks
        // for it: a total or unknown row (`persons`, `Total`, decile 0 or 11, empty) has a
        // key of its own, so it would be added to the population of every cell that the
        // column does not split.
        let values = self
            .columns
            .iter()
            .map(|(c, v)| {
                strata::denominator_label(*v, &r[*c]).ok_or_else(|| {
                    EstimateError::DenominatorValue {
                        path: path.to_owned(),
                        row: i + 1,
                        column: table.headers[*c].clone(),
                        found: r[*c].clone(),
                        expected: strata::expectation_in_a_file(*v).into(),
                    }
                })
            })
            .collect::<Result<Vec<String>, _>>()?;
        let next = self.levels.len() as u32;
        let level = *self.levels.entry(values).or_insert(next);
        let Some(first) = self.first_of_key.insert((cohort, a, level), i) else {
            return Ok(level);
        };
        let values = self
            .levels
            .iter()
            .find(|(_, l)| **l == level)
            .map(|(v, _)| v);
        let unread = &self.unread;
        Err(EstimateError::DenominatorDuplicate {
            path: path.to_owned(),
            first: first + 1,
            second: i + 1,
            cell: format!(
                "birth_year {cohort}, age {a}{}{}",
                level_name(&self.columns, table, values.map_or(&[][..], Vec::as_slice)),
                if unread.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (column{} {} not read: a population split by {} must be summed \
                         first)",
                        if unread.len() == 1 { "" } else { "s" },
                        unread.join(", "),
                        if unread.len() == 1 { "it" } else { "them" }
                    )
                }
            ),
        })
    }

    /// Each combination's name, by its number.
    fn names(&self, table: &TextTable) -> Vec<String> {
        let mut names = vec![String::new(); self.levels.len()];
        for (values, l) in &self.levels {
            names[*l as usize] = level_name(&self.columns, table, values);
        }
        names
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

/// A cell as messages name it: `birth_year 2005 (born 2004/05) at age 12, IDACI_Decile 3`
/// (`stratum` is empty or starts with a comma).
pub fn cell_name(cohort: i16, a: usize, stratum: &str) -> String {
    format!(
        "birth_year {cohort} (born {}/{:02}) at age {a}{stratum}",
        cohort - 1,
        cohort.rem_euclid(100)
    )
}

/// The error for a cell of the denominators at `path` with fewer children than children
/// with an event in it: `population` and `events` of `what` (`a referral event`).
pub fn fewer_children_than_events(
    path: &Path,
    cell: String,
    (population, events): (f64, u64),
    what: &str,
) -> EstimateError {
    EstimateError::DenominatorCell {
        path: path.to_owned(),
        cell,
        problem: format!(
            "a population of {population} but {events} children with {what} at that age: the \
             population must count every child of the cohort at that age (is it in thousands, \
             a rate or a sample?)"
        ),
    }
}

/// Stratum values as messages name them: `, IDACI_Decile 3, sex male`.
fn level_name(columns: &[(usize, StratumVar)], table: &TextTable, values: &[String]) -> String {
    let mut name = String::new();
    for ((c, _), v) in columns.iter().zip(values) {
        name.push_str(", ");
        name.push_str(&table.headers[*c]);
        name.push(' ');
        name.push_str(v);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::check_denominators;
    use cumin_cohort::{BirthRules, CppEventDate, EventRules};

    /// Rows `birth_year, age[, IDACI_Decile], population` for cohorts × ages × deciles.
    fn table(cohorts: std::ops::RangeInclusive<i16>, deciles: &[u8], population: f64) -> TextTable {
        let mut rows = Vec::new();
        for c in cohorts {
            for a in 0..=17 {
                if deciles.is_empty() {
                    rows.push(vec![c.to_string(), a.to_string(), population.to_string()]);
                }
                for d in deciles {
                    rows.push(vec![
                        c.to_string(),
                        a.to_string(),
                        d.to_string(),
                        population.to_string(),
                    ]);
                }
            }
        }
        let headers = if deciles.is_empty() {
            vec!["birth_year", "age", "population"]
        } else {
            vec!["birth_year", "age", "IDACI_Decile", "population"]
        };
        TextTable {
            headers: headers.into_iter().map(str::to_owned).collect(),
            rows,
        }
    }

    fn read(t: &TextTable, needed: &[Stratification]) -> Result<Denominators, EstimateError> {
        Denominators::from_table(Path::new("d.csv"), t, needed)
    }

    /// The window 2011-04-01 and data to the end of 2023/24.
    fn rules() -> EventRules {
        EventRules {
            window_start: Date::ymd(2011, 4, 1),
            data_end: Date::ymd(2024, 3, 31),
            birth: BirthRules::default(),
            cpp_date: CppEventDate::PlanStart,
            school_age_needs_pmr: false,
        }
    }

    #[test]
    fn a_repeated_key_is_an_error_naming_both_rows_whatever_its_spelling() {
        let mut t = TextTable {
            headers: ["birth_year", "age", "sex", "population"]
                .map(str::to_owned)
                .to_vec(),
            rows: vec![
                ["2005", "3", "male", "300"].map(str::to_owned).to_vec(),
                ["2005", "3", "female", "290"].map(str::to_owned).to_vec(),
                ["2005", "3", " M", "300"].map(str::to_owned).to_vec(),
            ],
        };
        let m = read(&t, &[]).unwrap_err().to_string();
        assert!(
            m.contains("rows 1 and 3") && m.contains("birth_year 2005, age 3, sex male"),
            "{m}"
        );
        t.rows.pop();
        assert!(read(&t, &[]).is_ok());
        // A column cumin does not read does not split a cell.
        let t = TextTable {
            headers: ["birth_year", "age", "region", "population"]
                .map(str::to_owned)
                .to_vec(),
            rows: vec![
                ["2005", "3", "north", "300"].map(str::to_owned).to_vec(),
                ["2005", "3", "south", "290"].map(str::to_owned).to_vec(),
            ],
        };
        let m = read(&t, &[]).unwrap_err().to_string();
        assert!(
            m.contains("rows 1 and 2") && m.contains("(column region not read"),
            "{m}"
        );
    }

    /// Red team round 4: a total row (ONS tables carry `persons` beside `male` and
    /// `female`) or a decile 0, 11 or empty had a key of its own, so a run not split by
    /// that column added it to every cell's population (exit 0, rates down by a third).
    #[test]
    fn a_total_or_unknown_row_in_a_stratum_column_is_an_error_even_unasked() {
        let rows = |third: [&str; 2]| TextTable {
            headers: ["birth_year", "age", "IDACI_Decile", "sex", "population"]
                .map(str::to_owned)
                .to_vec(),
            rows: vec![
                ["2005", "3", "1", "male", "300"]
                    .map(str::to_owned)
                    .to_vec(),
                ["2005", "3", "1", "female", "290"]
                    .map(str::to_owned)
                    .to_vec(),
                ["2005", "3", third[0], third[1], "590"]
                    .map(str::to_owned)
                    .to_vec(),
            ],
        };
        for (third, column) in [
            (["1", "persons"], "sex"),
            (["1", "all"], "sex"),
            (["1", ""], "sex"),
            (["Total", "male"], "IDACI_Decile"),
            (["0", "male"], "IDACI_Decile"),
            (["11", "male"], "IDACI_Decile"),
            (["", "male"], "IDACI_Decile"),
        ] {
            for needed in [&[][..], &[Stratification::parse("sex").unwrap()][..]] {
                let m = read(&rows(third), needed).unwrap_err().to_string();
                assert!(
                    m.contains(&format!(
                        "row 3, column {column}: {:?}",
                        third[usize::from(column == "sex")]
                    )) && m.contains("total or unknown row"),
                    "{third:?}: {m}"
                );
            }
        }
        // the codes every spelling of a stratum reads as
        assert!(read(&rows(["2", "M"]), &[]).is_ok());
        assert!(read(&rows(["10", "2"]), &[]).is_ok());
    }

    #[test]
    fn years_and_ages_written_as_floats_are_read_when_whole_as_in_the_episodes() {
        // R and pandas write a float column's 5 as `5.0`: read as 5, as the episodes'
        // integer columns read `2013.0`.
        let mut t = table(2005..=2005, &[], 10.0);
        let plain = read(&t, &[]).unwrap().population();
        for r in &mut t.rows {
            r[0] = format!("{}.0", r[0]);
            r[1] = format!("{}.0", r[1]);
        }
        assert_eq!(read(&t, &[]).unwrap().population(), plain);
        for (column, bad) in [
            (1, "5.5"),
            (1, "5.01"),
            (1, "18.0"),
            (0, "2005.5"),
            (0, "2005."),
        ] {
            let mut t = table(2005..=2005, &[], 10.0);
            t.rows[3][column] = bad.to_owned();
            let m = read(&t, &[]).unwrap_err().to_string();
            let (name, expected) = if column == 1 {
                ("age", "a whole age 0-17")
            } else {
                ("birth_year", "a whole year")
            };
            assert!(
                m.contains("d.csv")
                    && m.contains(&format!("row 4, column {name}"))
                    && m.contains(bad)
                    && m.contains(expected),
                "{m}"
            );
        }
    }

    #[test]
    fn populations_must_be_finite_and_possible() {
        for bad in ["1e308", "7000001", "inf", "NaN", "-1"] {
            let mut t = table(2005..=2005, &[], 10.0);
            t.rows[3][2] = bad.to_owned();
            let m = read(&t, &[]).unwrap_err().to_string();
            assert!(
                m.contains("row 4, column population") && m.contains(bad),
                "{m}"
            );
        }
        let mut t = table(2005..=2005, &[], 10.0);
        t.rows[3][2] = "7000000".to_owned();
        assert!(read(&t, &[]).is_ok());
    }

    #[test]
    fn every_observed_cell_of_every_stratum_must_be_present() {
        let by = Stratification::from(StratumVar::IdaciDecile);
        let mut t = table(1990..=2025, &[1, 2, 3], 100.0);
        let d = read(&t, &[by]).unwrap();
        check_denominators(&d, &rules(), true).unwrap();
        // Decile 3 of the 2005 cohort at age 12 (2016/17, inside the window and data):
        // missing whether the study asks for deciles or not, as the cohort's total lacks it.
        t.rows
            .retain(|r| !(r[0] == "2005" && r[1] == "12" && r[2] == "3"));
        for needed in [vec![], vec![by]] {
            let d = read(&t, &needed).unwrap();
            let m = check_denominators(&d, &rules(), true)
                .unwrap_err()
                .to_string();
            assert!(
                m.contains("birth_year 2005 (born 2004/05) at age 12, IDACI_Decile 3")
                    && m.contains("1 such cell is missing"),
                "{m}"
            );
        }
        // The jay2025 design checks its own cells.
        check_denominators(&read(&t, &[by]).unwrap(), &rules(), false).unwrap();
        // Cohorts the window and data never observe over a whole year of age may be
        // absent: 1995 is the first to be 17 after 2011-04-01, 2023 the last to be 0 (and
        // unborn) before 2024-03-31.
        let d = read(&table(1995..=2023, &[], 1.0), &[]).unwrap();
        check_denominators(&d, &rules(), true).unwrap();
        for (cohorts, missing) in [
            (1996..=2023, "birth_year 1995 (born 1994/95) at age 17"),
            (1995..=2022, "birth_year 2023 (born 2022/23) at age 0"),
        ] {
            let d = read(&table(cohorts, &[], 1.0), &[]).unwrap();
            let m = check_denominators(&d, &rules(), true)
                .unwrap_err()
                .to_string();
            assert!(m.contains(missing), "{m}");
        }
    }

    #[test]
    fn nothing_to_estimate_is_an_error() {
        let d = read(&table(1990..=2025, &[], 0.0), &[]).unwrap();
        let m = check_denominators(&d, &rules(), true)
            .unwrap_err()
            .to_string();
        assert!(m.contains("d.csv: nothing to estimate"), "{m}");
        let d = read(&table(1990..=2025, &[], 5.0), &[]).unwrap();
        let mut early = rules();
        early.data_end = Date::ymd(2010, 3, 31);
        let m = check_denominators(&d, &early, true)
            .unwrap_err()
            .to_string();
        assert!(
            m.contains(
                "nothing to estimate: the data end 2010-03-31 is before the window start 2011-04-01"
            ),
            "{m}"
        );
    }
}
