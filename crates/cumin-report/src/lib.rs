//! What a cumin run writes, and the disclosure control every table passes first.
//!
//! Tables arrive as plain rows ([`tables`]); [`sdc::release`] applies the run's
//! disclosure-control profile and returns a [`sdc::Released`] table, the only thing the
//! writers ([`write`]) accept. The manifest records inputs, outputs and their hashes.

pub mod html;
pub mod jay;
pub mod sdc;
pub mod tables;
pub mod write;

pub use jay::{
    JayCorrectionRow, JayCountRow, release_jay_corrections, release_jay_counts,
    write_jay_corrections_csv, write_jay_counts_csv,
};
pub use sdc::{
    Released, SdcProfile, release, release_backward_hazards, release_corrections, release_counts,
    release_inequality, release_linkage, release_recurrence, release_sensitivity, release_trend,
};
pub use tables::{
    BackwardHazardRow, CiRow, CorrectionRow, InequalityRow, LinkageRow, RecurrenceRow,
    SensitivityRow, TrendRow, UnplacedRow,
};
pub use write::{ReportError, hash_file};
