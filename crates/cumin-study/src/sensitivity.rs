//! `--sensitivity`: the headline estimates under every identifier mode, side by side.
//!
//! Identity is the largest source of bias in this problem, and which way it goes depends
//! on the identifiers used: `la-only` splits movers into several children (over-count),
//! `pmr-only` loses children without a PMR (under-count). Running the same study under
//! every mode shows how far the answer moves with that choice.

use crate::analysis::Estimates;
use crate::config::StudyConfig;
use crate::denominators::Denominators;
use crate::error::StudyError;
use crate::linkage_report::{first_referral_rows, mode_rows};
use crate::pipeline::{Headline, headline};
use crate::strata::Stratification;
use cumin_census::{Date, Episodes, Outcome};
use cumin_cohort::{Events, Identity, identify};
use cumin_link::{IdMode, LinkageMode};
use cumin_report::{CiRow, LinkageRow};
use serde::Serialize;

/// One outcome and estimator under every mode.
#[derive(Clone, Debug, Serialize)]
pub struct SensitivityLine {
    /// Outcome.
    pub outcome: Outcome,
    /// Estimator name.
    pub estimator: String,
    /// The headline under each mode, in [`IdMode::ALL`] order.
    pub by_mode: Vec<(IdMode, Headline)>,
}

/// What the sensitivity analysis produced.
#[derive(Clone, Debug)]
pub struct Sensitivity {
    /// Curves of stratum `all` under every mode (`sensitivity.csv`, before release).
    pub curves: Vec<CiRow>,
    /// Linkage measures of every mode.
    pub linkage: Vec<LinkageRow>,
    /// Headlines side by side.
    pub lines: Vec<SensitivityLine>,
}

/// Links, builds cohorts and estimates (stratum `all`) under every identifier mode.
pub fn run_modes(
    cfg: &StudyConfig,
    outcomes: &[Outcome],
    denominators: &Denominators,
    data_end: Date,
    episodes: &Episodes,
) -> Result<Sensitivity, StudyError> {
    let mut curves = Vec::new();
    let mut linkage_rows = Vec::new();
    let mut headlines: Vec<(IdMode, Vec<Headline>)> = Vec::new();
    for mode in IdMode::ALL {
        // The sensitivity analysis compares point estimates: no bootstrap per mode.
        // Each mode by its identifiers alone: the comparison is of the identifiers.
        let mode_cfg = StudyConfig {
            id_mode: mode,
            bootstrap: 0,
            linkage: Some(LinkageMode::Exact),
            ..cfg.clone()
        };
        let run = estimate_mode(&mode_cfg, outcomes, denominators, data_end, episodes)?;
        let rows = run.estimates.ci;
        headlines.push((mode, headline(&rows, outcomes)));
        curves.extend(rows);
        linkage_rows.extend(mode_rows(mode, &run.identity.counts()));
        linkage_rows.extend(first_referral_rows(
            mode,
            &run.identity.episodes,
            &run.events,
        ));
    }
    Ok(Sensitivity {
        curves,
        linkage: linkage_rows,
        lines: side_by_side(&headlines),
    })
}

/// One identifier mode's identity, events and stratum-`all` estimates.
pub(crate) struct ModeRun {
    /// Children and episodes under the mode.
    pub identity: Identity,
    /// Every qualifying event, per outcome.
    pub events: Events,
    /// The estimators of `cfg`, stratum `all`.
    pub estimates: Estimates,
}

/// Identifies children under `cfg`'s identifier and linkage modes ([`identify`]; the
/// split-identity correction under `corrected`), finds their events and runs `cfg`'s
/// estimators for stratum `all`, on data ending `data_end`.
pub(crate) fn estimate_mode(
    cfg: &StudyConfig,
    outcomes: &[Outcome],
    denominators: &Denominators,
    data_end: Date,
    episodes: &Episodes,
) -> Result<ModeRun, StudyError> {
    let spec = cfg.identity_spec();
    let identity = identify(episodes, &spec);
    let rules = spec.event_rules(cfg.window_start, data_end);
    let events = cumin_cohort::find_events(&identity.episodes, &identity.children, &rules);
    let split = (identity.linkage_mode == LinkageMode::Corrected)
        .then(|| crate::split::SplitCorrection::build(episodes, &identity, &events, outcomes));
    let estimates = crate::analysis::estimate(
        cfg,
        &[Stratification::ALL],
        outcomes,
        denominators,
        &rules,
        &identity.episodes,
        &identity.children,
        &events,
        split,
    )?;
    Ok(ModeRun {
        identity,
        events,
        estimates,
    })
}

/// Lines up each (outcome, estimator) across modes, in the first mode's order.
fn side_by_side(headlines: &[(IdMode, Vec<Headline>)]) -> Vec<SensitivityLine> {
    let Some((_, first)) = headlines.first() else {
        return Vec::new();
    };
    first
        .iter()
        .map(|h| SensitivityLine {
            outcome: h.outcome,
            estimator: h.estimator.clone(),
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
