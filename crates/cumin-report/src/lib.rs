//! What a cumin run writes, and the disclosure control every table passes first.
//!
//! Estimates arrive typed (`cumin-estimate`'s curves and results, `cumin-jay`'s rows,
//! the linkage measures of [`tables`]); [`sdc::release`] and its siblings apply the run's
//! disclosure-control profile and return a [`sdc::Released`] table, the only thing the
//! writers ([`write`], [`jay`], [`html`]) accept. Strings are made only here, in the
//! writers.

pub mod html;
pub mod jay;
pub mod linkage;
pub mod sdc;
pub mod tables;
pub mod write;

pub use jay::{
    release_jay_corrections, release_jay_counts, write_jay_corrections_csv, write_jay_counts_csv,
};
pub use linkage::{LinkageSection, ReportTable, linkage_section};
pub use sdc::{
    Released, SdcProfile, release, release_backward_hazards, release_bounds, release_corrections,
    release_inequality, release_linkage, release_recurrence, release_trend, release_unplaced,
};
pub use tables::{
    AgeBand, CiRow, HiddenCount, LinkCount, LinkageMeasure, LinkageRow, PmrDiagnostic,
    TransferCount, TrendRow,
};
pub use write::{ReportError, hash_file};
