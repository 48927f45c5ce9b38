//! Events per outcome, and each child's first one.
//!
//! An episode reaches an outcome by the rules of docs/methods.md §4. Its event date is the
//! referral date, except for a child protection plan (plan start) and a section 47
//! enquiry (enquiry or conference date, whichever is earlier), so that the age is the
//! age at which the child reached that stage. Every qualifying event is kept, in and
//! before the study window, so that later stages can look back; the first *in-window*
//! event of each child is its first observed event ([`first_events`]).

use crate::age::{BirthCohort, MAX_AGE, age_index};
use crate::children::{BirthRules, ChildFate, ChildTable};
use cumin_census::{Date, Outcome};
use cumin_link::{ChildId, EpisodeSet};
use rayon::prelude::*;

/// Which date a child protection plan's event takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CppEventDate {
    /// The plan's start date.
    #[default]
    PlanStart,
    /// The referral date of the episode holding the plan (Jay et al.'s R code).
    Referral,
}

/// Options for events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRules {
    /// First day of the study window; earlier events are kept but not "observed".
    pub window_start: Date,
    /// Last day of data (end of the last census year).
    pub data_end: Date,
    /// Birth-date and age rules.
    pub birth: BirthRules,
    /// Date of a CPP event.
    pub cpp_date: CppEventDate,
    /// Count events at age 5 and over only from PMR-identified episodes (`pmr-school-age`).
    pub school_age_needs_pmr: bool,
}

/// One qualifying event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The child.
    pub child: ChildId,
    /// The episode (index into the [`EpisodeSet`]).
    pub episode: u32,
    /// Event date.
    pub date: Date,
    /// Age at the event, −1..=17.
    pub age: i8,
    /// Birth cohort of the child.
    pub cohort: BirthCohort,
    /// Whether the event is inside the study window.
    pub in_window: bool,
}

/// What became of an episode in the analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EpisodeFate {
    /// Counted (it is a referral inside the window, at a usable age).
    Used,
    /// The child has no usable birth date.
    Child(ChildFate),
    /// Referral before the study window.
    BeforeWindow,
    /// Referral at age 18 or over.
    Age18Plus,
    /// Age 5 or over and not identified by PMR, under `pmr-school-age`.
    SchoolAgeWithoutPmr,
}

impl EpisodeFate {
    /// Ledger reason for rows of such episodes (`""` for used).
    pub fn reason(self) -> &'static str {
        match self {
            EpisodeFate::Used => "",
            EpisodeFate::Child(c) => c.reason(),
            EpisodeFate::BeforeWindow => "episode_before_window",
            EpisodeFate::Age18Plus => "episode_at_age_18_or_over",
            EpisodeFate::SchoolAgeWithoutPmr => "episode_age_5_plus_without_pmr",
        }
    }
}

/// Events of every outcome.
#[derive(Clone, Debug, Default)]
pub struct Events {
    /// All qualifying events per outcome (indexed by [`Outcome::index`]), by child then date.
    pub all: [Vec<Event>; 5],
    /// What became of each episode (by its referral).
    pub episode_fate: Vec<EpisodeFate>,
    /// Episodes whose missing `ReferralNFA` was read as 0 (assessed).
    pub nfa_missing_as_assessed: u64,
}

/// Whether episode `e` reaches `outcome`, and on which date.
pub fn event_date(set: &EpisodeSet, e: usize, outcome: Outcome, cpp: CppEventDate) -> Option<Date> {
    let assessed = !set.nfa[e].unwrap_or(false);
    let not_rc8 = set.reason_for_closure[e] != Some(cumin_census::codes::RC_NO_FURTHER_ACTION);
    match outcome {
        Outcome::Referral => Some(set.referral[e]),
        Outcome::Assessed => assessed.then_some(set.referral[e]),
        Outcome::Cin => (assessed && not_rc8).then_some(set.referral[e]),
        Outcome::S47 => match (set.s47_start[e], set.initial_cpc[e]) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        },
        Outcome::Cpp => set.cpp_start[e].map(|start| match cpp {
            CppEventDate::PlanStart => start,
            CppEventDate::Referral => set.referral[e],
        }),
    }
}

/// Finds every event and each child's first observed one.
///
/// Episodes are read in parallel in runs of whole children and the runs' events joined in
/// order, then sorted as before (a stable sort of runs already in order), so the result
/// does not depend on the number of threads.
pub fn find_events(set: &EpisodeSet, children: &ChildTable, rules: &EventRules) -> Events {
    let mut ev = Events {
        episode_fate: Vec::with_capacity(set.len()),
        ..Events::default()
    };
    // 64 runs, read eight at a time, so that the runs' own lists never hold more than
    // an eighth of the events beside the joined ones.
    for runs in child_runs(set, 64).chunks(8) {
        let parts: Vec<Part> = runs
            .par_iter()
            .map(|range| events_in(set, children, rules, range.clone()))
            .collect();
        for part in parts {
            ev.episode_fate.extend(part.fate);
            ev.nfa_missing_as_assessed += part.nfa_missing;
            for (all, mut more) in ev.all.iter_mut().zip(part.all) {
                all.append(&mut more);
            }
        }
    }
    for all in &mut ev.all {
        all.sort_by_key(|x| (x.child, x.date, x.episode));
    }
    ev
}

/// Each child's first in-window event among one outcome's events `all` (by child then
/// date, as [`Events::all`] holds them): its first observed event. Read where it is
/// needed rather than kept beside `all` (16 bytes an event for every outcome through
/// the estimate, when only the referrals' are read, once).
pub fn first_events(all: &[Event]) -> impl Iterator<Item = &Event> {
    let mut last_child = None;
    all.iter().filter(move |x| {
        let first = x.in_window && last_child != Some(x.child);
        if first {
            last_child = Some(x.child);
        }
        first
    })
}

/// The events and fates of one run of episodes.
struct Part {
    all: [Vec<Event>; 5],
    fate: Vec<EpisodeFate>,
    nfa_missing: u64,
}

/// About `n` runs of consecutive episodes covering the set, each ending where the child
/// changes.
fn child_runs(set: &EpisodeSet, n: usize) -> Vec<std::ops::Range<usize>> {
    let len = set.len();
    let step = len.div_ceil(n.max(1)).max(1);
    let mut runs = Vec::with_capacity(n);
    let mut start = 0;
    while start < len {
        let mut end = (start + step).min(len);
        while end < len && set.child[end] == set.child[end - 1] {
            end += 1;
        }
        runs.push(start..end);
        start = end;
    }
    runs
}

/// Events and fates of the episodes in `range`.
fn events_in(
    set: &EpisodeSet,
    children: &ChildTable,
    rules: &EventRules,
    range: std::ops::Range<usize>,
) -> Part {
    let mut part = Part {
        all: Default::default(),
        fate: vec![EpisodeFate::Used; range.len()],
        nfa_missing: 0,
    };
    let first = range.start;
    for e in range {
        let fate = &mut part.fate[e - first];
        let c = set.child[e].index();
        if set.nfa[e].is_none() {
            part.nfa_missing += 1;
        }
        let (Some(dob), Some(cohort)) = (children.dob[c], children.cohort[c]) else {
            *fate = EpisodeFate::Child(children.fate[c]);
            continue;
        };
        let referral_age = rules.birth.age_rule.age(dob, set.referral[e]);
        if set.referral[e] < rules.window_start {
            *fate = EpisodeFate::BeforeWindow;
        } else if referral_age > i32::from(MAX_AGE) {
            *fate = EpisodeFate::Age18Plus;
        } else if rules.school_age_needs_pmr && referral_age >= 5 && !set.pmr_identified[e] {
            *fate = EpisodeFate::SchoolAgeWithoutPmr;
        }
        for outcome in Outcome::ALL {
            let Some(date) = event_date(set, e, outcome, rules.cpp_date) else {
                continue;
            };
            let age = rules.birth.age_rule.age(dob, date);
            if age > i32::from(MAX_AGE) || date > rules.data_end {
                continue;
            }
            if rules.school_age_needs_pmr && age >= 5 && !set.pmr_identified[e] {
                continue;
            }
            part.all[outcome.index()].push(Event {
                child: set.child[e],
                episode: e as u32,
                date,
                age: age.max(-1) as i8,
                cohort,
                in_window: date >= rules.window_start,
            });
        }
    }
    part
}

/// First events tabulated by birth cohort and age: `counts[cohort - first_cohort][age + 1]`.
#[derive(Clone, Debug, PartialEq)]
pub struct CohortAgeCounts {
    /// Earliest cohort in the table.
    pub first_cohort: BirthCohort,
    /// Counts, cohorts × ages (−1..=17).
    pub counts: ndarray::Array2<f64>,
}

impl CohortAgeCounts {
    /// Tabulates `events` (filtered by `keep`) over cohorts `first..=last`.
    pub fn tabulate<'a>(
        events: impl IntoIterator<Item = &'a Event>,
        first: BirthCohort,
        last: BirthCohort,
    ) -> CohortAgeCounts {
        let n = (last.0 - first.0 + 1).max(0) as usize;
        let mut counts = ndarray::Array2::<f64>::zeros((n, crate::age::N_AGES));
        for e in events {
            if e.cohort < first || e.cohort > last {
                continue;
            }
            counts[[(e.cohort.0 - first.0) as usize, age_index(e.age)]] += 1.0;
        }
        CohortAgeCounts {
            first_cohort: first,
            counts,
        }
    }

    /// The count for one cohort and age (0 outside the table).
    pub fn get(&self, cohort: BirthCohort, age: i8) -> f64 {
        let r = i32::from(cohort.0) - i32::from(self.first_cohort.0);
        if r < 0 || r as usize >= self.counts.nrows() {
            return 0.0;
        }
        self.counts[[r as usize, age_index(age)]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(child: u32, episode: u32, in_window: bool) -> Event {
        Event {
            child: ChildId(child),
            episode,
            date: Date::ymd(2015, 1, 1),
            age: 3,
            cohort: BirthCohort(2012),
            in_window,
        }
    }

    #[test]
    fn a_childs_first_event_is_its_first_in_the_window() {
        let all = [
            ev(0, 0, false),
            ev(0, 1, true),
            ev(0, 2, true),
            ev(1, 3, false),
            ev(2, 4, true),
            ev(2, 5, false),
            ev(2, 6, true),
        ];
        let first: Vec<u32> = first_events(&all).map(|e| e.episode).collect();
        assert_eq!(first, vec![1, 4]);
    }
}
