//! Arbitrary transfer pairs for property tests of joining children (used by this crate's
//! tests and, through `#[path]`, by `cumin-cohort`'s).

use cumin_link::{ChildId, Linkage, TransferPair};

/// Pairs joining the children `(a mod n, b mod n)` of `linkage` for each of `joins`
/// (`n` children, at least one); the episode indices are not read by joining.
pub fn pairs_joining(linkage: &Linkage, joins: &[(usize, usize)]) -> Vec<TransferPair> {
    let n = linkage.n_children;
    joins
        .iter()
        .map(|&(a, b)| TransferPair {
            from: ChildId((a % n) as u32),
            to: ChildId((b % n) as u32),
            closure_episode: 0,
            referral_episode: 0,
        })
        .collect()
}
