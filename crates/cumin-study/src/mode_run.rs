//! One identity's estimates: identify the children, find their events, estimate. Every
//! mode of the sensitivity analysis takes this path, identifying through [`Identities`];
//! the main run and the Jay presets' corrected splice (`jay_run`) take the same steps one
//! by one.

use crate::error::StudyError;
use cumin_census::{Date, Episodes};
use cumin_cohort::{EventRules, Events, Identity, IdentitySpec};
use cumin_estimate::{Denominators, EstimateSpec, Estimates};
use cumin_link::IdIndex;

/// One identity's children, events and estimates.
pub struct ModeRun {
    /// Children and episodes.
    pub identity: Identity,
    /// Every qualifying event, per outcome.
    pub events: Events,
    /// The estimates.
    pub estimates: Estimates,
}

/// Finds the events of `identity` (identified from `episodes` under `spec`) in the window
/// from `window_start` of data ending `data_end`, and estimates what `estimate_spec`
/// (given the event rules) asks for.
pub fn run_mode(
    episodes: &Episodes,
    identity: Identity,
    spec: &IdentitySpec,
    (window_start, data_end): (Date, Date),
    denominators: &Denominators,
    estimate_spec: impl FnOnce(EventRules) -> EstimateSpec,
) -> Result<ModeRun, StudyError> {
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

/// Identities of the same rows under several specs, one after another, sharing what can
/// be shared: the identifier index is built once, and an identity handed back
/// ([`Identities::keep`]) serves the next spec if that links alike (`combined` and
/// `pmr-school-age`). Outputs are as if each were identified alone.
pub struct Identities<'a> {
    episodes: &'a Episodes,
    index: Option<IdIndex>,
    kept: Option<(IdentitySpec, Identity)>,
}

impl<'a> Identities<'a> {
    /// None identified yet.
    pub fn new(episodes: &'a Episodes) -> Identities<'a> {
        Identities {
            episodes,
            index: None,
            kept: None,
        }
    }

    /// The children under `spec`.
    pub fn identify(&mut self, spec: &IdentitySpec) -> Identity {
        match self.kept.take() {
            Some((kept, identity)) if kept.links_like(spec) => {
                return identity.relabelled(spec.id_mode());
            }
            // Dropped before the next is built.
            _ => {}
        }
        let tolerance = spec.link.birth_tolerance_months;
        let index = match self.index.take() {
            Some(index) if index.birth_tolerance_months() == tolerance => index,
            _ => IdIndex::build(self.episodes, tolerance),
        };
        let identity = cumin_cohort::identify_with(self.episodes, &index, spec);
        self.index = Some(index);
        identity
    }

    /// Hands back `identity` (identified under `spec`) for the next spec to reuse.
    pub fn keep(&mut self, spec: &IdentitySpec, identity: Identity) {
        self.kept = Some((*spec, identity));
    }
}
