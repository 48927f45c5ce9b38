//! Event years: the ages at which each child had an in-window event, and the count tables
//! the estimators are built from.
//!
//! A child's *event years* for an outcome are the distinct ages (pre-birth folded into
//! age 0, as in the output tables) with at least one in-window event. From them come, per
//! birth cohort and age,
//! - first *observed* events: the child's first event year in the window (what an
//!   unadjusted estimator counts), and
//! - the *lookback table*: children with an event at age `a` by the latest earlier event
//!   year `p` at an age the cohort is wholly observed (or none), which is all the
//!   left-censoring correction needs (`cumin_stats::correction`).
//!
//! Tables take a weight per child, so a bootstrap resample is the same tabulation with
//! other weights.

use crate::age::BirthCohort;
use crate::events::Event;
use cumin_link::ChildId;
use ndarray::{Array2, Array3};

/// Ages in the tables: 0..=17, pre-birth counted at 0.
pub const YEAR_AGES: usize = 18;

/// Position of "no earlier event year" on the lookback table's last axis; an earlier
/// event year `p` is at `1 + p`.
pub const NO_EARLIER: usize = 0;

/// A stratum index meaning "value unknown": the event year is in no stratum.
pub const NO_STRATUM: u16 = u16::MAX;

/// One event year: the child, its birth cohort and the age (0..=17, pre-birth folded
/// into 0). Eight bytes, where the [`Event`] it comes from takes sixteen: the estimate
/// holds every outcome's years to the end of the stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventYear {
    /// The child.
    pub child: ChildId,
    /// Birth cohort of the child.
    pub cohort: BirthCohort,
    /// Age of the year, 0..=17.
    pub age: i8,
}

impl EventYear {
    /// The year of event `e`, its age folded to 0 when it was −1.
    pub fn of(e: &Event) -> EventYear {
        EventYear {
            child: e.child,
            cohort: e.cohort,
            age: e.age.max(0),
        }
    }
}

/// The event each of one outcome's event years is taken from, in the order of
/// [`event_years`]: the first in-window event of each (child, age), ages −1 and 0 one.
/// What an event year's stratum is read from (its episode).
pub fn year_events(all: &[Event]) -> impl Iterator<Item = &Event> {
    let mut last: Option<(ChildId, i8)> = None;
    all.iter().filter(move |e| {
        let key = (e.child, e.age.max(0));
        if !e.in_window || last == Some(key) {
            return false;
        }
        last = Some(key);
        true
    })
}

/// One outcome's event years, ordered by child then age: the first in-window event of
/// each (child, age), its `age` folded to 0 when it was −1.
pub fn event_years(all: &[Event]) -> Vec<EventYear> {
    let out: Vec<EventYear> = year_events(all).map(EventYear::of).collect();
    debug_assert!(
        out.windows(2)
            .all(|w| (w[0].child, w[0].age) < (w[1].child, w[1].age))
    );
    out
}

/// The count tables of one stratum.
#[derive(Clone, Debug, PartialEq)]
pub struct YearTables {
    /// Children by cohort × age of their first in-window event year.
    pub first_observed: Array2<f64>,
    /// `lookback[[b, a, NO_EARLIER]]`: children of cohort `b` with an event at age `a` and
    /// none at an earlier wholly observed age; `lookback[[b, a, 1 + p]]`: those whose
    /// latest earlier event year at a wholly observed age was `p`. Only ages `a` from the
    /// cohort's first wholly observed age on are filled.
    pub lookback: Array3<f64>,
}

impl YearTables {
    /// Empty tables for `n_cohorts` cohort rows.
    pub fn zeros(n_cohorts: usize) -> YearTables {
        YearTables {
            first_observed: Array2::zeros((n_cohorts, YEAR_AGES)),
            lookback: Array3::zeros((n_cohorts, YEAR_AGES, YEAR_AGES + 1)),
        }
    }

    /// Adds `w` to `cell`.
    pub fn add(&mut self, cell: YearCell, w: f64) {
        match cell {
            YearCell::FirstObserved { row, age } => self.first_observed[[row, age]] += w,
            YearCell::Lookback { row, age, earlier } => {
                self.lookback[[row, age, earlier]] += w;
            }
        }
    }
}

/// The cohorts tabulated and where each is first wholly observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CohortFrame {
    /// Earliest cohort (row 0).
    pub first: BirthCohort,
    /// `entry[row]`: first age at which every child of the cohort is observed for the
    /// whole year (`None`: at no age).
    pub entry: Vec<Option<u8>>,
}

impl CohortFrame {
    /// Row of `cohort`, if tabulated.
    pub fn row(&self, cohort: BirthCohort) -> Option<usize> {
        let r = usize::try_from(cohort.0 - self.first.0).ok()?;
        (r < self.entry.len()).then_some(r)
    }
}

/// Tabulates `years` (one outcome's, from [`event_years`]) into one [`YearTables`] per
/// stratum: `stratum[i]` is the stratum of `years[i]` (or [`NO_STRATUM`]), and each child
/// counts `weight(child)` times. An event year is placed by its own stratum; the earlier
/// event year it is paired with may lie in any stratum.
pub fn tabulate_years(
    years: &[EventYear],
    stratum: &[u16],
    n_strata: usize,
    frame: &CohortFrame,
    weight: impl Fn(ChildId) -> f64,
) -> Vec<YearTables> {
    assert_eq!(years.len(), stratum.len());
    let n_cohorts = frame.entry.len();
    let mut tables: Vec<YearTables> = (0..n_strata)
        .map(|_| YearTables::zeros(n_cohorts))
        .collect();
    for (child_years, child_strata) in child_runs(years, stratum) {
        let w = weight(child_years[0].child);
        if w == 0.0 {
            continue;
        }
        child_cells(child_years, child_strata, frame, |s, cell| {
            tables[usize::from(s)].add(cell, w);
        });
    }
    tables
}

/// A cell of one stratum's [`YearTables`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum YearCell {
    /// `first_observed[[row, age]]`.
    FirstObserved {
        /// Cohort row.
        row: usize,
        /// Age.
        age: usize,
    },
    /// `lookback[[row, age, earlier]]`.
    Lookback {
        /// Cohort row.
        row: usize,
        /// Age.
        age: usize,
        /// [`NO_EARLIER`] or `1 +` the latest earlier event year.
        earlier: usize,
    },
}

impl YearCell {
    /// The cell's position in its table's elements in standard (row-major) order, and
    /// whether that table is the lookback one.
    pub fn flat(self) -> (bool, usize) {
        match self {
            YearCell::FirstObserved { row, age } => (false, row * YEAR_AGES + age),
            YearCell::Lookback { row, age, earlier } => {
                (true, (row * YEAR_AGES + age) * (YEAR_AGES + 1) + earlier)
            }
        }
    }
}

/// The cells one child adds to (once each) in [`tabulate_years`]: `emit(stratum, cell)`
/// for each, given the child's run of `years` and their strata. A child whose cohort is
/// not tabulated adds to none.
pub fn child_cells(
    child_years: &[EventYear],
    child_strata: &[u16],
    frame: &CohortFrame,
    mut emit: impl FnMut(u16, YearCell),
) {
    let Some(first) = child_years.first() else {
        return;
    };
    let Some(row) = frame.row(first.cohort) else {
        return;
    };
    let s = child_strata[0];
    if s != NO_STRATUM {
        emit(
            s,
            YearCell::FirstObserved {
                row,
                age: first.age as usize,
            },
        );
    }
    let Some(entry) = frame.entry[row] else {
        return;
    };
    let mut earlier = NO_EARLIER;
    for (y, &s) in child_years.iter().zip(child_strata) {
        let age = y.age as u8;
        // Years the cohort is only partly observed are neither counted nor looked back to.
        if age < entry {
            continue;
        }
        if s != NO_STRATUM {
            emit(
                s,
                YearCell::Lookback {
                    row,
                    age: usize::from(age),
                    earlier,
                },
            );
        }
        earlier = 1 + usize::from(age);
    }
}

/// Each child's run of `years` (ordered by child, as [`event_years`] writes them) with
/// the parallel run of `stratum`.
pub fn child_runs<'a>(
    years: &'a [EventYear],
    stratum: &'a [u16],
) -> impl Iterator<Item = (&'a [EventYear], &'a [u16])> {
    assert_eq!(years.len(), stratum.len());
    ChildRuns { years, stratum }
}

/// Splits parallel slices into each child's run.
struct ChildRuns<'a> {
    years: &'a [EventYear],
    stratum: &'a [u16],
}

impl<'a> Iterator for ChildRuns<'a> {
    type Item = (&'a [EventYear], &'a [u16]);

    fn next(&mut self) -> Option<Self::Item> {
        let child = self.years.first()?.child;
        let n = self.years.iter().take_while(|y| y.child == child).count();
        let (years, rest) = self.years.split_at(n);
        let (strata, rest_strata) = self.stratum.split_at(n);
        self.years = rest;
        self.stratum = rest_strata;
        Some((years, strata))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(child: u32, age: i8, cohort: i16, in_window: bool) -> Event {
        Event {
            child: ChildId(child),
            episode: 0,
            date: cumin_census::Date::ymd(2015, 1, 1),
            age,
            cohort: BirthCohort(cohort),
            in_window,
        }
    }

    #[test]
    fn years_fold_prebirth_and_keep_one_event_per_age() {
        let all = [
            ev(0, -1, 2014, true),
            ev(0, 0, 2014, true),
            ev(0, 3, 2014, true),
            ev(0, 3, 2014, true),
            ev(1, 2, 2010, false),
            ev(1, 4, 2010, true),
        ];
        let y = event_years(&all);
        let ages: Vec<(u32, i8)> = y.iter().map(|e| (e.child.0, e.age)).collect();
        assert_eq!(ages, vec![(0, 0), (0, 3), (1, 4)]);
        assert!(
            y.iter()
                .all(|e| e.cohort == BirthCohort(if e.child.0 == 0 { 2014 } else { 2010 }))
        );
    }

    #[test]
    fn each_year_is_taken_from_its_first_event() {
        // Episodes tell the events apart: a year's stratum is read from its event's.
        let mut all = [
            ev(0, -1, 2014, false),
            ev(0, -1, 2014, true),
            ev(0, 0, 2014, true),
            ev(0, 3, 2014, true),
            ev(0, 3, 2014, true),
            ev(1, 3, 2010, true),
        ];
        for (i, e) in all.iter_mut().enumerate() {
            e.episode = i as u32;
        }
        let taken: Vec<u32> = year_events(&all).map(|e| e.episode).collect();
        assert_eq!(taken, vec![1, 3, 5]);
        let years: Vec<EventYear> = year_events(&all).map(EventYear::of).collect();
        assert_eq!(years, event_years(&all));
        assert_eq!(std::mem::size_of::<EventYear>(), 8);
    }

    #[test]
    fn lookback_ignores_partly_observed_years_and_pairs_across_strata() {
        // Cohort 2010 (row 0) is wholly observed from age 2; cohort 2011 (row 1) from 0.
        let frame = CohortFrame {
            first: BirthCohort(2010),
            entry: vec![Some(2), Some(0)],
        };
        let years = [
            // Child 0: events at 1 (partly observed), 2 and 5.
            ev(0, 1, 2010, true),
            ev(0, 2, 2010, true),
            ev(0, 5, 2010, true),
            // Child 1: events at 0 and 3, in different strata.
            ev(1, 0, 2011, true),
            ev(1, 3, 2011, true),
        ]
        .map(|e| EventYear::of(&e));
        let strata = [0, 0, 1, 0, 1];
        let t = tabulate_years(&years, &strata, 2, &frame, |_| 1.0);
        assert_eq!(t[0].first_observed[[0, 1]], 1.0);
        assert_eq!(t[0].first_observed[[1, 0]], 1.0);
        // Child 0: age 2 has no earlier observed year (age 1 is only partly observed).
        assert_eq!(t[0].lookback[[0, 2, NO_EARLIER]], 1.0);
        assert_eq!(t[1].lookback[[0, 5, 1 + 2]], 1.0);
        assert_eq!(t[0].lookback[[0, 1, NO_EARLIER]], 0.0);
        assert_eq!(t[0].lookback[[1, 0, NO_EARLIER]], 1.0);
        assert_eq!(t[1].lookback[[1, 3, 1]], 1.0);
        let doubled = tabulate_years(&years, &strata, 2, &frame, |_| 2.0);
        assert_eq!(doubled[1].lookback.sum(), 2.0 * t[1].lookback.sum());
        let none = tabulate_years(&years, &[NO_STRATUM; 5], 2, &frame, |_| 1.0);
        assert_eq!(none[0].lookback.sum() + none[1].first_observed.sum(), 0.0);
    }
}
