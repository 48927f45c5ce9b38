//! Numbering children so the numbers depend on the identifiers alone.
//!
//! A child is numbered by the smallest identifier in its component: PMRs first (by text),
//! then LA keys by (LA, LA child ID text, then PMR text for keys that stand on a PMR).
//! Interned references follow row order, so they cannot be used; texts are ranked once
//! and labels become integers that sort in the same order as the texts.

use crate::ids::{IdTable, KeyId};
use cumin_census::{Episodes, Interner};

/// The rank of every interned string in text order.
pub fn text_ranks(pool: &Interner) -> Vec<u32> {
    let mut order: Vec<u32> = (0..pool.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        let get = |i: u32| pool.get(cumin_census::IdRef::from_index(i as usize));
        get(a).cmp(get(b))
    });
    let mut rank = vec![0u32; pool.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    rank
}

/// Integer labels of graph nodes (PMR nodes first, then LA keys) that sort as the
/// identifiers' texts do.
pub struct Labels {
    pmr_rank: Vec<u32>,
    la_id_rank: Vec<u32>,
}

impl Labels {
    /// Ranks the identifiers of `episodes`.
    pub fn new(episodes: &Episodes) -> Labels {
        Labels {
            pmr_rank: text_ranks(&episodes.pmrs),
            la_id_rank: text_ranks(&episodes.la_child_ids),
        }
    }

    /// The label of node `node` of a graph whose first `ids.n_pmrs` nodes are PMRs.
    pub fn of(&self, ids: &IdTable, node: u32) -> u64 {
        let node = node as usize;
        if node < ids.n_pmrs {
            return u64::from(self.pmr_rank[node]);
        }
        let key = ids.keys[node - ids.n_pmrs];
        let (kind, rank) = match key.id {
            KeyId::LaChildId(r) => (0, self.la_id_rank[r.index()]),
            KeyId::Pmr(r) => (1, self.pmr_rank[r.index()]),
        };
        (1 << 63) | (u64::from(key.la) << 33) | (kind << 32) | u64::from(rank)
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
}
