//! The hidden successors of a key under the fitted model (shifted for keys without a PMR
//! where assumption 1 is adjusted for, [`crate::split::mobility`]), and the sampling
//! error `r` (read from few seen pairs at young ages) adds to their total: replicates of
//! the seen pairs refit `r`, the successor model with it and the hidden successors.

use crate::split::CLASS_AGES;
use crate::split::keys::{Key, Keys, Status};
use crate::split::mobility;
use crate::split::successor::{AgeCells, SuccessorModel, SuccessorShares, hidden};
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
    // What a replicate needs: the cells of the PMR keys at the fitted ages (the fit; a
    // replicate's scale, `r`, is one per age, so only it changes), and the keys that can
    // have a hidden successor, grouped by what `hidden` and the design read.
    let fitted = AgeCells::new(&keys.keys, &ages);
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
            let m = SuccessorModel::fit_by_age(&fitted, &shares.carries, &ages)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::keys::Pair;
    use cumin_census::Date;
    use cumin_link::ChildId;
    use rand::RngExt;

    /// Random keys (PMRs from age 2, a later PMR key for one in ten, every covariate
    /// varying) and random seen pairs among them.
    fn random_keys(seed: u64, n: usize, n_pairs: usize) -> Keys {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let keys: Vec<Key> = (0..n)
            .map(|i| {
                let oldest = rng.random_range(0..CLASS_AGES as u8);
                let pmr = oldest >= 2 && rng.random_bool(0.6);
                let status = match rng.random_range(0..3) {
                    0 => Status::NoPmr,
                    1 => Status::PmrNoLater,
                    _ => Status::HasLater,
                };
                Key {
                    child: ChildId(i as u32),
                    oldest,
                    rows: rng.random_range(1..5),
                    pmr,
                    rc5: rng.random_bool(0.2),
                    decile_group: rng.random_range(0..3),
                    first_referral: Date::ymd(2015, 1, 1),
                    first_referral_age: oldest,
                    last_referral_age: oldest,
                    follow_up: rng.random_range(0..9),
                    carries_if_matched: rng.random_range(0.4..1.0),
                    status,
                    later_pmr: rng.random_bool(0.1),
                }
            })
            .collect();
        let pairs = (0..n_pairs)
            .map(|_| Pair {
                from: rng.random_range(0..n as u32),
                to: rng.random_range(0..n as u32),
                transfer_like: rng.random_bool(0.3),
            })
            .collect();
        Keys {
            keys,
            pairs,
            ..Keys::default()
        }
    }

    /// `r_replicate_sd` as it was before the cells were found once: each replicate
    /// refits from every PMR key at the fitted ages with a scale per key.
    fn reference_sd(
        keys: &Keys,
        transfer_kept: f64,
        key_theta: &[f64; CLASS_AGES],
        share: &[f64; CLASS_AGES],
    ) -> (Vec<f64>, f64) {
        let ages = SuccessorModel::ages_to_fit(&keys.keys);
        let fitted: Vec<Key> = keys
            .keys
            .iter()
            .filter(|k| k.pmr && ages.contains(&k.oldest))
            .copied()
            .collect();
        let eligible: Vec<Key> = keys
            .keys
            .iter()
            .filter(|k| k.status != Status::HasLater)
            .copied()
            .collect();
        let poisson = Poisson::new(1.0).expect("rate 1");
        let mut totals = Vec::new();
        for rep in 0..R_REPLICATES {
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
            let Some(m) = SuccessorModel::fit_at(&fitted, &scale, &ages) else {
                continue;
            };
            let delta = no_pmr_shift(&m, key_theta, share);
            // Grouped into classes as the code does (the order of the sum matters).
            let mut classes: BTreeMap<KeyClass, (Key, f64)> = BTreeMap::new();
            for k in &eligible {
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
            totals.push(
                classes
                    .values()
                    .map(|(k, n)| n * key_hidden(&m, k, &shares, &delta, false).0)
                    .sum(),
            );
        }
        let n = totals.len() as f64;
        let mean = totals.iter().sum::<f64>() / n;
        let sd = (totals.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        (totals, sd)
    }

    #[test]
    fn replicates_refit_from_cells_found_once_to_the_bit() {
        let theta: [f64; CLASS_AGES] = std::array::from_fn(|a| 0.05 * a as f64 - 0.3);
        for seed in 0..4 {
            // Few pairs, so `r` differs by age and between replicates.
            let keys = random_keys(seed, 3000, 120 + 40 * seed as usize);
            let share = key_pmr_share(&keys.keys);
            let (totals, expected) = reference_sd(&keys, 0.4, &theta, &share);
            assert_eq!(totals.len() as u64, R_REPLICATES, "every replicate fits");
            assert!(expected > 0.0 && expected.is_finite(), "{expected}");
            let sd = r_replicate_sd(&keys, 0.4, &theta, &share);
            assert_eq!(
                sd.to_bits(),
                expected.to_bits(),
                "seed {seed}: {sd} {expected}"
            );
        }
    }

    #[test]
    fn a_fit_by_age_is_the_fit_with_that_scale_on_every_key() {
        let keys = random_keys(7, 4000, 0).keys;
        let ages = SuccessorModel::ages_to_fit(&keys);
        assert!(ages.len() > 10, "{ages:?}");
        let cells = AgeCells::new(&keys, &ages);
        // Scales that differ by age, one above 1 (capped).
        let mut scale: [f64; CLASS_AGES] = std::array::from_fn(|a| 0.3 + 0.04 * a as f64);
        scale[5] = 1.7;
        let per_key = |scale: &[f64; CLASS_AGES]| -> Vec<f64> {
            keys.iter().map(|k| scale[usize::from(k.oldest)]).collect()
        };
        let expected = SuccessorModel::fit_at(&keys, &per_key(&scale), &ages).expect("fits");
        let m = SuccessorModel::fit_by_age(&cells, &scale, &ages).expect("fits");
        let bits = |a: &Array1<f64>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&m.coef), bits(&expected.coef));
        let cov = |m: &SuccessorModel| m.covariance.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(cov(&m), cov(&expected));
        assert_eq!(m, expected);
        // The scale matters: another scale at one age moves the fit.
        scale[6] *= 0.5;
        let moved = SuccessorModel::fit_by_age(&cells, &scale, &ages).expect("fits");
        assert_ne!(bits(&moved.coef), bits(&expected.coef));
        // A zero or NaN scale drops its age's keys in both (and an age without keys
        // leaves its coefficient unfitted: no fit).
        for bad in [0.0, f64::NAN] {
            scale[8] = bad;
            let m = SuccessorModel::fit_by_age(&cells, &scale, &ages);
            assert_eq!(m, SuccessorModel::fit_at(&keys, &per_key(&scale), &ages));
        }
    }
}
