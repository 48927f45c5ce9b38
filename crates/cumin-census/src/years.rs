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
    /// Most referral dates after the end of the census year their row is in: the years
    /// are named by the year each starts, or shifted.
    #[error(
        "{after} of the {dated} rows with a referral date have it after the end of their \
         census year (31 March of the year ACADYR names), e.g. {file} row {row}: census year \
         {year} and referral {referral}. An episode is reported only in census years in which \
         it was open, so ACADYR seems to name the year each census year starts (2013 for \
         2013/14), not the year it ends; a one-year shift would move every age and the data \
         end. Write the census years as 2013/14, or map the values in the study file \
         ([values.ACADYR] \"2013\" = \"2013/14\")"
    )]
    ReferralsAfterTheirYear {
        /// Rows whose (recorded) referral date is after their census year's end.
        after: u64,
        /// Rows with a recorded referral date.
        dated: u64,
        /// The file of the first such row.
        file: String,
        /// That row's number in the file.
        row: u64,
        /// Its census year as read.
        year: CensusYear,
        /// Its referral date.
        referral: Date,
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

/// Rows with a recorded referral date needed before [`referrals_within_their_years`]
/// judges (a handful of wrong dates in a tiny extract is not a pattern).
pub const REFERRALS_JUDGED_FROM: u64 = 20;

/// Checks that referral dates are not mostly after the end of their row's census year.
/// An episode is in the census of every year in which it was open, so its referral is
/// never after the end of a census year it appears in; a few such rows are recording
/// errors, but a majority means the census years are named by the year each starts
/// (`2013` meaning 2013/14, as some exports write the academic year), which would shift
/// every age and the data end by a year. Imputed referral dates (1 September of the
/// census year) are not counted.
pub fn referrals_within_their_years(
    episodes: &Episodes,
    files: &[String],
) -> Result<(), CensusYearsError> {
    let mut dated = 0u64;
    let mut after = 0u64;
    let mut first = None;
    for i in 0..episodes.len() {
        let Some(referral) = episodes.referral[i] else {
            continue;
        };
        if episodes.referral_imputed[i] {
            continue;
        }
        dated += 1;
        if referral > episodes.census_year[i].end() {
            after += 1;
            first.get_or_insert((i, referral));
        }
    }
    match first {
        Some((i, referral)) if dated >= REFERRALS_JUDGED_FROM && 2 * after > dated => {
            Err(CensusYearsError::ReferralsAfterTheirYear {
                after,
                dated,
                file: files
                    .get(usize::from(episodes.file[i]))
                    .cloned()
                    .unwrap_or_default(),
                row: u64::from(episodes.source_row[i]),
                year: episodes.census_year[i],
                referral,
            })
        }
        _ => Ok(()),
    }
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

    /// `n` rows of census year 2013/14, the first `late` referred after 31 March 2014,
    /// the rest in it; `imputed` more rows with an imputed referral after the year.
    fn referred(n: u32, late: u32, imputed: u32) -> Episodes {
        let mut e = Episodes::new();
        for k in 0..n + imputed {
            let mut r = EpisodeRow::empty(0, k + 1, CensusYear(2014));
            r.pmr = Some("P".to_owned());
            r.referral = Some(if k < late || k >= n {
                Date::ymd(2014, 5, 1)
            } else {
                Date::ymd(2013, 11, 1)
            });
            r.referral_imputed = k >= n;
            e.push(r);
        }
        e
    }

    #[test]
    fn most_referrals_after_their_census_year_mean_shifted_years() {
        let err = referrals_within_their_years(&referred(30, 16, 0), &files()).unwrap_err();
        let m = err.to_string();
        assert!(
            m.starts_with("16 of the 30 rows with a referral date"),
            "{m}"
        );
        assert!(
            m.contains("row 1: census year 2013/14 and referral 2014-05-01"),
            "{m}"
        );
        assert!(m.contains("[values.ACADYR]"), "{m}");
        // A minority is a recording error, not a naming of years.
        assert!(referrals_within_their_years(&referred(30, 15, 0), &files()).is_ok());
        // Imputed dates do not count, and a tiny extract is not judged.
        assert!(referrals_within_their_years(&referred(30, 10, 40), &files()).is_ok());
        assert!(referrals_within_their_years(&referred(19, 19, 0), &files()).is_ok());
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
