//! The nodes of the identifier graph and the rows that carry them.
//!
//! Nodes are PMRs and LA keys. An LA key is (LA, LA child ID), or (LA, PMR) where the LA
//! child ID is empty (Jay et al.'s substitution). Every row has a key (ingest quarantines
//! rows with neither identifier); a row that also carries a PMR makes an edge between its
//! PMR and its key. Everything here is built in a few linear passes over the rows, so
//! linkage stays linear in the size of the extract.

use cumin_census::{Episodes, IdRef};
use rayon::prelude::*;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::Relaxed;

/// A row without any identifier (tests may build such tables; ingest never does).
pub const NO_KEY: u32 = u32::MAX;

/// While building: a row whose key is numbered later (its identifier is seen in a smaller LA).
const OTHER_LA: u32 = u32::MAX - 1;

/// While building: no LA, or no PMR, seen yet.
const UNSEEN: u32 = u32::MAX;

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
    /// Every LA key: first each identifier's key in the smallest LA it is seen in, by
    /// identifier; then the keys of identifiers also seen in other LAs (see [`IdTable::build`]).
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
    /// Indexes the identifiers of `episodes`, on every core.
    ///
    /// Keys are numbered by their identifier, not by the order rows come in: most
    /// identifiers live in one LA, so each identifier's key in the smallest LA it is seen
    /// in takes the identifier's own number (LA child IDs first, then PMRs standing in
    /// for them, skipping identifiers no key uses), and the few keys of an identifier in
    /// other LAs follow, in (LA, identifier) order. Only interning follows row order.
    pub fn build(episodes: &Episodes) -> IdTable {
        let n = episodes.len();
        let n_la_ids = episodes.la_child_ids.len();
        let slots = n_la_ids + episodes.pmrs.len();
        // The identifier slot of each row's key: an LA child ID, or a PMR standing in.
        let slot_of = |i: usize| match (episodes.la_child_id[i], episodes.pmr[i]) {
            (Some(l), _) => Some(l.index()),
            (None, Some(p)) => Some(n_la_ids + p.index()),
            (None, None) => None,
        };
        let la_of = |i: usize| u32::from(episodes.la[i].unwrap_or(0));
        let min_la: Vec<AtomicU32> = (0..slots).map(|_| AtomicU32::new(UNSEEN)).collect();
        (0..n).into_par_iter().for_each(|i| {
            if let Some(s) = slot_of(i) {
                min_la[s].fetch_min(la_of(i), Relaxed);
            }
        });
        let min_la: Vec<u32> = min_la.into_iter().map(AtomicU32::into_inner).collect();
        let id_of_slot = |s: usize| {
            if s < n_la_ids {
                KeyId::LaChildId(IdRef::from_index(s))
            } else {
                KeyId::Pmr(IdRef::from_index(s - n_la_ids))
            }
        };
        let mut key_of_slot = vec![NO_KEY; slots];
        let mut keys: Vec<LaKey> = Vec::new();
        for (s, &la) in min_la.iter().enumerate() {
            if la != UNSEEN {
                key_of_slot[s] = keys.len() as u32;
                keys.push(LaKey {
                    la: la as u16,
                    id: id_of_slot(s),
                });
            }
        }
        let mut key_of_row: Vec<u32> = (0..n)
            .into_par_iter()
            .map(|i| match slot_of(i) {
                Some(s) if min_la[s] == la_of(i) => key_of_slot[s],
                Some(_) => OTHER_LA,
                None => NO_KEY,
            })
            .collect();
        // Keys of identifiers also seen in a larger LA: numbered after, in packed order.
        let mut others: Vec<(u64, u32)> = (0..n as u32)
            .into_par_iter()
            .filter(|&i| key_of_row[i as usize] == OTHER_LA)
            .map(|i| {
                let i = i as usize;
                let la = la_of(i) as u16;
                let id = id_of_slot(slot_of(i).expect("rows in another LA have a key"));
                (pack(la, id), i as u32)
            })
            .collect();
        others.par_sort_unstable();
        for run in others.chunk_by(|a, b| a.0 == b.0) {
            let i = run[0].1 as usize;
            let k = keys.len() as u32;
            keys.push(LaKey {
                la: la_of(i) as u16,
                id: id_of_slot(slot_of(i).expect("rows in another LA have a key")),
            });
            for &(_, i) in run {
                key_of_row[i as usize] = k;
            }
        }
        drop(others);
        // Edges: each key keeps the first PMR any core sees on it; the others seen are
        // listed, so the set of a key's PMRs does not depend on the threads.
        let first_pmr: Vec<AtomicU32> = (0..keys.len()).map(|_| AtomicU32::new(UNSEEN)).collect();
        let mut extra: Vec<(u32, IdRef)> = (0..n)
            .into_par_iter()
            .filter_map(|i| {
                let (k, p) = (key_of_row[i], episodes.pmr[i]?);
                if k == NO_KEY {
                    return None;
                }
                let q = p.index() as u32;
                match first_pmr[k as usize].compare_exchange(UNSEEN, q, Relaxed, Relaxed) {
                    Ok(_) => None,
                    Err(seen) => (seen != q).then_some((k, p)),
                }
            })
            .collect();
        let first_pmr: Vec<Option<IdRef>> = first_pmr
            .into_iter()
            .map(|p| {
                let p = p.into_inner();
                (p != UNSEEN).then(|| IdRef::from_index(p as usize))
            })
            .collect();
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
        // A@202 takes A's number; P1@203 (a PMR standing in) P1's; A@203, an identifier
        // seen in a smaller LA too, comes after.
        assert_eq!(t.n_keys(), 3, "A@202, P1@203, A@203");
        let a = KeyId::LaChildId(e.la_child_ids.lookup("A").unwrap());
        let p1 = e.pmrs.lookup("P1").unwrap();
        assert_eq!(t.keys[0], LaKey { la: 202, id: a });
        assert_eq!(
            t.keys[1],
            LaKey {
                la: 203,
                id: KeyId::Pmr(p1)
            }
        );
        assert_eq!(t.keys[2], LaKey { la: 203, id: a });
        assert_eq!(t.key_of_row, [0, 0, 0, 2, 1, NO_KEY]);
        let names =
            |k: u32| -> Vec<&str> { t.pmrs_of_key(k).iter().map(|p| e.pmrs.get(*p)).collect() };
        assert_eq!(names(0), ["P1", "P2"], "sorted by text, not by first sight");
        assert_eq!(names(1), ["P1"]);
        assert!(names(2).is_empty());
        let (start, keys) = t.keys_by_pmr();
        let p1 = p1.index();
        assert_eq!(&keys[start[p1] as usize..start[p1 + 1] as usize], [0, 1]);
        assert_eq!(t.key(5), None);
    }
}
