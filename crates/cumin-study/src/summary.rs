//! What a run tells the terminal: the headline estimates before 18, the sensitivity
//! table, where the files are.

use cumin_census::{Date, Outcome};
use cumin_estimate::{Curve, CurveEstimator, Kind, Stratification};
use cumin_jay::JaySummary;
use cumin_link::IdMode;
use cumin_report::LinkageSection;
use serde::Serialize;
use std::path::PathBuf;

/// One line of the headline table.
#[derive(Clone, Debug, Serialize)]
pub struct Headline {
    /// Outcome.
    pub outcome: Outcome,
    /// Estimator.
    pub estimator: CurveEstimator,
    /// Oldest age estimated (17 when the curve reaches "before 18").
    pub age: u8,
    /// Cumulative incidence.
    pub cum_inc: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
}

/// One outcome and estimator under every mode.
#[derive(Clone, Debug, Serialize)]
pub struct SensitivityLine {
    /// Outcome.
    pub outcome: Outcome,
    /// Estimator.
    pub estimator: CurveEstimator,
    /// The headline under each mode, in [`IdMode::ALL`] order.
    pub by_mode: Vec<(IdMode, Headline)>,
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// Output folder.
    pub out: PathBuf,
    /// What the terminal should say about the folder's release status (stderr).
    pub warnings: Vec<String>,
    /// Files in the folder (relative paths) and whether each is for release, in order,
    /// the manifest last.
    pub files: Vec<(String, bool)>,
    /// Cumulative incidence before 18 per outcome and estimator (stratum `all`).
    pub headline: Vec<Headline>,
    /// Last day of data in the extract.
    pub data_end: Date,
    /// Rows read, used, quarantined and excluded over all files.
    pub rows: [u64; 4],
    /// The linkage section of the report (released figures).
    pub linkage: LinkageSection,
    /// Headlines under every identifier mode, when asked for.
    pub sensitivity: Option<Vec<SensitivityLine>>,
    /// With a Jay preset: the paper-like table and what each correction changes.
    pub jay: Option<JaySummary>,
}

/// The oldest estimate of every curve of stratum `all` (periods aside), per outcome in
/// `outcomes` order, estimators in the order of the curves.
pub fn headline(curves: &[Curve], outcomes: &[Outcome]) -> Vec<Headline> {
    let mut out = Vec::new();
    for o in outcomes {
        for c in curves.iter().filter(|c| {
            c.outcome == *o && c.by == Stratification::ALL && !matches!(c.kind, Kind::Period(_))
        }) {
            if let Some(p) = c.last() {
                out.push(Headline {
                    outcome: *o,
                    estimator: c.estimator,
                    age: p.age as u8,
                    cum_inc: p.cum_inc,
                    lower: p.ci.lower,
                    upper: p.ci.upper,
                });
            }
        }
    }
    out
}

/// Lines up each (outcome, estimator) across modes, in the first mode's order.
pub fn side_by_side(headlines: &[(IdMode, Vec<Headline>)]) -> Vec<SensitivityLine> {
    let Some((_, first)) = headlines.first() else {
        return Vec::new();
    };
    first
        .iter()
        .map(|h| SensitivityLine {
            outcome: h.outcome,
            estimator: h.estimator,
            by_mode: headlines
                .iter()
                .filter_map(|(mode, hs)| {
                    hs.iter()
                        .find(|x| x.outcome == h.outcome && x.estimator == h.estimator)
                        .map(|x| (*mode, x.clone()))
                })
                .collect(),
        })
        .collect()
}
