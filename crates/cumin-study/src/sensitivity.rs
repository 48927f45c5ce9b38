//! `--sensitivity`: the headline estimates under every identifier mode, side by side.
//!
//! Identity is the largest source of bias in this problem, and which way it goes depends
//! on the identifiers used: `la-only` splits movers into several children (over-count),
//! `pmr-only` loses children without a PMR (under-count). Running the same study under
//! every mode shows how far the answer moves with that choice.

use crate::error::StudyError;
use crate::linkage::{first_referral_rows, mode_rows};
use crate::mode_run::{Identities, run_mode};
use crate::settings::Settings;
use cumin_census::{Date, Episodes, Outcome};
use cumin_estimate::{Curve, Denominators, EstimateSpec, Stratification};
use cumin_link::{IdMode, LinkageMode};
use cumin_report::LinkageRow;

/// What the sensitivity analysis produced.
#[derive(Clone, Debug)]
pub struct Sensitivity {
    /// Curves of stratum `all` under every mode (`sensitivity.csv`, before release).
    pub curves: Vec<(IdMode, Curve)>,
    /// Linkage measures of every mode.
    pub linkage: Vec<LinkageRow>,
}

/// Links, builds cohorts and estimates (stratum `all`) under every identifier mode, each
/// by its identifiers alone (the comparison is of the identifiers) and without the
/// bootstrap (it compares point estimates).
pub fn run_modes(
    settings: &Settings,
    outcomes: &[Outcome],
    denominators: &Denominators,
    data_end: Date,
    episodes: &Episodes,
) -> Result<Sensitivity, StudyError> {
    let mut curves = Vec::new();
    let mut linkage = Vec::new();
    let mut identities = Identities::new(episodes);
    for mode in IdMode::ALL {
        let spec = settings.identity_under(mode, LinkageMode::Exact);
        let identity = identities.identify(&spec);
        let run = run_mode(
            episodes,
            identity,
            &spec,
            (settings.window_start, data_end),
            denominators,
            |rules| EstimateSpec {
                strata: vec![Stratification::ALL],
                periods: Vec::new(),
                bootstrap: 0,
                ..settings.estimate_spec(outcomes.to_vec(), rules)
            },
        )?;
        let estimates = &run.estimates;
        curves.extend(estimates.curves.iter().map(|c| (mode, c.clone())));
        linkage.extend(mode_rows(mode, &run.identity.counts()));
        linkage.extend(first_referral_rows(
            mode,
            &run.identity.episodes,
            &run.events,
        ));
        identities.keep(&spec, run.identity);
    }
    Ok(Sensitivity { curves, linkage })
}
