//! Weighted isotonic regression over a small partial order: the closest values (in
//! weighted least squares) that respect a set of orderings `f_i ≤ f_j`.
//!
//! Used to keep nested outcomes' curves from crossing (a child with a child protection
//! plan was also in need, assessed and referred: `F_cpp ≤ F_cin ≤ F_assessed ≤
//! F_referral`). The solution is the min–max formula of Robertson, Wright & Dykstra
//! (1988, *Order Restricted Statistical Inference*, Theorem 1.4.4):
//!
//! `f*(x) = max_{U ∋ x} min_{L ∋ x} Av(U ∩ L)`,
//!
//! `U` ranging over the upper sets (closed upwards) and `L` over the lower sets (closed
//! downwards) of the order that contain `x`, and `Av(S) = Σ_S w y / Σ_S w`. With a few
//! nodes (five outcomes) every subset is enumerated, which is exact and needs no
//! iteration. On a chain it is the pool-adjacent-violators answer.

/// The weighted isotonic regression of `values` (weights `weights`, all positive) under
/// the orderings `order`: each `(i, j)` asks `f_i ≤ f_j` (the transitive closure is taken
/// here). Nodes in no ordering keep their values.
///
/// # Panics
/// With more than 16 nodes (every subset is enumerated), a weight that is not positive
/// and finite, a value that is not finite, an ordering naming a node out of range, or a
/// cycle (`f_i ≤ f_j ≤ f_i` with `i ≠ j` makes no partial order).
pub fn isotonic(values: &[f64], weights: &[f64], order: &[(usize, usize)]) -> Vec<f64> {
    let n = values.len();
    assert!(n <= 16, "isotonic: {n} nodes; at most 16");
    assert_eq!(weights.len(), n);
    assert!(weights.iter().all(|w| w.is_finite() && *w > 0.0));
    assert!(values.iter().all(|v| v.is_finite()));
    let above = closure(n, order);
    for i in 0..n {
        for j in (0..n).filter(|&j| j != i && above[i] & (1 << j) != 0) {
            assert!(
                above[j] & (1 << i) == 0,
                "isotonic: the orderings have a cycle through nodes {i} and {j}"
            );
        }
    }
    // Upper sets: with i, everything above i. Lower sets: with j, everything below j.
    let below: Vec<u32> = (0..n)
        .map(|j| {
            (0..n)
                .filter(|&i| above[i] & (1 << j) != 0)
                .fold(0, |m, i| m | (1 << i))
        })
        .collect();
    let subsets = 0u32..(1u32 << n);
    let closed = |s: u32, reach: &[u32]| (0..n).all(|i| s & (1 << i) == 0 || reach[i] & !s == 0);
    let uppers: Vec<u32> = subsets.clone().filter(|&s| closed(s, &above)).collect();
    let lowers: Vec<u32> = subsets.filter(|&s| closed(s, &below)).collect();
    let average = |s: u32| {
        let (mut wy, mut w) = (0.0, 0.0);
        for i in (0..n).filter(|i| s & (1 << i) != 0) {
            wy += weights[i] * values[i];
            w += weights[i];
        }
        wy / w
    };
    (0..n)
        .map(|x| {
            let bit = 1 << x;
            uppers
                .iter()
                .filter(|u| *u & bit != 0)
                .map(|&u| {
                    lowers
                        .iter()
                        .filter(|l| *l & bit != 0)
                        .map(|&l| average(u & l))
                        .fold(f64::INFINITY, f64::min)
                })
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect()
}

/// For each node, the bit set of the nodes it must not exceed (itself included): the
/// reflexive transitive closure of `order`.
fn closure(n: usize, order: &[(usize, usize)]) -> Vec<u32> {
    let mut above: Vec<u32> = (0..n).map(|i| 1 << i).collect();
    for &(i, j) in order {
        assert!(i < n && j < n, "isotonic: ordering ({i}, {j}) out of range");
        above[i] |= 1 << j;
    }
    loop {
        let mut changed = false;
        for i in 0..n {
            let mut reach = above[i];
            for j in (0..n).filter(|j| above[i] & (1 << j) != 0) {
                reach |= above[j];
            }
            if reach != above[i] {
                above[i] = reach;
                changed = true;
            }
        }
        if !changed {
            return above;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pool adjacent violators on a chain `f_0 ≤ f_1 ≤ …` (the textbook algorithm).
    fn pava(values: &[f64], weights: &[f64]) -> Vec<f64> {
        let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
        for (&y, &w) in values.iter().zip(weights) {
            blocks.push((y, w, 1));
            while blocks.len() > 1 && blocks[blocks.len() - 2].0 > blocks[blocks.len() - 1].0 {
                let (y2, w2, n2) = blocks.pop().unwrap();
                let (y1, w1, n1) = blocks.pop().unwrap();
                blocks.push(((y1 * w1 + y2 * w2) / (w1 + w2), w1 + w2, n1 + n2));
            }
        }
        blocks
            .iter()
            .flat_map(|&(y, _, n)| std::iter::repeat_n(y, n))
            .collect()
    }

    #[test]
    fn a_crossing_pair_is_pooled_by_weight_and_others_are_left_alone() {
        // f_0 ≤ f_1 with y = (0.30, 0.28), weights 1 and 3: both become 0.285.
        let f = isotonic(&[0.30, 0.28, 0.5], &[1.0, 3.0, 1.0], &[(0, 1)]);
        assert!(
            (f[0] - 0.285).abs() < 1e-15 && (f[1] - 0.285).abs() < 1e-15,
            "{f:?}"
        );
        assert_eq!(f[2], 0.5);
        // Already in order: unchanged.
        assert_eq!(isotonic(&[0.1, 0.2], &[1.0, 1.0], &[(0, 1)]), [0.1, 0.2]);
    }

    #[test]
    fn nested_outcomes_with_two_parents() {
        // Nodes: 0 cpp, 1 cin, 2 s47, 3 referral; cpp ≤ cin ≤ referral, cpp ≤ s47 ≤
        // referral. CPP above both parents: it pools with the nearer (s47) first, then
        // with cin: by hand, the minimum of Σ w (f − y)² over f_cpp ≤ f_cin, f_s47 is
        // f_cpp = f_cin = f_s47 = mean(0.10, 0.08, 0.09) = 0.09 (equal weights).
        let order = [(0, 1), (1, 3), (0, 2), (2, 3)];
        let f = isotonic(&[0.10, 0.08, 0.09, 0.40], &[1.0; 4], &order);
        for (got, want) in f.iter().zip([0.09, 0.09, 0.09, 0.40]) {
            assert!((got - want).abs() < 1e-15, "{f:?}");
        }
        // Only above s47 by a little, well below cin: pooled with s47 alone.
        let f = isotonic(&[0.10, 0.20, 0.09, 0.40], &[1.0; 4], &order);
        for (got, want) in f.iter().zip([0.095, 0.20, 0.095, 0.40]) {
            assert!((got - want).abs() < 1e-15, "{f:?}");
        }
    }

    #[test]
    #[should_panic(expected = "cycle")]
    fn a_cycle_is_refused() {
        isotonic(&[0.0, 1.0], &[1.0, 1.0], &[(0, 1), (1, 0)]);
    }

    /// A random partial order on `n` nodes: orderings only from lower to higher index.
    fn dag(n: usize, bits: u64) -> Vec<(usize, usize)> {
        let mut order = Vec::new();
        let mut k = 0;
        for i in 0..n {
            for j in i + 1..n {
                if bits & (1 << (k % 64)) != 0 {
                    order.push((i, j));
                }
                k += 1;
            }
        }
        order
    }

    fn objective(f: &[f64], y: &[f64], w: &[f64]) -> f64 {
        f.iter()
            .zip(y)
            .zip(w)
            .map(|((f, y), w)| w * (f - y).powi(2))
            .sum()
    }

    proptest! {
        #[test]
        fn on_a_chain_it_is_pool_adjacent_violators(
            yw in prop::collection::vec((0.0f64..1.0, 0.1f64..10.0), 1..9),
        ) {
            let (y, w): (Vec<f64>, Vec<f64>) = yw.into_iter().unzip();
            let order: Vec<(usize, usize)> = (1..y.len()).map(|i| (i - 1, i)).collect();
            let f = isotonic(&y, &w, &order);
            for (a, b) in f.iter().zip(pava(&y, &w)) {
                prop_assert!((a - b).abs() < 1e-12, "{f:?}");
            }
        }

        /// The answer respects the order, keeps the weighted mean, changes nothing already
        /// in order, and no feasible vector near it (each coordinate moved, then pushed
        /// back into the order) is closer to the data.
        #[test]
        fn it_is_the_closest_vector_in_the_order(
            yw in prop::collection::vec((0.0f64..1.0, 0.1f64..10.0), 2..7),
            bits in any::<u64>(),
            moves in prop::collection::vec(-0.2f64..0.2, 7),
        ) {
            let (y, w): (Vec<f64>, Vec<f64>) = yw.into_iter().unzip();
            let n = y.len();
            let order = dag(n, bits);
            let f = isotonic(&y, &w, &order);
            for &(i, j) in &order {
                prop_assert!(f[i] <= f[j] + 1e-12, "{i} {j} {f:?}");
            }
            let mean = |v: &[f64]| v.iter().zip(&w).map(|(v, w)| v * w).sum::<f64>();
            prop_assert!((mean(&f) - mean(&y)).abs() < 1e-9);
            prop_assert_eq!(isotonic(&f, &w, &order).iter().zip(&f).all(|(a, b)| (a - b).abs() < 1e-12), true);
            // Another vector in the order: f moved, then made feasible by raising each
            // node to the largest value below it (nodes in index order, orderings point up).
            let mut g: Vec<f64> = f.iter().zip(&moves).map(|(f, m)| f + m).collect();
            for j in 0..n {
                for &(i, k) in &order {
                    if k == j && g[i] > g[j] {
                        g[j] = g[i];
                    }
                }
            }
            prop_assert!(objective(&f, &y, &w) <= objective(&g, &y, &w) + 1e-12);
        }

        /// Monotone in the data: raising every value never lowers any answer (so limits
        /// adjusted with the estimate stay on either side of it, and a curve increasing in
        /// age stays increasing).
        #[test]
        fn raising_the_data_never_lowers_the_answer(
            yw in prop::collection::vec((0.0f64..1.0, 0.1f64..10.0, 0.0f64..0.3), 2..7),
            bits in any::<u64>(),
        ) {
            let y: Vec<f64> = yw.iter().map(|t| t.0).collect();
            let w: Vec<f64> = yw.iter().map(|t| t.1).collect();
            let up: Vec<f64> = yw.iter().map(|t| t.0 + t.2).collect();
            let order = dag(y.len(), bits);
            let (f, g) = (isotonic(&y, &w, &order), isotonic(&up, &w, &order));
            for (a, b) in f.iter().zip(&g) {
                prop_assert!(a <= &(b + 1e-12));
            }
        }
    }
}
