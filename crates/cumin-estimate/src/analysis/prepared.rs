//! [`Prepared`]: the estimation in two steps, so that a caller can free the extract's
//! rows between them.

use super::{Estimates, Run, every_ghost};
use crate::curves::{Strata, place_years};
use crate::denominators::Denominators;
use crate::error::EstimateError;
use crate::frame::Frame;
use crate::results::Unplaced;
use crate::spec::EstimateSpec;
use crate::split::{SplitCorrection, SplitInputs};
use crate::strata::Stratification;
use cumin_census::{CensusYear, Episodes, Outcome, Progress};
use cumin_cohort::{Event, Events, Identity};
use cumin_link::LinkageMode;
use std::borrow::Cow;

/// An estimation in two steps, so that a caller can free the extract's rows between
/// them: [`Prepared::new`] checks the denominators against the spec and reads what the
/// split correction needs from the episode table and the identity's per-row tables (the
/// one part of the estimation that reads them, [`SplitInputs::read`]);
/// [`Prepared::estimate`] (given the same identity and events, whose per-row tables may
/// have been freed) finishes the split correction ([`SplitInputs::finish`]) and does the
/// rest. [`estimate`](super::estimate) is the two steps one after the other.
pub struct Prepared<'a> {
    spec: &'a EstimateSpec,
    denominators: &'a Denominators,
    frame: Frame,
    strata: Vec<Strata>,
    split: Option<PreparedSplit>,
}

/// The split correction a [`Prepared`] holds: read from the rows ([`Prepared::new`],
/// finished in [`Prepared::estimate`]) or built by the caller ([`Prepared::with_split`]).
enum PreparedSplit {
    Read(SplitInputs),
    Built(SplitCorrection),
}

impl<'a> Prepared<'a> {
    /// The frame and strata of `spec` on `denominators` and, under `corrected` linkage,
    /// the split correction's inputs from the children of `identity` (linked from
    /// `episodes`) and their `events`.
    pub fn new(
        (episodes, identity, events, denominators): (
            &Episodes,
            &Identity,
            &Events,
            &'a Denominators,
        ),
        spec: &'a EstimateSpec,
    ) -> Result<Prepared<'a>, EstimateError> {
        let mut p = Prepared::with_split(denominators, spec, None)?;
        // Only the split correction's reading of the rows here: its fits and hidden
        // successors come in `estimate`, once the caller may have freed the rows and
        // the per-row tables, so their tables do not add up with those in the peak.
        p.split = (identity.linkage_mode == LinkageMode::Corrected).then(|| {
            let mut read =
                SplitInputs::read(episodes, identity, events, &spec.outcomes, &spec.rules);
            read.forget_key_index();
            PreparedSplit::Read(read)
        });
        Ok(p)
    }

    /// [`Prepared::new`] with `split` built by the caller ([`SplitCorrection::for_events`]).
    pub fn with_split(
        denominators: &'a Denominators,
        spec: &'a EstimateSpec,
        split: Option<SplitCorrection>,
    ) -> Result<Prepared<'a>, EstimateError> {
        let frame = Frame::new(denominators, spec)?;
        let strata: Vec<Strata> = spec
            .strata
            .iter()
            .map(|&by| Strata {
                by,
                levels: denominators.tables(by).into_iter().collect(),
            })
            .collect();
        Ok(Prepared {
            spec,
            denominators,
            frame,
            strata,
            split: split.map(PreparedSplit::Built),
        })
    }

    /// Every estimator of the spec on the children of `identity` and their `events`
    /// (those [`Prepared::new`] was given; their per-row tables are not read again),
    /// reporting its stages to `progress`.
    pub fn estimate(
        self,
        identity: &Identity,
        events: &Events,
        progress: &dyn Progress,
    ) -> Result<Estimates, EstimateError> {
        self.estimate_from(
            identity,
            |o| Cow::Borrowed(&events.all[o.index()]),
            progress,
        )
    }

    /// [`Prepared::estimate`] given the events to keep: each outcome's are freed once its
    /// event years are placed and its recurrence counted (the last that reads them), so
    /// that they are not held beside the curves' and the bootstrap's tables.
    pub fn estimate_owned(
        self,
        identity: &Identity,
        mut events: Events,
        progress: &dyn Progress,
    ) -> Result<Estimates, EstimateError> {
        let take = |o: Outcome| Cow::Owned(std::mem::take(&mut events.all[o.index()]));
        self.estimate_from(identity, take, progress)
    }

    /// The estimation, each outcome's events from `events_of` (read once, in the spec's
    /// order of outcomes).
    fn estimate_from<'e>(
        self,
        identity: &Identity,
        mut events_of: impl FnMut(Outcome) -> Cow<'e, [Event]>,
        progress: &dyn Progress,
    ) -> Result<Estimates, EstimateError> {
        let Prepared {
            spec,
            denominators,
            frame,
            strata,
            split,
        } = self;
        // The split correction finished before the event years are placed: its
        // transient tables are freed before they are allocated.
        let split = split.map(|s| match s {
            PreparedSplit::Read(inputs) => inputs.finish(),
            PreparedSplit::Built(built) => built,
        });
        let mut run = Run::new(&frame, spec, progress);
        run.out.split = split.as_ref().map(|sc| sc.summary(&spec.outcomes));
        run.split_scalings = split.as_ref().map(SplitCorrection::scalings);
        let last_year = CensusYear::containing(spec.rules.data_end);
        let mut years = Vec::with_capacity(spec.outcomes.len());
        for &o in &spec.outcomes {
            let all = events_of(o);
            let (placed, unknown) = place_years(o, &all, &strata, identity, denominators)?;
            crate::curves::check_events(denominators, &strata, &frame, &placed)?;
            for (s, u) in strata.iter().zip(unknown) {
                if s.by != Stratification::ALL {
                    run.out.unplaced.push(Unplaced {
                        by: s.by,
                        outcome: o,
                        event_years: u as f64,
                    });
                }
            }
            years.push(placed);
            run.out
                .recurrence
                .extend(crate::recurrence::recurrence(o, &all, last_year));
        }
        progress.begin_counting(
            "estimating",
            Some((years.len() * strata.len()) as u64),
            "curve sets",
        );
        run.ghosts = every_ghost(split.as_ref(), &years, &strata, &frame);
        // The curves read only the ghosts and the scalings: the key table goes now,
        // before the curves' and the bootstrap's tables are made.
        drop(split);
        for (oi, oy) in years.iter().enumerate() {
            run.outcome(oi, oy, &strata);
        }
        progress.end();
        Ok(run.finish(&years, &strata))
    }
}
