//! Numbering children so the numbers depend on the identifiers alone.
//!
//! A child is numbered by the smallest identifier in its component: LA keys first, by
//! (LA, LA child ID text, then PMR text for keys that stand on a PMR), then PMRs by text.
//! Interned references follow row order, so they cannot be used; texts are ranked once
//! and labels become integers that sort in the same order as the texts. LA keys come
//! first so that children follow the order an extract lists its rows in (by LA and LA
//! child ID): see `IdTable::build`.

use cumin_census::{Episodes, IdRef, Interner};
use rayon::prelude::*;

/// The rank of every interned string in text order.
///
/// Strings are sorted by a 16-byte big-endian prefix and their length, which orders
/// strings of up to 16 bytes exactly as their texts (a shorter string that is a prefix
/// of a longer one sorts first either way); runs that tie on the key (only strings
/// longer than 16 bytes sharing a prefix) are then sorted by their whole texts. Strings
/// are unique in the pool, so the unstable sorts are deterministic.
pub fn text_ranks(pool: &Interner) -> Vec<u32> {
    let bytes = |i: u32| pool.get_bytes(IdRef::from_index(i as usize));
    // Two u64 halves rather than one u128: the tuple packs in 24 bytes, not 32.
    let mut keyed: Vec<(u64, u64, u32, u32)> = (0..pool.len() as u32)
        .into_par_iter()
        .map(|i| {
            let b = bytes(i);
            let mut prefix = [0u8; 16];
            let n = b.len().min(16);
            prefix[..n].copy_from_slice(&b[..n]);
            let (hi, lo) = prefix.split_at(8);
            let half = |h: &[u8]| u64::from_be_bytes(h.try_into().expect("8 bytes"));
            (half(hi), half(lo), b.len().min(17) as u32, i)
        })
        .collect();
    keyed.par_sort_unstable();
    for run in keyed.chunk_by_mut(|a, b| (a.0, a.1, a.2) == (b.0, b.1, b.2)) {
        if run.len() > 1 {
            run.sort_unstable_by(|a, b| bytes(a.3).cmp(bytes(b.3)));
        }
    }
    let mut rank = vec![0u32; pool.len()];
    for (r, &(_, _, _, i)) in keyed.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    rank
}

/// Integer labels of graph nodes (whose first `n_pmrs` nodes are PMRs, then LA keys) that
/// sort as the identifiers' texts do, LA keys before PMRs: a key's label is its number
/// (keys are numbered in label order, `IdTable::build`), a PMR's is `n_keys` plus its
/// text rank. So the labels are `0..nodes`, each once.
pub struct Labels {
    pmr_rank: Vec<u32>,
    la_id_rank: Vec<u32>,
}

impl Labels {
    /// Ranks the identifiers of `episodes`.
    pub fn new(episodes: &Episodes) -> Labels {
        // One pool after the other (each sorted on every core): one pool's sort keys (24
        // bytes an identifier) at a time.
        let pmr_rank = text_ranks(&episodes.pmrs);
        let la_id_rank = text_ranks(&episodes.la_child_ids);
        Labels {
            pmr_rank,
            la_id_rank,
        }
    }

    /// The text rank of an interned LA child ID.
    pub fn la_id_rank(&self, id: IdRef) -> u32 {
        self.la_id_rank[id.index()]
    }

    /// The text rank of an interned PMR.
    pub fn pmr_rank(&self, pmr: IdRef) -> u32 {
        self.pmr_rank[pmr.index()]
    }

    /// The label of node `node` of a graph whose first `n_pmrs` nodes are PMRs, then
    /// `n_keys` LA keys.
    pub fn of(&self, (n_pmrs, n_keys): (usize, usize), node: u32) -> u32 {
        let node = node as usize;
        if node < n_pmrs {
            n_keys as u32 + self.pmr_rank[node]
        } else {
            (node - n_pmrs) as u32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_text_not_insertion() {
        let mut pool = Interner::new();
        for s in ["b", "a", "c", "aa"] {
            pool.intern(s);
        }
        assert_eq!(text_ranks(&pool), [2, 0, 3, 1]);
    }

    proptest::proptest! {
        #[test]
        fn ranks_equal_a_plain_text_sort(
            words in proptest::collection::btree_set("[ab\\x00é]{0,20}", 0..60),
        ) {
            let mut pool = Interner::new();
            // Insert in reverse text order so insertion order cannot pass for text order.
            for w in words.iter().rev() {
                pool.intern(w);
            }
            let ranks = text_ranks(&pool);
            let mut expected: Vec<&str> = words.iter().map(String::as_str).collect();
            expected.sort_unstable();
            for (i, r) in ranks.iter().enumerate() {
                proptest::prop_assert_eq!(pool.get(IdRef::from_index(i)), expected[*r as usize]);
            }
        }
    }
}
