//! The nodes of the identifier graph and the rows that carry them.
//!
//! Nodes are PMRs and LA keys. An LA key is (LA, LA child ID), or (LA, PMR) where the LA
//! child ID is empty (Jay et al.'s substitution). Every row has a key (ingest quarantines
//! rows with neither identifier); a row that also carries a PMR makes an edge between its
//! PMR and its key. Everything here is built in a few linear passes over the rows, so
//! linkage stays linear in the size of the extract.

use cumin_census::{Episodes, IdRef};
use rustc_hash::FxHashMap;

/// A row without any identifier (tests may build such tables; ingest never does).
pub const NO_KEY: u32 = u32::MAX;

/// The identifier of an LA key: an LA child ID, or a PMR standing in for a missing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyId {
    /// An LA child ID.
    LaChildId(IdRef),
    /// A PMR standing in for a missing LA child ID.
    Pmr(IdRef),
}

/// An LA key: a child as one LA knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LaKey {
    /// The LA (0 where the row has none).
    pub la: u16,
    /// The child's identifier within that LA.
    pub id: KeyId,
}

/// The identifiers of an extract, indexed for linkage.
#[derive(Clone, Debug)]
pub struct IdTable {
    /// Number of distinct PMRs (PMR node `p` is `IdRef` index `p`).
    pub n_pmrs: usize,
    /// Every LA key, in order of first appearance.
    pub keys: Vec<LaKey>,
    /// The key of each row ([`NO_KEY`] if none).
    pub key_of_row: Vec<u32>,
    /// Edges: for each key, the distinct PMRs seen on its rows, as a slice of `edge_pmrs`
    /// from `edge_start[k]` to `edge_start[k + 1]`, smallest PMR text first.
    pub edge_start: Vec<u32>,
    /// See `edge_start`.
    pub edge_pmrs: Vec<IdRef>,
}

impl IdTable {
    /// Indexes the identifiers of `episodes`.
    pub fn build(episodes: &Episodes) -> IdTable {
        let n = episodes.len();
        // Most identifiers live in one LA: each interned identifier remembers its first
        // (LA, key) directly, and only keys of an identifier seen in a second LA go
        // through the hash map. Keys are numbered in order of first sight either way.
        let mut first_key_of_la_id: Vec<(u16, u32)> =
            vec![(0, NO_KEY); episodes.la_child_ids.len()];
        let mut first_key_of_pmr: Vec<(u16, u32)> = vec![(0, NO_KEY); episodes.pmrs.len()];
        // One small map per LA: where rows come grouped by LA (as each LA returns its
        // census), the map in use stays in cache; one map of every LA's keys missed it on
        // most rows. The keys do not depend on the order either way.
        let mut other_las: Vec<FxHashMap<u64, u32>> = Vec::new();
        let mut keys: Vec<LaKey> = Vec::new();
        let mut key_of_row: Vec<u32> = Vec::with_capacity(n);
        let mut first_pmr: Vec<Option<IdRef>> = Vec::new();
        let mut extra: Vec<(u32, IdRef)> = Vec::new();
        for i in 0..n {
            let la = episodes.la[i].unwrap_or(0);
            let pmr = episodes.pmr[i];
            let (id, slot) = match (episodes.la_child_id[i], pmr) {
                (Some(l), _) => (KeyId::LaChildId(l), &mut first_key_of_la_id[l.index()]),
                (None, Some(p)) => (KeyId::Pmr(p), &mut first_key_of_pmr[p.index()]),
                (None, None) => {
                    key_of_row.push(NO_KEY);
                    continue;
                }
            };
            let mut new_key = || {
                keys.push(LaKey { la, id });
                first_pmr.push(None);
                (keys.len() - 1) as u32
            };
            let k = if slot.1 == NO_KEY {
                *slot = (la, new_key());
                slot.1
            } else if slot.0 == la {
                slot.1
            } else {
                if other_las.len() <= usize::from(la) {
                    other_las.resize_with(usize::from(la) + 1, FxHashMap::default);
                }
                *other_las[usize::from(la)]
                    .entry(pack(la, id))
                    .or_insert_with(new_key)
            };
            key_of_row.push(k);
            if let Some(p) = pmr {
                match first_pmr[k as usize] {
                    None => first_pmr[k as usize] = Some(p),
                    Some(q) if q != p => extra.push((k, p)),
                    Some(_) => {}
                }
            }
        }
        extra.sort_unstable();
        extra.dedup();
        let mut edge_start = Vec::with_capacity(keys.len() + 1);
        let mut edge_pmrs = Vec::with_capacity(keys.len());
        let mut e = 0;
        for (k, first) in first_pmr.iter().enumerate() {
            edge_start.push(edge_pmrs.len() as u32);
            let from = edge_pmrs.len();
            edge_pmrs.extend(*first);
            while e < extra.len() && extra[e].0 as usize == k {
                edge_pmrs.push(extra[e].1);
                e += 1;
            }
            edge_pmrs[from..]
                .sort_by(|a, b| episodes.pmrs.get_bytes(*a).cmp(episodes.pmrs.get_bytes(*b)));
        }
        edge_start.push(edge_pmrs.len() as u32);
        IdTable {
            n_pmrs: episodes.pmrs.len(),
            keys,
            key_of_row,
            edge_start,
            edge_pmrs,
        }
    }

    /// Number of LA keys.
    pub fn n_keys(&self) -> usize {
        self.keys.len()
    }

    /// The distinct PMRs seen on key `k`'s rows, smallest text first.
    pub fn pmrs_of_key(&self, k: u32) -> &[IdRef] {
        let k = k as usize;
        &self.edge_pmrs[self.edge_start[k] as usize..self.edge_start[k + 1] as usize]
    }

    /// The key of row `i`.
    pub fn key(&self, i: usize) -> Option<u32> {
        let k = self.key_of_row[i];
        (k != NO_KEY).then_some(k)
    }

    /// For each PMR, the keys it appears on (compressed: `(start, keys)` with PMR `p`'s
    /// keys at `keys[start[p]..start[p + 1]]`).
    pub fn keys_by_pmr(&self) -> (Vec<u32>, Vec<u32>) {
        let mut start = vec![0u32; self.n_pmrs + 1];
        for p in &self.edge_pmrs {
            start[p.index() + 1] += 1;
        }
        for i in 0..self.n_pmrs {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut keys = vec![0u32; self.edge_pmrs.len()];
        for k in 0..self.n_keys() {
            for p in self.pmrs_of_key(k as u32) {
                let slot = &mut fill[p.index()];
                keys[*slot as usize] = k as u32;
                *slot += 1;
            }
        }
        (start, keys)
    }

    /// Rows grouped by key (compressed: key `k`'s rows at `rows[start[k]..start[k + 1]]`,
    /// in row order).
    pub fn rows_by_key(&self) -> (Vec<u32>, Vec<u32>) {
        let mut start = vec![0u32; self.n_keys() + 1];
        for &k in &self.key_of_row {
            if k != NO_KEY {
                start[k as usize + 1] += 1;
            }
        }
        for i in 0..self.n_keys() {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut rows = vec![0u32; start[self.n_keys()] as usize];
        for (i, &k) in self.key_of_row.iter().enumerate() {
            if k != NO_KEY {
                let slot = &mut fill[k as usize];
                rows[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
        (start, rows)
    }
}

/// A key as one integer: LA, kind and interned index never overlap.
fn pack(la: u16, id: KeyId) -> u64 {
    let (kind, r) = match id {
        KeyId::LaChildId(r) => (0u64, r),
        KeyId::Pmr(r) => (1u64, r),
    };
    (u64::from(la) << 33) | (kind << 32) | r.index() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_census::{CensusYear, EpisodeRow};

    #[test]
    fn keys_edges_and_groupings() {
        let mut e = Episodes::new();
        for (la_id, pmr, la) in [
            (Some("A"), None, 202),
            (Some("A"), Some("P2"), 202),
            (Some("A"), Some("P1"), 202),
            (Some("A"), None, 203),
            (None, Some("P1"), 203),
            (None, None, 204),
        ] {
            let mut r = EpisodeRow::empty(0, e.len() as u32 + 1, CensusYear(2015));
            r.la_child_id = la_id.map(str::to_owned);
            r.pmr = pmr.map(str::to_owned);
            r.la = Some(la);
            e.push(r);
        }
        let t = IdTable::build(&e);
        assert_eq!(t.n_keys(), 3, "A@202, A@203, P1@203");
        assert_eq!(t.key_of_row, [0, 0, 0, 1, 2, NO_KEY]);
        let names =
            |k: u32| -> Vec<&str> { t.pmrs_of_key(k).iter().map(|p| e.pmrs.get(*p)).collect() };
        assert_eq!(names(0), ["P1", "P2"], "sorted by text, not by first sight");
        assert!(names(1).is_empty());
        assert_eq!(names(2), ["P1"]);
        let (start, keys) = t.keys_by_pmr();
        let p1 = e.pmrs.lookup("P1").unwrap().index();
        assert_eq!(&keys[start[p1] as usize..start[p1 + 1] as usize], [0, 2]);
        let (start, rows) = t.rows_by_key();
        assert_eq!(&rows[start[0] as usize..start[1] as usize], [0, 1, 2]);
        assert_eq!(t.key(5), None);
    }
}
