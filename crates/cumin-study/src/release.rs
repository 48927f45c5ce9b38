//! Disclosure control, in one place: every table a run writes is released here, under
//! the study's profile, by `cumin-report`'s disclosure layer, and only released tables
//! (or analyst-only ones, under `analyst-only/`) reach the output folder. The curves
//! become the rows of `cumulative_incidence.csv`, `trend.csv` and `sensitivity.csv` on
//! the way; the deprivation gradients are computed from the released decile curves.

use crate::settings::Settings;
use cumin_estimate::{
    BackwardHazard, CorrectionBound, CorrectionCell, Curve, Estimates, InequalityMeasure,
    InequalityOptions, Kind, Recurrence, Unplaced,
};
use cumin_jay::{JayCorrectionRow, JayCountRow};
use cumin_link::IdMode;
use cumin_report::spec;
use cumin_report::{
    AnalystOnly, CiRow, CurveLabel, JayCurve, LinkageRow, Released, SdcProfile, TrendRow,
    release_curves,
};

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
    /// `strata.csv`.
    pub unplaced: Released<Vec<Unplaced>>,
    /// `linkage.csv`.
    pub linkage: Released<Vec<LinkageRow>>,
    /// `sensitivity.csv`, when every mode was estimated.
    pub sensitivity: Option<Released<Vec<CiRow>>>,
    /// `analyst-only/corrections.csv`.
    pub corrections: AnalystOnly<Vec<CorrectionCell>>,
    /// `analyst-only/correction_model.csv`.
    pub hazards: AnalystOnly<Vec<BackwardHazard>>,
    /// `analyst-only/correction_sensitivity.csv`.
    pub bounds: AnalystOnly<Vec<CorrectionBound>>,
    /// `analyst-only/linkage_model.csv`.
    pub linkage_model: AnalystOnly<Vec<LinkageRow>>,
}

/// The curves of `curves` that are not a period's, labelled with `id_mode`.
fn labels(curves: &[Curve], id_mode: IdMode, periods: bool) -> Vec<CurveLabel<'_>> {
    curves
        .iter()
        .filter(|c| matches!(c.kind, Kind::Period(_)) == periods)
        .map(|curve| CurveLabel { curve, id_mode })
        .collect()
}

/// Releases everything a run of cumin's own design writes: `estimates` under
/// `id_mode`, the rows of `linkage.csv`, and the sensitivity analysis's curves (per
/// identifier mode) when it ran.
pub fn release(
    settings: &Settings,
    id_mode: IdMode,
    estimates: Estimates,
    linkage: Vec<LinkageRow>,
    sensitivity: Option<&[(IdMode, Curve)]>,
) -> Tables {
    let (sdc, level) = (settings.sdc, settings.level);
    let ci = release_curves(
        sdc,
        level,
        &spec::CUMULATIVE_INCIDENCE,
        &labels(&estimates.curves, id_mode, false),
    );
    let trend = cumin_report::release_trend(
        sdc,
        level,
        &labels(&estimates.curves, id_mode, true),
        &settings.periods,
    );
    let inequality = cumin_report::release_inequality(
        &ci,
        estimates.decile_populations.as_ref(),
        InequalityOptions {
            level,
            sii_repetitions: settings.sii_repetitions,
            seed: settings.seed,
        },
    );
    let sensitivity = sensitivity.map(|curves| {
        let labels: Vec<CurveLabel<'_>> = curves
            .iter()
            .map(|(id_mode, curve)| CurveLabel {
                curve,
                id_mode: *id_mode,
            })
            .collect();
        release_curves(sdc, level, &spec::SENSITIVITY, &labels)
    });
    let (linkage, linkage_model) = cumin_report::release_linkage(sdc, linkage);
    Tables {
        ci,
        trend,
        inequality,
        recurrence: cumin_report::release_recurrence(sdc, estimates.recurrence),
        unplaced: cumin_report::release_unplaced(sdc, estimates.unplaced),
        linkage,
        sensitivity,
        corrections: cumin_report::keep_corrections(estimates.corrections),
        hazards: cumin_report::keep_backward_hazards(estimates.hazards),
        bounds: cumin_report::keep_bounds(estimates.bounds),
        linkage_model,
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

/// Releases everything a Jay preset's run writes: the counts first, then the unadjusted
/// splices from the released counts, and the corrected splices in steps.
pub fn release_jay(
    sdc: SdcProfile,
    level: f64,
    (unadjusted, corrected): (&[JayCurve], &[JayCurve]),
    counts: Vec<JayCountRow>,
    corrections: Vec<JayCorrectionRow>,
) -> JayTables {
    let counts = cumin_report::release_jay_counts(sdc, counts);
    JayTables {
        ci: cumin_report::release_jay_curves(sdc, level, unadjusted, corrected, &counts),
        counts,
        corrections: cumin_report::release_jay_corrections(sdc, corrections),
        linkage: cumin_report::release_linkage(sdc, Vec::new()).0,
    }
}
