//! One identity's estimates: identify the children, find their events, estimate. Every
//! mode of the sensitivity analysis and both modes of the Jay presets' corrected splice
//! take this path; the main run takes the same steps one by one, timing each.

use crate::error::StudyError;
use cumin_census::{Date, Episodes};
use cumin_cohort::{EventRules, Events, Identity, IdentitySpec, identify};
use cumin_estimate::{Denominators, EstimateSpec, Estimates};

/// One identity's children, events and estimates.
pub struct ModeRun {
    /// Children and episodes.
    pub identity: Identity,
    /// Every qualifying event, per outcome.
    pub events: Events,
    /// The estimates.
    pub estimates: Estimates,
}

/// Identifies the children of `episodes` under `spec`, finds their events in the window
/// from `window_start` of data ending `data_end`, and estimates what `estimate_spec`
/// (given the event rules) asks for.
pub fn run_mode(
    episodes: &Episodes,
    spec: &IdentitySpec,
    (window_start, data_end): (Date, Date),
    denominators: &Denominators,
    estimate_spec: impl FnOnce(EventRules) -> EstimateSpec,
) -> Result<ModeRun, StudyError> {
    let identity = identify(episodes, spec);
    let rules = spec.event_rules(window_start, data_end);
    let events = cumin_cohort::find_events(&identity.episodes, &identity.children, &rules);
    let estimates = cumin_estimate::estimate(
        episodes,
        &identity,
        &events,
        denominators,
        &estimate_spec(rules),
    )?;
    Ok(ModeRun {
        identity,
        events,
        estimates,
    })
}
