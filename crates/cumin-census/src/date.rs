//! Calendar dates as day numbers, with the two spellings NPD extracts use.
//!
//! A [`Date`] is a count of days since 1970-01-01 (the same epoch as Arrow's `Date32`),
//! stored so that `Option<Date>` takes four bytes: an England-scale extract holds tens of
//! millions of rows with a dozen date columns each.

use std::fmt;
use std::num::NonZeroI32;

/// Offset added to the day number so that no valid date is stored as zero.
const NICHE_OFFSET: i32 = 1 << 24;

/// Subtracted from the stored value in [`Date::to_bits`].
const BITS_OFFSET: i32 = NICHE_OFFSET - (1 << 20);

/// A calendar date (proleptic Gregorian), years 1000 to 9999.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(NonZeroI32);

impl Date {
    /// Earliest representable year; parsing rejects anything earlier.
    pub const MIN_YEAR: i32 = 1000;
    /// Latest representable year.
    pub const MAX_YEAR: i32 = 9999;

    /// The date from its day number since 1970-01-01 (Arrow `Date32`).
    ///
    /// Returns `None` outside years 1000..=9999.
    pub fn from_days(days: i32) -> Option<Date> {
        let (y, _, _) = civil_from_days(days);
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&y) {
            return None;
        }
        NonZeroI32::new(days + NICHE_OFFSET).map(Date)
    }

    /// The date from year, month and day; `None` if it does not exist.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
        {
            return None;
        }
        // The year is in range, so the day number is (no need for `from_days`' check).
        NonZeroI32::new(days_from_civil(year, month, day) + NICHE_OFFSET).map(Date)
    }

    /// Like [`Date::from_ymd`] for dates known to exist (constants, tests).
    ///
    /// # Panics
    /// If the date does not exist.
    pub fn ymd(year: i32, month: u32, day: u32) -> Date {
        Date::from_ymd(year, month, day)
            .unwrap_or_else(|| panic!("{year}-{month}-{day} is not a date"))
    }

    /// `date` in 22 bits, 0 for none: for tables of dates looked up per row, kept
    /// small (`read/ingest.rs`).
    pub(crate) fn to_bits(date: Option<Date>) -> u32 {
        // Years 1000 to 9999 are 694,291..=3,981,472 here: above 0, below 2^22.
        date.map_or(0, |d| (d.0.get() - BITS_OFFSET) as u32)
    }

    /// The date whose [`Date::to_bits`] is `bits` (`bits` must be one of its results).
    pub(crate) fn from_bits(bits: u32) -> Option<Date> {
        NonZeroI32::new(if bits == 0 {
            0
        } else {
            bits as i32 + BITS_OFFSET
        })
        .map(Date)
    }

    /// Day number since 1970-01-01.
    pub fn days(self) -> i32 {
        self.0.get() - NICHE_OFFSET
    }

    /// Year, month (1-12) and day (1-31).
    pub fn to_ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.days())
    }

    /// The calendar year.
    pub fn year(self) -> i32 {
        self.to_ymd().0
    }

    /// The month, 1-12.
    pub fn month(self) -> u32 {
        self.to_ymd().1
    }

    /// This date moved by `days` (saturating at the representable range).
    #[must_use]
    pub fn add_days(self, days: i32) -> Date {
        Date::from_days(self.days().saturating_add(days)).unwrap_or(self)
    }

    /// Days from `earlier` to `self` (negative if `self` is earlier).
    pub fn days_since(self, earlier: Date) -> i32 {
        self.days() - earlier.days()
    }

    /// Completed years from `birth` to `self` by the calendar: the age a person born on
    /// `birth` has on this date (negative before birth: −1 for the year before).
    pub fn completed_years_since(self, birth: Date) -> i32 {
        let (by, bm, bd) = birth.to_ymd();
        let (y, m, d) = self.to_ymd();
        let mut years = y - by;
        if (m, d) < (bm, bd) {
            years -= 1;
        }
        years
    }

    /// The financial year (1 April – 31 March) holding this date, named by the
    /// calendar year it ends in: 2012-04-01 and 2013-03-31 are both in `2013`.
    pub fn financial_year(self) -> i32 {
        let (y, m, _) = self.to_ymd();
        if m >= 4 { y + 1 } else { y }
    }

    /// Parses `YYYY-MM-DD` (ISO) or `DD/MM/YYYY`, allowing surrounding spaces and an
    /// ISO time part (`2013-04-01T00:00:00`, `2013-04-01 00:00:00`) as databases write it.
    pub fn parse(text: &str) -> Option<Date> {
        let s = text.trim();
        let b = s.as_bytes();
        if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
            if b.len() > 10 && b[10] != b'T' && b[10] != b' ' {
                return None;
            }
            let y = digits(&b[0..4])?;
            let m = digits(&b[5..7])?;
            let d = digits(&b[8..10])?;
            return Date::from_ymd(y as i32, m, d);
        }
        if b.len() == 10 && b[2] == b'/' && b[5] == b'/' {
            let d = digits(&b[0..2])?;
            let m = digits(&b[3..5])?;
            let y = digits(&b[6..10])?;
            return Date::from_ymd(y as i32, m, d);
        }
        None
    }
}

/// What a date written `D/M/YYYY` or `M/D/YYYY` (one or two digits each, a time after it
/// ignored) can mean, for telling a column's order from its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlashOrder {
    /// Only day first makes a date (`25/12/2013`).
    DayFirst,
    /// Only month first makes a date (`12/25/2013`).
    MonthFirst,
    /// Both do (`05/06/2013`): the value alone cannot tell.
    Either,
    /// Neither does (`31/02/2013`).
    Neither,
}

impl SlashOrder {
    /// How `text` reads if it is a slashed date; `None` for any other shape.
    pub fn of(text: &str) -> Option<SlashOrder> {
        let s = text.trim();
        let s = s.split([' ', 'T']).next().unwrap_or(s);
        let mut parts = s.split('/');
        let (a, b, y) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some()
            || !(1..=2).contains(&a.len())
            || !(1..=2).contains(&b.len())
            || y.len() != 4
        {
            return None;
        }
        let (a, b, y) = (
            digits(a.as_bytes())?,
            digits(b.as_bytes())?,
            digits(y.as_bytes())? as i32,
        );
        let day_first = Date::from_ymd(y, b, a).is_some();
        let month_first = Date::from_ymd(y, a, b).is_some();
        Some(match (day_first, month_first) {
            (true, false) => SlashOrder::DayFirst,
            (false, true) => SlashOrder::MonthFirst,
            (true, true) => SlashOrder::Either,
            (false, false) => SlashOrder::Neither,
        })
    }
}

/// What the slashed dates (`25/12/2013`) of one date column allow: how many can only be
/// day first, how many only month first, how many either, and the first of each kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlashTally {
    /// Values that are dates only day first.
    pub day_first: u64,
    /// Values that are dates only month first.
    pub month_first: u64,
    /// Values that are dates either way.
    pub either: u64,
    /// The first day-first-only value: (data row, value).
    pub first_day_first: Option<(u64, String)>,
    /// The first month-first-only value: (data row, value).
    pub first_month_first: Option<(u64, String)>,
}

impl SlashTally {
    /// Adds `other`'s tally, whose rows come after this one's.
    pub(crate) fn add(&mut self, other: &SlashTally) {
        self.day_first += other.day_first;
        self.month_first += other.month_first;
        self.either += other.either;
        if self.first_day_first.is_none() {
            self.first_day_first.clone_from(&other.first_day_first);
        }
        if self.first_month_first.is_none() {
            self.first_month_first.clone_from(&other.first_month_first);
        }
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.to_ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("{text:?} is not a date (YYYY-MM-DD or DD/MM/YYYY)"))
        })
    }
}

impl std::str::FromStr for Date {
    type Err = String;
    fn from_str(s: &str) -> Result<Date, String> {
        Date::parse(s).ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD or DD/MM/YYYY)"))
    }
}

/// Whether `year` is a Gregorian leap year.
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in a month of a year.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

// Howard Hinnant's civil-calendar algorithms (public domain), exact for all i32 day numbers
// we accept.
fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = (y - era * 400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn epoch_and_known_days() {
        assert_eq!(Date::ymd(1970, 1, 1).days(), 0);
        assert_eq!(Date::ymd(2000, 3, 1).days(), 11_017);
        assert_eq!(Date::ymd(2011, 4, 1).to_string(), "2011-04-01");
    }

    #[test]
    fn option_date_is_four_bytes() {
        assert_eq!(std::mem::size_of::<Option<Date>>(), 4);
    }

    /// Every date, the first and last representable among them, and none come back from
    /// 22 bits, none alone as 0 (the per-value tables of `read/ingest.rs` pack an
    /// effect's index beside them in a `u32`).
    #[test]
    fn dates_round_trip_through_22_bits() {
        let first = Date::ymd(Date::MIN_YEAR, 1, 1);
        let last = Date::ymd(Date::MAX_YEAR, 12, 31);
        assert_eq!(Date::to_bits(None), 0);
        assert_eq!(Date::from_bits(0), None);
        for days in (first.days()..=last.days())
            .step_by(997)
            .chain([last.days()])
        {
            let d = Date::from_days(days).unwrap();
            let bits = Date::to_bits(Some(d));
            assert!(bits > 0 && bits < 1 << 22, "{d}: {bits}");
            assert_eq!(Date::from_bits(bits), Some(d));
        }
        // Order is kept, so the ends bound every date's bits.
        assert!(Date::to_bits(Some(first)) < Date::to_bits(Some(last)));
    }

    #[test]
    fn parses_both_spellings_and_rejects_others() {
        let d = Some(Date::ymd(2014, 1, 15));
        assert_eq!(Date::parse("2014-01-15"), d);
        assert_eq!(Date::parse(" 15/01/2014 "), d);
        assert_eq!(Date::parse("2014-01-15T00:00:00"), d);
        assert_eq!(Date::parse("2014-01-15 00:00:00.000"), d);
        for bad in [
            "",
            "2014-1-15",
            "15/1/2014",
            "2014/01/15",
            "2014-02-30",
            "31/04/2014",
            "20140115",
            "2014-01-15x",
            "abcd-01-15",
            "15-01-2014",
            "0999-01-01",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Date::parse("2012-02-29"), Some(Date::ymd(2012, 2, 29)));
        assert_eq!(Date::parse("2013-02-29"), None);
    }

    #[test]
    fn slashed_dates_say_which_order_they_allow() {
        use SlashOrder::{DayFirst, Either, MonthFirst, Neither};
        for (text, want) in [
            ("25/12/2013", Some(DayFirst)),
            ("12/25/2013", Some(MonthFirst)),
            ("5/13/2013", Some(MonthFirst)),
            ("5/13/2013 0:00", Some(MonthFirst)),
            ("05/06/2013", Some(Either)),
            ("12/12/2013", Some(Either)),
            ("31/02/2013", Some(Neither)),
            ("29/02/2013", Some(Neither)),
            ("29/02/2012", Some(DayFirst)),
            ("2013-12-25", None),
            ("123/1/2013", None),
            ("1/1/13", None),
            ("a/1/2013", None),
            ("1/1/2013/4", None),
        ] {
            assert_eq!(SlashOrder::of(text), want, "{text}");
        }
    }

    #[test]
    fn completed_years_follow_birthdays() {
        let b = Date::ymd(2012, 2, 29);
        assert_eq!(Date::ymd(2013, 2, 28).completed_years_since(b), 0);
        assert_eq!(Date::ymd(2013, 3, 1).completed_years_since(b), 1);
        assert_eq!(Date::ymd(2011, 12, 1).completed_years_since(b), -1);
        let b = Date::ymd(2005, 9, 1);
        assert_eq!(Date::ymd(2023, 8, 31).completed_years_since(b), 17);
        assert_eq!(Date::ymd(2023, 9, 1).completed_years_since(b), 18);
    }

    #[test]
    fn financial_year_is_named_by_its_end() {
        assert_eq!(Date::ymd(2012, 4, 1).financial_year(), 2013);
        assert_eq!(Date::ymd(2013, 3, 31).financial_year(), 2013);
        assert_eq!(Date::ymd(2013, 4, 1).financial_year(), 2014);
    }

    proptest! {
        #[test]
        fn days_roundtrip(days in -300_000i32..2_900_000) {
            let d = Date::from_days(days).unwrap();
            let (y, m, dd) = d.to_ymd();
            prop_assert_eq!(Date::from_ymd(y, m, dd), Some(d));
            prop_assert_eq!(Date::parse(&d.to_string()), Some(d));
            prop_assert_eq!(Date::parse(&format!("{dd:02}/{m:02}/{y:04}")), Some(d));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = Date::parse(&s);
        }
    }
}
