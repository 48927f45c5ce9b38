//! The birth month of each key (LA child ID within LA), as the R code's age table gives
//! it: the mode of the rows' year-month of birth, ties to the tied value seen last.

use cumin_census::{CensusYear, Date};

/// A year-month of birth as the R code pastes it: `2012-05`, or half missing (`NA-05`,
/// `2012-NA`), which is a value of its own there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ym {
    /// Year of birth.
    pub year: Option<i16>,
    /// Month of birth, 1–12.
    pub month: Option<u8>,
}

impl Ym {
    /// The value of a row; `None` when both halves are missing (`NA-NA`, missing in R
    /// too). With `drop_half_missing`, also when either half is missing.
    pub fn of(year: Option<i16>, month: Option<u8>, drop_half_missing: bool) -> Option<Ym> {
        match (year, month) {
            (None, None) => None,
            (Some(_), Some(_)) => Some(Ym { year, month }),
            _ if drop_half_missing => None,
            _ => Some(Ym { year, month }),
        }
    }

    /// The notional date of birth, the 1st of the month; `None` for a half-missing value
    /// (R's `as.Date("NA-05-01")` is `NA`).
    pub fn first_day(self) -> Option<Date> {
        Date::from_ymd(i32::from(self.year?), u32::from(self.month?), 1)
    }
}

/// The mode as the R code's `mode.fun` computes it: missing values dropped, and among
/// values tied for the most rows, the one whose first appearance comes last.
pub fn r_mode<T: PartialEq + Copy>(values: impl IntoIterator<Item = Option<T>>) -> Option<T> {
    let mut seen: Vec<(T, u32)> = Vec::new();
    for v in values.into_iter().flatten() {
        match seen.iter_mut().find(|(u, _)| *u == v) {
            Some((_, n)) => *n += 1,
            None => seen.push((v, 1)),
        }
    }
    let max = seen.iter().map(|(_, n)| *n).max()?;
    seen.iter().rev().find(|(_, n)| *n == max).map(|(v, _)| *v)
}

/// One row of the age table.
#[derive(Clone, Copy, Debug)]
pub struct AgeRow {
    /// Key index.
    pub key: u32,
    /// Census year.
    pub census_year: CensusYear,
    /// Referral date as recorded (only dates before 1930 cleaned).
    pub referral: Option<Date>,
    /// Year-month of birth.
    pub ym: Option<Ym>,
}

/// The birth month of every key `0..n_keys` from the age table `rows`: rows ordered
/// by key, census year and referral date (missing last), then the mode per key.
pub fn birth_months(mut rows: Vec<AgeRow>, n_keys: usize) -> Vec<Option<Ym>> {
    rows.sort_by_key(AgeRow::order);
    birth_months_in_order(&rows, n_keys)
}

impl AgeRow {
    /// The age table's order: key, census year, referral date (missing last).
    pub fn order(&self) -> (u32, CensusYear, bool, Option<Date>) {
        (
            self.key,
            self.census_year,
            self.referral.is_none(),
            self.referral,
        )
    }
}

/// [`birth_months`] of rows already in the age table's order ([`AgeRow::order`], ties
/// in row order).
pub fn birth_months_in_order(rows: &[AgeRow], n_keys: usize) -> Vec<Option<Ym>> {
    let mut out = vec![None; n_keys];
    for run in rows.chunk_by(|a, b| a.key == b.key) {
        out[run[0].key as usize] = r_mode(run.iter().map(|r| r.ym));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_ties_go_to_the_value_first_seen_last() {
        assert_eq!(r_mode([Some(1), Some(2)]), Some(2));
        assert_eq!(r_mode([Some(2), Some(1), Some(2), Some(1)]), Some(1));
        assert_eq!(r_mode([Some(2), Some(1), Some(2)]), Some(2));
        assert_eq!(r_mode([None, Some(3), None]), Some(3));
        assert_eq!(r_mode::<u8>([None, None]), None);
    }

    #[test]
    fn half_missing_values_win_unless_dropped() {
        let full = Ym::of(Some(2012), Some(5), false);
        let half = Ym::of(None, Some(5), false);
        assert_eq!(half.unwrap().first_day(), None);
        assert_eq!(full.unwrap().first_day(), Some(Date::ymd(2012, 5, 1)));
        assert_eq!(Ym::of(None, Some(5), true), None);
        assert_eq!(Ym::of(None, None, false), None);
        let row = |cy, d: u32, ym| AgeRow {
            key: 0,
            census_year: CensusYear(cy),
            referral: Some(Date::ymd(2012, 6, d)),
            ym,
        };
        // Input order is not the order used: census year then referral.
        let rows = vec![row(2014, 1, half), row(2013, 2, full)];
        assert_eq!(birth_months(rows.clone(), 1), vec![half]);
        let dropped = vec![
            row(2014, 1, Ym::of(None, Some(5), true)),
            row(2013, 2, full),
        ];
        assert_eq!(birth_months(dropped, 1), vec![full]);
    }

    #[test]
    fn missing_referrals_sort_last_within_a_census_year() {
        let a = Ym::of(Some(2012), Some(3), false);
        let b = Ym::of(Some(2012), Some(6), false);
        let rows = vec![
            AgeRow {
                key: 1,
                census_year: CensusYear(2013),
                referral: None,
                ym: a,
            },
            AgeRow {
                key: 1,
                census_year: CensusYear(2013),
                referral: Some(Date::ymd(2012, 11, 1)),
                ym: b,
            },
        ];
        // b is seen first, a last: the tie goes to a.
        assert_eq!(birth_months(rows, 2), vec![None, a]);
    }
}
