//! A simulated child and the dates of their life: who they are, where they lived, what
//! happened to them, and their birthdays.

use cumin_census::date::is_leap_year;
use cumin_census::{Date, Sex};

/// Days in the pre-birth period during which a referral is "pre-birth" (Jay et al.).
pub const PREBIRTH_DAYS: i32 = 186;

/// A stretch of life in one LA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stint {
    /// The LA.
    pub la: u16,
    /// First day there.
    pub from: Date,
}

/// An episode as it really happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrueEpisode {
    /// Referral date.
    pub referral: Date,
    /// Closure date (always set: episodes end by the 18th birthday at the latest).
    pub closure: Date,
    /// Closed with no further action at referral (not assessed).
    pub nfa: bool,
    /// Reason for closure, `RC1`..`RC9` as 1..9.
    pub reason: u8,
    /// Assessment start.
    pub assessment: Option<Date>,
    /// Section 47 enquiry start.
    pub s47: Option<Date>,
    /// Initial child protection conference.
    pub icpc: Option<Date>,
    /// Plan start.
    pub cpp_start: Option<Date>,
    /// Plan end.
    pub cpp_end: Option<Date>,
    /// Index into the child's stints (the LA holding the episode).
    pub stint: u16,
    /// Referral source code index (into [`REFERRAL_SOURCES`]).
    pub source: u8,
    /// Primary need, `N0`..`N9`.
    pub need: u8,
}

/// Referral source codes.
pub const REFERRAL_SOURCES: [&str; 20] = [
    "1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4", "5A", "5B", "5C",
    "5D", "6", "7", "9",
];

/// A simulated child.
#[derive(Clone, Debug)]
pub struct Child {
    /// Global index (stable for a seed and scale).
    pub index: u64,
    /// Birth cohort (financial year of birth, named by its end).
    pub cohort: i16,
    /// True date of birth.
    pub dob: Date,
    /// Sex.
    pub sex: Sex,
    /// Ethnicity code index into the parameter list.
    pub ethnicity: u8,
    /// IDACI decile, 1 = most deprived.
    pub decile: u8,
    /// Whether the child ever has a PMR.
    pub has_pmr: bool,
    /// Where the child lived, in order.
    pub stints: Vec<Stint>,
    /// Episodes, in order of referral.
    pub episodes: Vec<TrueEpisode>,
    /// The day the child arrived in England, for a child born abroad (migration only):
    /// nothing before it is in England's history.
    pub arrival: Option<Date>,
    /// The day the child left England before 18 (migration only): nothing on or after it
    /// is in England's history.
    pub departure: Option<Date>,
}

impl Child {
    /// First day of the child's life in England: six months before birth for a child born
    /// here, the arrival day for one who came later.
    pub fn resident_from(&self) -> Date {
        self.arrival
            .unwrap_or_else(|| self.dob.add_days(-PREBIRTH_DAYS))
    }

    /// Whether the child lives in England on `day`.
    pub fn resident_on(&self, day: Date) -> bool {
        day >= self.resident_from() && self.departure.is_none_or(|d| day < d)
    }
}

/// The date `years` after `dob` (29 February births have birthdays on 1 March).
pub fn birthday(dob: Date, years: i32) -> Date {
    let (y, m, d) = dob.to_ymd();
    Date::from_ymd(y + years, m, d).unwrap_or_else(|| Date::ymd(y + years, 3, 1))
}

/// A child's birthdays as day numbers: `days[k]` is the `k`th (0 = the day of birth), up
/// to the 18th.
#[derive(Clone, Copy, Debug)]
pub struct Birthdays {
    /// Birthdays 0..=18, days since 1970-01-01.
    pub days: [i32; 19],
}

impl Birthdays {
    /// The birthdays of a child born on `dob`.
    pub fn new(dob: Date) -> Birthdays {
        let mut days = [dob.days(); 19];
        let (y, m, d) = dob.to_ymd();
        if m == 2 && d == 29 {
            for (k, b) in days.iter_mut().enumerate().skip(1) {
                *b = birthday(dob, k as i32).days();
            }
            return Birthdays { days };
        }
        // Every child is simulated, so this runs tens of millions of times: step a year at
        // a time, adding the leap day when the year ahead holds a 29 February.
        for k in 1..19 {
            let from_year = y + k as i32 - 1;
            let leap_ahead = if m <= 2 {
                is_leap_year(from_year)
            } else {
                is_leap_year(from_year + 1)
            };
            days[k] = days[k - 1] + 365 + i32::from(leap_ahead);
        }
        Birthdays { days }
    }

    /// The `k`th birthday.
    pub fn at(&self, k: usize) -> Date {
        Date::from_days(self.days[k]).expect("birthdays of simulated children are in range")
    }

    /// The 18th birthday.
    pub fn eighteenth(&self) -> Date {
        self.at(18)
    }
}
