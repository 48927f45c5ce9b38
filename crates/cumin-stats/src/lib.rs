//! Estimators of cumulative incidence and their confidence intervals.
//!
//! Pure functions over count tables (`ndarray`, cohorts × ages): no files, no Arrow, no
//! knowledge of the census. Tables from different partitions add, so the functions can be
//! run on merged counts. Formulas and sources are in `docs/methods.md`.

pub mod interval;
pub mod lifetable;
pub mod splice;

pub use interval::{Interval, clopper_pearson, wilson, z_for};
pub use lifetable::{AgeEstimate, life_table, loglog_interval};
pub use splice::cohort_splice;
