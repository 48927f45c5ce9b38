//! Age at a date: the one rule every crate counts ages by (the estimators, the linkage
//! diagnostics, the simulator's truth), the R code's rule the Jay presets reproduce, and
//! the named constants of ages: the notional birthday and Jay et al.'s age bands.

use crate::Date;

/// Day of the birth month taken as the birthday: extracts record only the year and month
/// of birth, and the 15th is never more than half a month from the true day.
pub const NOTIONAL_BIRTH_DAY: u32 = 15;

/// Jay et al. 2025's design: each birth cohort (financial year of birth, named by its
/// end) and the ages it supplies, −1 being the months before birth: born 2012/13 at ages
/// 0-5 (with the pre-birth months), 2005/06 at 6-12, 2000/01 at 13-17.
pub const JAY_BANDS: [(i16, i8, i8); 3] = [(2013, -1, 5), (2006, 6, 12), (2001, 13, 17)];

/// An age in completed years, as output tables show it: 0..=17 are the years before the
/// 18th birthday (incidence "before age + 1"), −1 the months before birth (only the Jay
/// tables show it; elsewhere they are folded into age 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Age(pub i8);

impl Age {
    /// The age of column `index` of a table of ages 0..=17.
    pub fn of_index(index: usize) -> Age {
        Age(i8::try_from(index).expect("an age column"))
    }

    /// The column of a table of ages 0..=17 (`None` before birth).
    pub fn index(self) -> Option<usize> {
        usize::try_from(self.0).ok()
    }
}

impl std::fmt::Display for Age {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl serde::Serialize for Age {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i8(self.0)
    }
}

/// Completed years at `date` of a child born on `dob`, by the calendar (birthdays); −1
/// before birth.
pub fn age_at(dob: Date, date: Date) -> i32 {
    if date < dob {
        -1
    } else {
        date.completed_years_since(dob)
    }
}

/// Age as Jay et al.'s R code counts it: `trunc(days / 365.25)`, −1 before birth.
pub fn age_in_r_years(dob: Date, date: Date) -> i32 {
    let days = date.days_since(dob);
    if days < 0 {
        -1
    } else {
        (f64::from(days) / 365.25).trunc() as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_by_the_calendar_and_by_the_r_code() {
        let dob = Date::ymd(2012, 3, 1);
        assert_eq!(age_at(dob, Date::ymd(2012, 2, 1)), -1);
        assert_eq!(age_at(dob, Date::ymd(2012, 3, 1)), 0);
        assert_eq!(age_at(dob, Date::ymd(2013, 2, 28)), 0);
        assert_eq!(age_at(dob, Date::ymd(2013, 3, 1)), 1);
        // 365.25 days per year: 2013-03-01 is 365 days on, still age 0.
        assert_eq!(age_in_r_years(dob, Date::ymd(2013, 3, 1)), 0);
        assert_eq!(age_in_r_years(dob, Date::ymd(2013, 3, 2)), 1);
        assert_eq!(age_in_r_years(dob, Date::ymd(2012, 2, 29)), -1);
    }
}
