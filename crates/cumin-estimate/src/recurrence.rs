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
    // tally[year − first][k − 1] = (children, recurred), years from the earliest first
    // event's on.
    let k_max = usize::from(MAX_YEARS);
    let mut first_year: Option<i16> = None;
    let mut tally: Vec<[(u64, u64); MAX_YEARS as usize]> = Vec::new();
    let mut start = 0;
    while start < all.len() {
        let child = all[start].child;
        let end = all[start..]
            .iter()
            .position(|e| e.child != child)
            .map_or(all.len(), |n| start + n);
        let mut in_window = all[start..end].iter().filter(|e| e.in_window);
        start = end;
        let Some(first) = in_window.next() else {
            continue;
        };
        // Events are sorted by date: the next in the window is the earliest recurrence.
        let next = in_window.next().map(|e| e.date);
        let year = CensusYear::containing(first.date).0;
        let follow = (i32::from(last.0) - i32::from(year)).clamp(0, MAX_YEARS.into()) as usize;
        if follow == 0 {
            continue;
        }
        let base = *first_year.get_or_insert(year);
        if year < base {
            let more = usize::try_from(base - year).expect("year before base");
            tally.splice(
                0..0,
                std::iter::repeat_n([(0, 0); MAX_YEARS as usize], more),
            );
            first_year = Some(year);
        }
        let row =
            usize::try_from(year - first_year.unwrap_or(year)).expect("year on or after the first");
        if tally.len() <= row {
            tally.resize(row + 1, [(0, 0); MAX_YEARS as usize]);
        }
        for k in 1..=follow.min(k_max) {
            let again = next.is_some_and(|d| d < add_years(first.date, k as i32));
            let t = &mut tally[row][k - 1];
            t.0 += 1;
            t.1 += u64::from(again);
        }
    }
    let first_year = first_year.unwrap_or(0);
    tally
        .iter()
        .enumerate()
        .flat_map(|(row, ks)| {
            ks.iter()
                .enumerate()
                .filter(|(_, t)| t.0 > 0)
                .map(move |(k, &(children, recurred))| Recurrence {
                    outcome,
                    first_year: CensusYear(first_year + row as i16),
                    years_after: k as u8 + 1,
                    children: children as f64,
                    recurred: recurred as f64,
                    share: Some(recurred as f64 / children as f64),
                })
        })
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

    /// The tally as it was first written (a map entry per child and `k`), the reference
    /// the array tally must equal.
    fn reference(outcome: Outcome, all: &[Event], last: CensusYear) -> Vec<Recurrence> {
        let mut tally: std::collections::BTreeMap<(i16, u8), (u64, u64)> =
            std::collections::BTreeMap::new();
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
            .map(|((y, k), (c, r))| Recurrence {
                outcome,
                first_year: CensusYear(y),
                years_after: k,
                children: c as f64,
                recurred: r as f64,
                share: Some(r as f64 / c as f64),
            })
            .collect()
    }

    proptest::proptest! {
        /// Children in any order of their first years, events sorted by child then date,
        /// some outside the window.
        #[test]
        fn the_array_tally_equals_the_map_tally(
            children in proptest::collection::vec(
                proptest::collection::vec((0i32..4000, proptest::bool::weighted(0.8)), 1..6),
                0..60,
            ),
            last in 2010i16..2024,
        ) {
            let mut events = Vec::new();
            for (c, evs) in children.iter().enumerate() {
                let mut days: Vec<(i32, bool)> = evs.clone();
                days.sort_unstable();
                for (d, in_window) in days {
                    let date = Date::ymd(2009, 1, 1).add_days(d);
                    events.push(ev(c as u32, date, in_window));
                }
            }
            let last = CensusYear(last);
            proptest::prop_assert_eq!(
                recurrence(Outcome::Referral, &events, last),
                reference(Outcome::Referral, &events, last)
            );
        }
    }
}
