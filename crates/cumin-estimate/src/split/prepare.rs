//! The split correction's build in two steps, so that a caller can free the extract's
//! rows and the identity's per-row tables between them: [`SplitInputs::read`] does every
//! part that reads them (the key table, assumption 1's reading of the rows, each key's
//! own referrals, the delay templates), [`SplitInputs::finish`] the rest (`r` and `u`,
//! the successor model, the hidden successors, their uncertainty and re-allotment) from
//! what the first step kept.

use super::keys::Keys;
use super::mechanism::{self, MechanismCounts};
use super::mobility::Mobility;
use super::replicates::{key_hidden, key_pmr_share, no_pmr_shift, r_replicate_sd};
use super::successor::{SuccessorModel, SuccessorShares};
use super::{
    CLASS_AGES, SplitCorrection, allot, hidden_totals, latest_delay, outcome_templates,
    transfer_kept,
};
use crate::split::ghosts::Delays;
use cumin_census::{Episodes, Outcome};
use cumin_cohort::{BirthCohort, EventRules, Events, Identity};
use ndarray::Array1;

/// What the split correction needs from the rows and the per-row tables, read once.
#[derive(Clone, Debug)]
pub struct SplitInputs {
    /// The keys and seen pairs.
    keys: Keys,
    /// The share of closures with a transfer candidate that the transfer merge kept.
    transfer_kept: f64,
    /// Assumption 1 as the extract shows it.
    mobility: Mobility,
    /// `θ` per oldest age as keys see it, and the same with `θ` one s.d. towards 1
    /// ([`Mobility::key_theta`]; from the keys' rows by age, which are not kept).
    key_theta: [f64; CLASS_AGES],
    moved_theta: [f64; CLASS_AGES],
    /// Each key's own in-window referrals ([`allot::key_referrals`]).
    referrals: Vec<u32>,
    /// The counts that tell the mechanisms apart ([`mechanism`], for `linkage.csv`).
    mechanism: MechanismCounts,
    /// Each key's birth cohort.
    cohort: Vec<Option<BirthCohort>>,
    /// Latest delay of a successor's first referral after each key's last referral.
    limit: Vec<i8>,
    /// Delay distributions and the number of templates, per outcome.
    delays: Vec<Delays>,
    templates: Vec<u64>,
}

impl SplitInputs {
    /// The parts of [`SplitCorrection::build`] that read the extract's rows
    /// (`episodes`) and `identity`'s per-row tables: among the children of `identity`
    /// (with the transfer pairs joined) and their `events`, in-window by `rules`.
    pub fn read(
        episodes: &Episodes,
        identity: &Identity,
        events: &Events,
        outcomes: &[Outcome],
        rules: &EventRules,
    ) -> SplitInputs {
        let keys = Keys::build(episodes, identity, rules);
        let mobility = Mobility::from_rows(&keys.rows);
        let kappa: [f64; CLASS_AGES] = std::array::from_fn(|a| keys.rows.kappa(a));
        // The keys' rows by age, read only where the adjustment is made, and only
        // for the two readings of `θ` the model needs.
        let (key_theta, moved_theta) = if mobility.any() {
            let row_ages = keys.row_ages(episodes, identity);
            (
                mobility.key_theta(&keys.keys, &row_ages, &kappa),
                mobility.moved(1.0).key_theta(&keys.keys, &row_ages, &kappa),
            )
        } else {
            ([1.0; CLASS_AGES], [1.0; CLASS_AGES])
        };
        let referrals = allot::key_referrals(&keys, identity, rules);
        let mechanism = mechanism::collect(&keys, &referrals);
        let cohort: Vec<Option<BirthCohort>> = keys
            .keys
            .iter()
            .map(|k| identity.children.cohort[k.child.index()])
            .collect();
        let limit: Vec<i8> = keys
            .keys
            .iter()
            .zip(&cohort)
            .map(|(k, c)| latest_delay(k.last_referral_age, *c, rules))
            .collect();
        let mut delays = Vec::with_capacity(outcomes.len());
        let mut templates = Vec::with_capacity(outcomes.len());
        for &o in outcomes {
            let t = outcome_templates(&keys, identity, &events.all[o.index()], &limit);
            templates.push(t.len() as u64);
            delays.push(Delays::new(&t));
        }
        SplitInputs {
            keys,
            transfer_kept: transfer_kept(identity),
            mobility,
            key_theta,
            moved_theta,
            referrals,
            mechanism,
            cohort,
            limit,
            delays,
            templates,
        }
    }

    /// Frees the index by key number: of the steps after [`SplitInputs::read`], only
    /// [`SplitCorrection::for_events`] reads it (through the per-row tables' key numbers),
    /// so a caller that will not call it (and whose per-row tables are going) drops it.
    pub fn forget_key_index(&mut self) {
        self.keys.index_of_key = Vec::new();
    }

    /// Fits the successor model and finds every key's hidden successors with their
    /// uncertainty: the rest of [`SplitCorrection::build`], reading neither the rows nor
    /// the identity.
    pub fn finish(self) -> SplitCorrection {
        let SplitInputs {
            keys,
            transfer_kept,
            mobility,
            key_theta,
            moved_theta,
            referrals,
            mechanism,
            cohort,
            limit,
            delays,
            templates,
        } = self;
        let shares = SuccessorShares::new(
            keys.pairs.iter().map(|p| {
                (
                    keys.keys[p.from as usize],
                    keys.keys[p.to as usize],
                    p.transfer_like,
                )
            }),
            transfer_kept,
        );
        let model = {
            let scale: Vec<f64> = keys
                .keys
                .iter()
                .map(|k| shares.carries[usize::from(k.oldest)])
                .collect();
            SuccessorModel::fit(&keys.keys, &scale)
        };
        let key_share = key_pmr_share(&keys.keys);
        let n = keys.keys.len();
        let (mut hidden_lin, mut hidden_flat) = (vec![0.0; n], vec![0.0; n]);
        let (mut sampling_sd, mut r_sd, mut mobility_sd) = (0.0, 0.0, 0.0);
        if let Some(m) = &model {
            let delta = no_pmr_shift(m, &key_theta, &key_share);
            let mut grad = Array1::<f64>::zeros(m.coef.len());
            for (i, k) in keys.keys.iter().enumerate() {
                let (h, dh, x) = key_hidden(m, k, &shares, &delta, false);
                hidden_lin[i] = h;
                grad.scaled_add(dh, &x);
                hidden_flat[i] = if m.extrapolated(k) {
                    key_hidden(m, k, &shares, &delta, true).0
                } else {
                    h
                };
            }
            sampling_sd = grad.dot(&m.covariance.dot(&grad)).max(0.0).sqrt();
            let total: f64 = hidden_lin.iter().sum();
            r_sd = r_replicate_sd(&keys, transfer_kept, &key_theta, &key_share);
            if mobility.any() {
                let moved = no_pmr_shift(m, &moved_theta, &key_share);
                let t: f64 = keys
                    .keys
                    .iter()
                    .map(|k| key_hidden(m, k, &shares, &moved, false).0)
                    .sum();
                mobility_sd = (total - t).abs();
            }
        }
        // Each cohort × age's hidden successors re-allotted by the keys' own referrals
        // ([`allot`]; the totals the uncertainty reads are unchanged).
        allot::reallot_keys(
            &keys,
            &cohort,
            &referrals,
            [&mut hidden_lin, &mut hidden_flat],
        );
        let totals = hidden_totals(&keys.keys, model.as_ref(), &hidden_lin, &hidden_flat);
        SplitCorrection {
            keys,
            model,
            shares,
            hidden: hidden_lin,
            totals,
            limit,
            cohort,
            delays,
            templates,
            sampling_sd,
            r_sd,
            mobility,
            mobility_sd,
            mechanism,
        }
    }
}
