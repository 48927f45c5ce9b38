//! Disclosure control, in one place: every table a run writes is released here, under
//! the study's profile, and only released tables reach the output folder (the writers
//! take nothing else). The curves become the rows of `cumulative_incidence.csv` and
//! `trend.csv` on the way.

use cumin_estimate::{
    BackwardHazard, CorrectionBound, CorrectionCell, Curve, Estimates, InequalityMeasure, Kind,
    Period, Recurrence, Unplaced,
};
use cumin_jay::{JayCorrectionRow, JayCountRow};
use cumin_link::IdMode;
use cumin_report::{CiRow, LinkageRow, Released, SdcProfile, TrendRow};

/// The released tables of a run of cumin's own design.
#[derive(Clone, Debug)]
pub struct Tables {
    /// `cumulative_incidence.csv` (and `.parquet`).
    pub ci: Released<Vec<CiRow>>,
    /// `trend.csv`.
    pub trend: Released<Vec<TrendRow>>,
    /// `inequality.csv`.
    pub inequality: Released<Vec<InequalityMeasure>>,
    /// `recurrence.csv`.
    pub recurrence: Released<Vec<Recurrence>>,
    /// `corrections.csv`.
    pub corrections: Released<Vec<CorrectionCell>>,
    /// `correction_model.csv`.
    pub hazards: Released<Vec<BackwardHazard>>,
    /// `correction_sensitivity.csv`.
    pub bounds: Released<Vec<CorrectionBound>>,
    /// `strata.csv`.
    pub unplaced: Released<Vec<Unplaced>>,
    /// `linkage.csv`.
    pub linkage: Released<Vec<LinkageRow>>,
    /// `sensitivity.csv`, when every mode was estimated.
    pub sensitivity: Option<Released<Vec<CiRow>>>,
}

/// The rows of `curves` under identifier mode `id_mode`: the periods' curves as trend
/// rows (`periods[i]` for [`Kind::Period`]`(i)`), the others as `cumulative_incidence.csv`
/// rows.
pub fn curve_rows(
    curves: &[Curve],
    id_mode: IdMode,
    periods: &[Period],
) -> (Vec<CiRow>, Vec<TrendRow>) {
    let (mut ci, mut trend) = (Vec::new(), Vec::new());
    for c in curves {
        let rows = CiRow::of_curve(c, id_mode);
        match c.kind {
            Kind::Period(i) => trend.extend(rows.map(|ci| TrendRow {
                ci,
                period: periods[i],
            })),
            Kind::LifeTable | Kind::Splice => ci.extend(rows),
        }
    }
    (ci, trend)
}

/// Releases everything a run of cumin's own design writes.
pub fn release(
    sdc: SdcProfile,
    id_mode: IdMode,
    estimates: Estimates,
    periods: &[Period],
    linkage: Vec<LinkageRow>,
    sensitivity: Option<Vec<CiRow>>,
) -> Tables {
    let (ci, trend) = curve_rows(&estimates.curves, id_mode, periods);
    Tables {
        ci: cumin_report::release(sdc, ci),
        trend: cumin_report::release_trend(sdc, trend),
        inequality: cumin_report::release_inequality(sdc, estimates.inequality),
        recurrence: cumin_report::release_recurrence(sdc, estimates.recurrence),
        corrections: cumin_report::release_corrections(sdc, estimates.corrections),
        hazards: cumin_report::release_backward_hazards(sdc, estimates.hazards),
        bounds: cumin_report::release_bounds(sdc, estimates.bounds),
        unplaced: cumin_report::release_unplaced(sdc, estimates.unplaced),
        linkage: cumin_report::release_linkage(sdc, linkage),
        sensitivity: sensitivity.map(|rows| cumin_report::release(sdc, rows)),
    }
}

/// The released tables of a Jay preset's run.
#[derive(Clone, Debug)]
pub struct JayTables {
    /// `cumulative_incidence.csv` (and `.parquet`).
    pub ci: Released<Vec<CiRow>>,
    /// `jay_counts.csv`.
    pub counts: Released<Vec<JayCountRow>>,
    /// `jay_corrections.csv`.
    pub corrections: Released<Vec<JayCorrectionRow>>,
    /// No linkage measures: the report's linkage section is empty.
    pub linkage: Released<Vec<LinkageRow>>,
}

/// Releases everything a Jay preset's run writes.
pub fn release_jay(
    sdc: SdcProfile,
    ci: Vec<CiRow>,
    counts: Vec<JayCountRow>,
    corrections: Vec<JayCorrectionRow>,
) -> JayTables {
    JayTables {
        ci: cumin_report::release(sdc, ci),
        counts: cumin_report::release_jay_counts(sdc, counts),
        corrections: cumin_report::release_jay_corrections(sdc, corrections),
        linkage: cumin_report::release_linkage(sdc, Vec::new()),
    }
}
