//! Recurrence: among children whose first event in the window fell in a census
//! year, the share with another such event within 1..6 years.
//!
//! A (year, k) row is written only when all of its children are followed for the whole
//! `k` years (the census year plus `k` is at most the last in the data), so every share
//! is a complete-follow-up proportion. Events at 18 or over are not in the data, so, as in
//! the simulator's truth, follow-up also ends at the 18th birthday. In census years soon
//! after the window start a "first" event may follow one before the window (the same
//! left-censoring as for incidence), which raises the share; years with a longer lookback
//! are closer to first-ever events.

use crate::results::Recurrence;
use cumin_census::{CensusYear, Date, Outcome};
use cumin_cohort::Event;
use std::collections::BTreeMap;

/// Longest follow-up reported, in years.
pub const MAX_YEARS: u8 = 6;

/// `date` plus `years` years (29 February to 1 March in other years).
pub fn add_years(date: Date, years: i32) -> Date {
    let (y, m, d) = date.to_ymd();
    Date::from_ymd(y + years, m, d).unwrap_or_else(|| Date::ymd(y + years, 3, 1))
}

/// Recurrence of one outcome from all of its events (sorted by child, then date), the
/// last census year in the data being `last`.
pub fn recurrence(outcome: Outcome, all: &[Event], last: CensusYear) -> Vec<Recurrence> {
    // (first year, k) → (children, recurred)
    let mut tally: BTreeMap<(i16, u8), (u64, u64)> = BTreeMap::new();
    let in_window: Vec<&Event> = all.iter().filter(|e| e.in_window).collect();
    for child in in_window.chunk_by(|a, b| a.child == b.child) {
        let first = child[0];
        let year = CensusYear::containing(first.date);
        for k in 1..=MAX_YEARS {
            if i32::from(year.0) + i32::from(k) > i32::from(last.0) {
                break;
            }
            let limit = add_years(first.date, i32::from(k));
            let again = child[1..].iter().any(|e| e.date < limit);
            let t = tally.entry((year.0, k)).or_insert((0, 0));
            t.0 += 1;
            t.1 += u64::from(again);
        }
    }
    tally
        .into_iter()
        .map(
            |((first_year, years_after), (children, recurred))| Recurrence {
                outcome,
                first_year: CensusYear(first_year),
                years_after,
                children: children as f64,
                recurred: recurred as f64,
                share: (children > 0).then(|| recurred as f64 / children as f64),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_cohort::BirthCohort;
    use cumin_link::ChildId;

    fn ev(child: u32, date: Date, in_window: bool) -> Event {
        Event {
            child: ChildId(child),
            episode: 0,
            date,
            age: 5,
            cohort: BirthCohort(2008),
            in_window,
        }
    }

    #[test]
    fn shares_count_later_events_within_k_years_and_need_full_follow_up() {
        let events = [
            // Child 0: first in 2014/15, again 18 months later.
            ev(0, Date::ymd(2014, 6, 1), true),
            ev(0, Date::ymd(2015, 12, 1), true),
            // Child 1: an event before the window, then one in 2014/15 only.
            ev(1, Date::ymd(2010, 6, 1), false),
            ev(1, Date::ymd(2014, 9, 1), true),
            // Child 2: first in 2014/15, again exactly three years later (not within 3).
            ev(2, Date::ymd(2014, 5, 5), true),
            ev(2, Date::ymd(2017, 5, 5), true),
        ];
        let r = recurrence(Outcome::Referral, &events, CensusYear(2018));
        let at = |k: u8| {
            r.iter()
                .find(|x| x.first_year == CensusYear(2015) && x.years_after == k)
                .unwrap()
        };
        assert_eq!((at(1).children, at(1).recurred), (3.0, 0.0));
        assert_eq!((at(2).children, at(2).recurred), (3.0, 1.0));
        assert_eq!((at(3).children, at(3).recurred), (3.0, 1.0));
        // 2015 + 4 > 2018: no complete four-year follow-up.
        assert!(r.iter().all(|x| x.years_after <= 3));
        assert_eq!(add_years(Date::ymd(2012, 2, 29), 1), Date::ymd(2013, 3, 1));
    }
}
