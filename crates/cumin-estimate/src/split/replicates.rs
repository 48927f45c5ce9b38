//! The hidden successors of a key under the fitted model (shifted for keys without a PMR
//! where assumption 1 is adjusted for, [`crate::split::mobility`]), and the sampling
//! error `r` (read from few seen pairs at young ages) adds to their total: replicates of
//! the seen pairs refit `r`, the successor model with it and the hidden successors.

use crate::split::CLASS_AGES;
use crate::split::keys::{Key, Keys, Status};
use crate::split::mobility;
use crate::split::successor::{SuccessorModel, SuccessorShares, hidden};
use ndarray::Array1;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Replicates of the seen pairs (Poisson weights) that carry the sampling error of `r`,
/// read from few pairs at young ages, into the hidden successors: `r` is refitted, the
/// successor model refitted with it as its known scale, and the hidden successors
/// recomputed in each.
pub const R_REPLICATES: u64 = 50;
/// Seed of the replicates' ChaCha8 streams (fixed: the correction is deterministic).
const R_SEED: u64 = 19;

/// The share of keys carrying a PMR, by oldest age.
pub fn key_pmr_share(keys: &[Key]) -> [f64; CLASS_AGES] {
    let mut all = [0.0f64; CLASS_AGES];
    let mut with = [0.0f64; CLASS_AGES];
    for k in keys {
        all[usize::from(k.oldest)] += 1.0;
        with[usize::from(k.oldest)] += f64::from(u8::from(k.pmr));
    }
    std::array::from_fn(|a| if all[a] > 0.0 { with[a] / all[a] } else { 0.0 })
}

/// The shift of the coefficients for keys without a PMR where movers' keys carry it less
/// often (`key_theta` by oldest age, [`crate::split::mobility::Mobility::key_theta`];
/// [`mobility::shift`] on each fitted age's effect; the extrapolated ages follow through
/// the line, the covariates are not moved). Zero without a dependence.
pub fn no_pmr_shift(
    m: &SuccessorModel,
    key_theta: &[f64; CLASS_AGES],
    share: &[f64; CLASS_AGES],
) -> Array1<f64> {
    let mut delta = Array1::zeros(m.coef.len());
    for (i, a) in m.fitted_ages.iter().enumerate() {
        let a = usize::from(*a);
        delta[i] = mobility::shift(key_theta[a], share[a]);
    }
    delta
}

/// A key's expected hidden successors, their derivative in the linear predictor and its
/// design row (`delta` shifts the coefficients of keys without a PMR).
pub fn key_hidden(
    m: &SuccessorModel,
    k: &Key,
    shares: &SuccessorShares,
    delta: &Array1<f64>,
    flat: bool,
) -> (f64, f64, Array1<f64>) {
    let x = m.design(k, flat);
    let mut eta = x.dot(&m.coef);
    if k.status == Status::NoPmr {
        eta += x.dot(delta);
    }
    let (h, dh) = hidden(k, eta, shares);
    (h, dh, x)
}

/// What `hidden` and the design read of a key: oldest age, rows (1, 2, 3+), follow-up,
/// PMR, `RC5`, decile group, status.
type KeyClass = (u8, u32, u8, bool, bool, u8, u8);

/// The s.d. of the total hidden successors from `r`'s sampling error: [`R_REPLICATES`]
/// replicates of the seen pairs (Poisson(1) weights), each refitting `r`, the successor
/// model with it and the hidden successors.
pub fn r_replicate_sd(
    keys: &Keys,
    transfer_kept: f64,
    key_theta: &[f64; CLASS_AGES],
    share: &[f64; CLASS_AGES],
) -> f64 {
    let ages = SuccessorModel::ages_to_fit(&keys.keys);
    if keys.pairs.is_empty() || ages.is_empty() {
        return 0.0;
    }
    // What a replicate needs: the PMR keys at the fitted ages (the fit), and the keys
    // that can have a hidden successor, grouped by what `hidden` and the design read.
    let fitted: Vec<Key> = keys
        .keys
        .iter()
        .filter(|k| k.pmr && ages.contains(&k.oldest))
        .copied()
        .collect();
    let mut classes: BTreeMap<KeyClass, (Key, f64)> = BTreeMap::new();
    for k in keys.keys.iter().filter(|k| k.status != Status::HasLater) {
        let id = (
            k.oldest,
            k.rows.min(3),
            k.follow_up,
            k.pmr,
            k.rc5,
            k.decile_group,
            k.status as u8,
        );
        classes.entry(id).or_insert((*k, 0.0)).1 += 1.0;
    }
    let poisson = Poisson::new(1.0).expect("rate 1");
    let totals: Vec<f64> = (0..R_REPLICATES)
        .into_par_iter()
        .filter_map(|rep| {
            let mut rng = ChaCha8Rng::seed_from_u64(R_SEED);
            rng.set_stream(rep);
            let weights: Vec<u64> = keys
                .pairs
                .iter()
                .map(|_| poisson.sample(&mut rng) as u64)
                .collect();
            let shares = SuccessorShares::new(
                keys.pairs.iter().zip(&weights).flat_map(|(p, w)| {
                    std::iter::repeat_n(
                        (
                            keys.keys[p.from as usize],
                            keys.keys[p.to as usize],
                            p.transfer_like,
                        ),
                        *w as usize,
                    )
                }),
                transfer_kept,
            );
            let scale: Vec<f64> = fitted
                .iter()
                .map(|k| shares.carries[usize::from(k.oldest)])
                .collect();
            let m = SuccessorModel::fit_at(&fitted, &scale, &ages)?;
            let delta = no_pmr_shift(&m, key_theta, share);
            Some(
                classes
                    .values()
                    .map(|(k, n)| n * key_hidden(&m, k, &shares, &delta, false).0)
                    .sum(),
            )
        })
        .collect();
    if totals.len() < 2 {
        return 0.0;
    }
    let n = totals.len() as f64;
    let mean = totals.iter().sum::<f64>() / n;
    (totals.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}
