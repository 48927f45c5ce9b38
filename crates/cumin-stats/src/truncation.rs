//! A discrete distribution from right-truncated observations: the reverse-time
//! product-limit estimator (Lagakos, Barraj & De Gruttola 1988, *Biometrika* 75, 515–523;
//! the estimator behind reporting-delay corrections).
//!
//! A value `d` (a delay) is seen only if `d ≤ D`, its truncation limit (what the data's
//! end allowed for it), so a plain tally under-represents long delays. With values on
//! `0..n`, the reverse hazard `λ(j) = P(d = j | d ≤ j)` is estimated from the
//! observations whose limit allows `j` (`D ≥ j`): `λ̂(j) = Σ w [d = j] / Σ w [d ≤ j]` over
//! them; then `F(n − 1) = 1`, `F(j − 1) = F(j) (1 − λ̂(j))` and `f(j) = F(j) − F(j − 1)`.
//! It assumes the limit is independent of the value (quasi-independence).

/// One observation: its value and limit (indices `0..n`, `value ≤ limit`) and weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Truncated {
    /// The value seen.
    pub value: usize,
    /// The largest value that could have been seen for it.
    pub limit: usize,
    /// Its weight.
    pub weight: f64,
}

/// The estimated distribution `f(0..n)` (summing to 1), or `None` without observations.
/// Values above every limit get no mass (nothing says anything about them); where no
/// observation reaches a value's risk set, its reverse hazard is taken as 0.
pub fn right_truncated_distribution(observations: &[Truncated], n: usize) -> Option<Vec<f64>> {
    if observations.iter().all(|o| o.weight <= 0.0) || n == 0 {
        return None;
    }
    let mut at = vec![0.0; n];
    for o in observations {
        assert!(
            o.value <= o.limit && o.value < n,
            "a value above its limit or out of range"
        );
        at[o.value] += o.weight;
    }
    // F(j) = P(d ≤ j), filled from the top.
    let mut cumulative = vec![0.0; n];
    let mut f_j = 1.0;
    for j in (0..n).rev() {
        cumulative[j] = f_j;
        let (mut equal, mut at_most) = (0.0, 0.0);
        for o in observations.iter().filter(|o| o.limit >= j && o.value <= j) {
            at_most += o.weight;
            if o.value == j {
                equal += o.weight;
            }
        }
        let lambda = if at_most > 0.0 { equal / at_most } else { 0.0 };
        f_j *= 1.0 - lambda;
    }
    Some(
        (0..n)
            .map(|j| cumulative[j] - if j > 0 { cumulative[j - 1] } else { 0.0 })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn without_truncation_it_is_the_weighted_tally() {
        let obs: Vec<Truncated> = [(0, 2.0), (1, 1.0), (1, 1.0), (3, 4.0)]
            .iter()
            .map(|&(value, weight)| Truncated {
                value,
                limit: 4,
                weight,
            })
            .collect();
        let f = right_truncated_distribution(&obs, 5).unwrap();
        for (got, want) in f.iter().zip([0.25, 0.25, 0.0, 0.5, 0.0]) {
            assert!((got - want).abs() < 1e-12, "{f:?}");
        }
    }

    #[test]
    fn by_hand_with_one_truncated_observation() {
        // Values 0, 1, 2 seen with limit 2; one more 0 seen with limit 0. λ(2) = 1/3,
        // λ(1) = 1/2, λ(0) = 1 → F(2) = 1, F(1) = 2/3, F(0) = 1/3: f = (1/3, 1/3, 1/3).
        // (A plain tally would give 1/2 to 0.)
        let o = |value, limit| Truncated {
            value,
            limit,
            weight: 1.0,
        };
        let f = right_truncated_distribution(&[o(0, 2), o(1, 2), o(2, 2), o(0, 0)], 3).unwrap();
        for got in &f {
            assert!((got - 1.0 / 3.0).abs() < 1e-12, "{f:?}");
        }
    }

    #[test]
    fn it_recovers_a_distribution_the_data_end_truncates() {
        // Delays 0..8 with chances ∝ 0.7^d; each observation's limit uniform on 0..8, and
        // only d ≤ limit is seen. The tally is biased towards short delays; the estimator
        // is not.
        let n = 9;
        let weights: Vec<f64> = (0..n).map(|d| 0.7f64.powi(d as i32)).collect();
        let total: f64 = weights.iter().sum();
        let truth: Vec<f64> = weights.iter().map(|w| w / total).collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut obs = Vec::new();
        while obs.len() < 200_000 {
            let u: f64 = rng.random();
            let mut acc = 0.0;
            let d = truth.iter().position(|p| {
                acc += p;
                u < acc
            });
            let d = d.unwrap_or(n - 1);
            let limit = rng.random_range(0..n);
            if d <= limit {
                obs.push(Truncated {
                    value: d,
                    limit,
                    weight: 1.0,
                });
            }
        }
        let f = right_truncated_distribution(&obs, n).unwrap();
        let tally =
            |d: usize| obs.iter().filter(|o| o.value == d).count() as f64 / obs.len() as f64;
        for d in 0..n {
            assert!(
                (f[d] - truth[d]).abs() < 0.01,
                "{d}: {} vs {}",
                f[d],
                truth[d]
            );
        }
        assert!(tally(0) > truth[0] + 0.05, "the plain tally is biased");
    }
}
