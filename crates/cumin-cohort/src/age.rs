//! Ages and birth cohorts.

use cumin_census::Date;

/// Youngest age cumin tabulates: −1 is "before birth" (a pre-birth referral).
pub const MIN_AGE: i8 = -1;
/// Oldest age cumin tabulates (the year before the 18th birthday).
pub const MAX_AGE: i8 = 17;
/// Number of age columns in a count table (−1..=17).
pub const N_AGES: usize = (MAX_AGE - MIN_AGE + 1) as usize;

/// Column of `age` in a count table.
pub fn age_index(age: i8) -> usize {
    (age - MIN_AGE) as usize
}

/// Age of column `index` in a count table.
pub fn age_of_index(index: usize) -> i8 {
    index as i8 + MIN_AGE
}

/// A birth cohort: children born in one financial year (1 April – 31 March), named by
/// the calendar year it ends in (`2013` = born 1 April 2012 – 31 March 2013), as Jay et
/// al. 2025 and the input contract name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct BirthCohort(pub i16);

impl BirthCohort {
    /// The cohort of a date of birth.
    pub fn of(dob: Date) -> BirthCohort {
        BirthCohort(dob.financial_year() as i16)
    }

    /// First birth date in the cohort.
    pub fn first_birth(self) -> Date {
        Date::ymd(i32::from(self.0) - 1, 4, 1)
    }

    /// Last birth date in the cohort.
    pub fn last_birth(self) -> Date {
        Date::ymd(i32::from(self.0), 3, 31)
    }

    /// Whether every child of the cohort spends the whole of age `age` (−1 meaning the
    /// `prebirth_days` before birth) inside `[start, end]`.
    pub fn age_observed(self, age: i8, start: Date, end: Date, prebirth_days: i32) -> bool {
        let (from, to) = self.age_span(age, prebirth_days);
        from >= start && to <= end
    }

    /// The dates over which children of the cohort are aged `age`: from the first
    /// child's birthday to the day before the last child's next birthday.
    pub fn age_span(self, age: i8, prebirth_days: i32) -> (Date, Date) {
        if age < 0 {
            return (
                self.first_birth().add_days(-prebirth_days),
                self.last_birth().add_days(-1),
            );
        }
        let a = i32::from(age);
        let from = Date::ymd(i32::from(self.0) - 1 + a, 4, 1);
        let to = Date::ymd(i32::from(self.0) + a + 1, 3, 31).add_days(-1);
        (from, to)
    }
}

impl std::fmt::Display for BirthCohort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How ages are counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgeRule {
    /// Completed years by the calendar (birthdays), −1 before birth.
    #[default]
    Calendar,
    /// Jay et al.'s R code: `trunc(days / 365.25)`, −1 if negative.
    Days365,
}

impl AgeRule {
    /// Age at `date` of a child born on `dob` ([`cumin_census::age`]).
    pub fn age(self, dob: Date, date: Date) -> i32 {
        match self {
            AgeRule::Calendar => cumin_census::age_at(dob, date),
            AgeRule::Days365 => cumin_census::age::age_in_r_years(dob, date),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_by_both_rules() {
        let dob = Date::ymd(2012, 3, 1);
        assert_eq!(AgeRule::Calendar.age(dob, Date::ymd(2012, 2, 1)), -1);
        assert_eq!(AgeRule::Calendar.age(dob, Date::ymd(2013, 2, 28)), 0);
        assert_eq!(AgeRule::Calendar.age(dob, Date::ymd(2013, 3, 1)), 1);
        // 365.25 days per year: 2013-03-01 is 365 days on, still age 0.
        assert_eq!(AgeRule::Days365.age(dob, Date::ymd(2013, 3, 1)), 0);
        assert_eq!(AgeRule::Days365.age(dob, Date::ymd(2013, 3, 2)), 1);
        assert_eq!(AgeRule::Days365.age(dob, Date::ymd(2012, 2, 29)), -1);
    }

    #[test]
    fn cohorts_and_observed_ages() {
        assert_eq!(BirthCohort::of(Date::ymd(2012, 4, 1)), BirthCohort(2013));
        assert_eq!(BirthCohort::of(Date::ymd(2013, 3, 31)), BirthCohort(2013));
        let w = Date::ymd(2011, 4, 1);
        let end = Date::ymd(2024, 3, 31);
        let c = BirthCohort(2013);
        assert!(c.age_observed(-1, w, end, 186));
        assert!(c.age_observed(10, w, end, 186));
        assert!(!c.age_observed(11, w, end, 186));
        assert!(!BirthCohort(2012).age_observed(-1, w, end, 186));
        assert!(BirthCohort(2012).age_observed(0, w, end, 186));
        assert!(!BirthCohort(2001).age_observed(10, w, end, 186));
        assert!(BirthCohort(2001).age_observed(11, w, end, 186));
        assert_eq!(age_index(-1), 0);
        assert_eq!(age_of_index(N_AGES - 1), 17);
    }
}
