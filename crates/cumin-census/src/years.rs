//! Which census years a run uses.
//!
//! The data end — the last day of the last census year — decides which cohorts and ages
//! are observed, so one stray row of a later year moves every estimate. The data decide
//! their own census years only within sense: every year must be one an NPD CIN extract
//! can hold (from 2008/09, the first CIN census, to the last census year that has ended),
//! and, once the median year holds enough rows to judge, no year between the first and
//! the last may hold under 1% of the median year's rows (none at all included). Otherwise
//! the run stops naming the year and its rows, unless the user states the census years
//! (`--census-years 2009-2024`); rows outside stated years are excluded and counted.

use crate::date::Date;
use crate::episodes::Episodes;
use crate::types::CensusYear;
use std::collections::BTreeMap;

/// 2008/09, the first CIN census.
pub const FIRST_CENSUS_YEAR: CensusYear = CensusYear(2009);

/// A census year with fewer rows than this share of the median year's is implausible.
pub const SPARSE_SHARE: f64 = 0.01;

/// Rows the median census year must hold before sparse and missing years are judged:
/// below it, 1% of the median is under one row.
pub const JUDGED_FROM_ROWS: u64 = 100;

/// What to do when the user states the census years.
const HINT: &str = "if the extract is right, state the census years to use with \
    --census-years FIRST-LAST (census_years = \"FIRST-LAST\" in the study file), each named \
    by the year it ends (2009-2024 = 2008/09 to 2023/24): rows outside them are then \
    excluded and counted in the ledger";

/// The census years a run used, and why (recorded in the manifest).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CensusYearsUsed {
    /// The first census year with rows (`2008/09`), if any row was kept.
    pub first: Option<String>,
    /// The last census year with rows: its 31 March is the data end.
    pub last: Option<String>,
    /// `data` (the extract's own years, checked) or `stated` (`--census-years`).
    pub source: &'static str,
    /// Why these years.
    pub why: String,
}

/// Census years cumin will not take from the data as they are.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CensusYearsError {
    /// A year no extract can hold.
    #[error(
        "census year {year} ({rows} {}, the first in {file}, row {row}) is outside the census \
         years an NPD CIN extract can hold: {first} (the first CIN census) to {last} (the \
         last to have ended); {HINT}",
        plural(*rows)
    )]
    OutsideRange {
        /// The year.
        year: CensusYear,
        /// Its rows.
        rows: u64,
        /// The file of its first row.
        file: String,
        /// That row's number in the file.
        row: u64,
        /// The first census year allowed.
        first: CensusYear,
        /// The last census year allowed.
        last: CensusYear,
    },
    /// A year with implausibly few rows, or none, between the first and the last.
    #[error(
        "census year {year} has {rows} {}{} where the median census year of the extract has \
         {median}: a year with under 1% of the median's rows is a stray or missing part of \
         the extract, and it would set the data end ({first} to {last} are the years with \
         rows); {HINT}",
        plural(*rows),
        at.as_ref().map(|(f, r)| format!(" (the first in {f}, row {r})")).unwrap_or_default()
    )]
    Sparse {
        /// The year.
        year: CensusYear,
        /// Its rows.
        rows: u64,
        /// File and row number of its first row, if it has one.
        at: Option<(String, u64)>,
        /// Rows of the median year.
        median: u64,
        /// The first year with rows.
        first: CensusYear,
        /// The last year with rows.
        last: CensusYear,
    },
    /// Stated census years that hold no row of the extract.
    #[error(
        "no row of the extract is in the stated census years {first} to {last} ({excluded} \
         rows excluded as outside them): check --census-years (census_years in the study \
         file), each year named by the year it ends"
    )]
    NoneStated {
        /// First stated year.
        first: CensusYear,
        /// Last stated year.
        last: CensusYear,
        /// Rows excluded.
        excluded: u64,
    },
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "row" } else { "rows" }
}

/// The last census year that has ended by `today` (it ends on 31 March).
pub fn last_ended(today: Date) -> CensusYear {
    CensusYear(CensusYear::containing(today).0 - 1)
}

/// Today's date by the system clock (only to bound the census years an extract can hold).
pub fn today() -> Date {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    Date::from_days(i32::try_from(days).unwrap_or(i32::MAX)).unwrap_or(Date::ymd(9999, 12, 31))
}

/// Checks the census years of the rows kept (`episodes`, read from the files named
/// `files`) and says which are used: `stated` years (rows outside them were excluded
/// at ingest, `excluded` of them) are taken as they are; otherwise the data's own, if
/// they are within sense.
pub fn check(
    episodes: &Episodes,
    files: &[String],
    stated: Option<(CensusYear, CensusYear)>,
    excluded: u64,
    today: Date,
) -> Result<CensusYearsUsed, CensusYearsError> {
    // Rows per year and the first row of each (rows are in file order).
    let mut years: BTreeMap<CensusYear, (u64, usize)> = BTreeMap::new();
    for (i, y) in episodes.census_year.iter().enumerate() {
        years.entry(*y).or_insert((0, i)).0 += 1;
    }
    let at = |i: usize| {
        (
            files
                .get(usize::from(episodes.file[i]))
                .cloned()
                .unwrap_or_default(),
            u64::from(episodes.source_row[i]),
        )
    };
    let first = years.keys().next().copied();
    let last = years.keys().next_back().copied();
    let shown = |y: Option<CensusYear>| y.map(|y| y.to_string());
    if let Some((a, b)) = stated {
        if first.is_none() && excluded > 0 {
            return Err(CensusYearsError::NoneStated {
                first: a,
                last: b,
                excluded,
            });
        }
        return Ok(CensusYearsUsed {
            first: shown(first),
            last: shown(last),
            source: "stated",
            why: format!(
                "census years {a} to {b} stated ({}-{}); {excluded} {} outside them excluded \
                 (ledger: excluded:census_year_outside_window)",
                a.0,
                b.0,
                plural(excluded)
            ),
        });
    }
    let allowed = FIRST_CENSUS_YEAR..=last_ended(today);
    for (year, (rows, i)) in &years {
        if !allowed.contains(year) {
            let (file, row) = at(*i);
            return Err(CensusYearsError::OutsideRange {
                year: *year,
                rows: *rows,
                file,
                row,
                first: *allowed.start(),
                last: *allowed.end(),
            });
        }
    }
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(CensusYearsUsed {
            first: None,
            last: None,
            source: "data",
            why: "no row was kept".to_owned(),
        });
    };
    let mut counts: Vec<u64> = years.values().map(|(n, _)| *n).collect();
    counts.sort_unstable();
    let median = counts[(counts.len() - 1) / 2];
    let judged = median >= JUDGED_FROM_ROWS;
    if judged {
        for y in first.0..=last.0 {
            let year = CensusYear(y);
            let (rows, i) = years.get(&year).map_or((0, None), |(n, i)| (*n, Some(*i)));
            if (rows as f64) < SPARSE_SHARE * median as f64 {
                return Err(CensusYearsError::Sparse {
                    year,
                    rows,
                    at: i.map(at),
                    median,
                    first,
                    last,
                });
            }
        }
    }
    Ok(CensusYearsUsed {
        first: Some(first.to_string()),
        last: Some(last.to_string()),
        source: "data",
        why: format!(
            "the extract's own census years: none before {} (the first CIN census) or \
             after the last to have ended{}",
            allowed.start(),
            if judged {
                format!(
                    ", and every year from {first} to {last} holds at least 1% of the median \
                     year's rows"
                )
            } else {
                format!(
                    " (the median year holds under {JUDGED_FROM_ROWS} rows, too few to judge \
                     sparse or missing years)"
                )
            }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::episodes::EpisodeRow;

    fn extract(rows_per_year: &[(i16, u64)]) -> Episodes {
        let mut e = Episodes::new();
        let mut n = 0;
        for &(y, rows) in rows_per_year {
            for _ in 0..rows {
                n += 1;
                let mut r = EpisodeRow::empty(0, n, CensusYear(y));
                r.pmr = Some("P".to_owned());
                e.push(r);
            }
        }
        e
    }

    fn today() -> Date {
        Date::ymd(2026, 12, 6)
    }

    fn files() -> Vec<String> {
        vec!["cin.csv".to_owned()]
    }

    #[test]
    fn the_last_census_year_to_have_ended() {
        assert_eq!(last_ended(Date::ymd(2026, 3, 31)), CensusYear(2025));
        assert_eq!(last_ended(Date::ymd(2026, 4, 1)), CensusYear(2026));
    }

    #[test]
    fn plausible_years_are_used() {
        let e = extract(&[(2012, 150), (2013, 160), (2014, 2)]);
        let used = check(&e, &files(), None, 0, today()).unwrap();
        assert_eq!(used.first.as_deref(), Some("2011/12"));
        assert_eq!(used.last.as_deref(), Some("2013/14"));
        assert_eq!(used.source, "data");
    }

    #[test]
    fn a_year_that_has_not_ended_is_an_error() {
        let e = extract(&[(2012, 3), (2027, 1)]);
        let err = check(&e, &files(), None, 0, today()).unwrap_err();
        let m = err.to_string();
        assert!(
            matches!(err, CensusYearsError::OutsideRange { rows: 1, .. }),
            "{m}"
        );
        assert!(
            m.contains("census year 2026/27 (1 row, the first in cin.csv, row 4)")
                && m.contains("2008/09")
                && m.contains("2025/26")
                && m.contains("--census-years"),
            "{m}"
        );
        let e = extract(&[(2008, 2), (2012, 3)]);
        let m = check(&e, &files(), None, 0, today())
            .unwrap_err()
            .to_string();
        assert!(m.contains("census year 2007/08 (2 rows"), "{m}");
    }

    #[test]
    fn a_sparse_or_missing_year_is_an_error_once_years_are_large_enough_to_judge() {
        let e = extract(&[(2012, 200), (2013, 210), (2014, 1)]);
        let m = check(&e, &files(), None, 0, today())
            .unwrap_err()
            .to_string();
        assert!(
            m.contains("census year 2013/14 has 1 row (the first in cin.csv, row 411)")
                && m.contains("median census year of the extract has 200"),
            "{m}"
        );
        let e = extract(&[(2012, 200), (2014, 210)]);
        let m = check(&e, &files(), None, 0, today())
            .unwrap_err()
            .to_string();
        assert!(m.contains("census year 2012/13 has 0 rows where"), "{m}");
        // Small extracts are not judged.
        let e = extract(&[(2012, 20), (2014, 21), (2015, 1)]);
        assert!(check(&e, &files(), None, 0, today()).is_ok());
    }

    #[test]
    fn stated_years_are_taken_as_they_are() {
        let e = extract(&[(2012, 200), (2014, 1)]);
        let used = check(
            &e,
            &files(),
            Some((CensusYear(2009), CensusYear(2014))),
            3,
            today(),
        )
        .unwrap();
        assert_eq!(used.source, "stated");
        assert!(
            used.why.contains("3 rows outside them excluded"),
            "{}",
            used.why
        );
        let none = Episodes::new();
        let err = check(
            &none,
            &files(),
            Some((CensusYear(2009), CensusYear(2010))),
            5,
            today(),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            CensusYearsError::NoneStated { excluded: 5, .. }
        ));
    }
}
