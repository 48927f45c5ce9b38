//! From linked episodes to cohorts and ages.
//!
//! Gives every child a notional date of birth ([`children`]), every episode an age, and
//! every child its first event per outcome ([`events`]), then tabulates first events by
//! birth cohort and age. Reads `cumin-census` rows and `cumin-link` children; knows no
//! estimator (that is `cumin-stats`).

pub mod age;
pub mod children;
pub mod events;
pub mod identity;
pub mod years;

pub use age::{AgeRule, BirthCohort, MAX_AGE, MIN_AGE, N_AGES, age_index, age_of_index};
pub use children::{
    BirthRules, ChildFate, ChildTable, build_children, build_children_grouped, mode_latest,
    rebuild_children, rebuild_joined_children,
};
pub use events::{
    CohortAgeCounts, CppEventDate, EpisodeFate, Event, EventRules, Events, event_date, find_events,
    first_events,
};
pub use identity::{
    Identity, IdentitySpec, LinkageCounts, TraitSource, child_traits, identify, identify_narrowing,
    identify_with,
};
pub use years::{
    CohortFrame, EventYear, NO_EARLIER, NO_STRATUM, YEAR_AGES, YearCell, YearTables, child_cells,
    child_runs, event_years, tabulate_years, year_events,
};
