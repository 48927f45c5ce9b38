//! What a cumin run writes, and the disclosure layer every released number passes first.
//!
//! Estimates arrive typed (`cumin-estimate`'s curves and results, `cumin-jay`'s rows,
//! the linkage measures of [`tables`]). The layer releases counts by the run's profile
//! ([`sdc`]), curves in steps with every rate and limit computed from released counts
//! ([`curve`]), and the tables derived from released ones ([`derived`]); each file's
//! columns, their kinds and its rule are described once, in [`spec`]. It returns
//! [`sdc::Released`] tables, the only thing the writers ([`write`], [`jay`], [`html`])
//! accept besides [`sdc::AnalystOnly`] ones, which go to `analyst-only/`. The report page
//! ([`html`]) is assembled from [`headline`], [`sections`], [`extras`] and [`quality`],
//! its numbers written by [`cell`], its charts drawn by [`chart`]. Strings are made
//! only here, in the writers; [`summary`] is the output checker's `sdc.json`.

pub mod cell;
pub mod chart;
pub mod curve;
pub mod derived;
pub mod extras;
pub mod headline;
pub mod html;
pub mod jay;
pub mod linkage;
pub mod mechanism;
pub mod quality;
pub mod sdc;
pub mod sections;
pub mod spec;
pub mod summary;
pub mod tables;
#[cfg(test)]
mod testing;
pub mod write;

pub use curve::{CurveLabel, release_curves, release_trend};
pub use derived::release_inequality;
pub use headline::{HeadlineEstimate, recommended_estimator};
pub use jay::{
    JayCurve, release_jay_corrections, release_jay_counts, release_jay_curves,
    released_correction_lines, write_jay_corrections_csv, write_jay_counts_csv,
};
pub use linkage::{LinkageSection, ReportTable, linkage_section};
pub use mechanism::{DecileGroup, RowBand};
pub use sdc::{
    AnalystOnly, CellStats, LedgerLine, Released, SdcProfile, keep_backward_hazards, keep_bounds,
    keep_corrections, keep_ledger, keep_notes, keep_quarantine, release_ledger, release_linkage,
    release_recurrence, release_unplaced,
};
pub use tables::{
    AgeBand, CiRow, HiddenCount, LinkCount, LinkageKind, LinkageMeasure, LinkageRow,
    MechanismMeasure, PmrDiagnostic, TransferCount, TrendRow,
};
pub use write::{ReportError, hash_file};
