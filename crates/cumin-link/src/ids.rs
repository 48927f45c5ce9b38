//! The nodes of the identifier graph and the rows that carry them.
//!
//! Nodes are PMRs and LA keys. An LA key is (LA, LA child ID), or (LA, PMR) where the LA
//! child ID is empty (Jay et al.'s substitution). Every row has a key (ingest quarantines
//! rows with neither identifier); a row that also carries a PMR makes an edge between its
//! PMR and its key. Everything here is built in a few linear passes over the rows, so
//! linkage stays linear in the size of the extract.

use crate::canonical::Labels;
use cumin_census::{Episodes, IdRef};
use rayon::prelude::*;
use std::sync::Mutex;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU32, AtomicU64};

/// A row without any identifier (tests may build such tables; ingest never does).
pub const NO_KEY: u32 = u32::MAX;

/// While building: no PMR seen yet on a key.
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
    /// Every LA key, in label order (see [`IdTable::build`]): by LA, then LA child IDs
    /// by text, then PMRs standing in for a missing LA child ID by text.
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
    /// Indexes the identifiers of `episodes`, on every core, and ranks their texts.
    ///
    /// Keys are numbered in label order: by LA, then LA child IDs by text, then PMRs
    /// standing in for a missing one by text. So the numbers depend on the identifiers
    /// alone, not on the order rows come in, and children (numbered by their smallest
    /// key) follow the same order. An extract that lists each year's rows by LA and
    /// identifier, as the simulator's do, then meets keys and children in order, which
    /// keeps the later passes' reads of per-key and per-child tables close together.
    ///
    /// Rows are grouped by LA (a counting sort), and each LA's distinct identifiers are
    /// found and sorted by rank on its own, every LA on some core. Only interning follows
    /// row order.
    pub fn build(episodes: &Episodes) -> (IdTable, Labels) {
        let (labels, keys, key_of_row) = number_keys(episodes);
        let (edge_start, edge_pmrs) = pmr_edges(episodes, keys.len(), &key_of_row);
        let table = IdTable {
            n_pmrs: episodes.pmrs.len(),
            keys,
            key_of_row,
            edge_start,
            edge_pmrs,
        };
        (table, labels)
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

/// The identifiers' text ranks, every LA key (numbered in label order: see
/// [`IdTable::build`]) and the key of every row.
fn number_keys(episodes: &Episodes) -> (Labels, Vec<LaKey>, Vec<u32>) {
    let n = episodes.len();
    let n_la_ids = episodes.la_child_ids.len();
    let slots = n_la_ids + episodes.pmrs.len();
    // The identifier slot of each row's key: an LA child ID, or a PMR standing in.
    let slot_of = |i: usize| match (episodes.la_child_id[i], episodes.pmr[i]) {
        (Some(l), _) => Some(l.index()),
        (None, Some(p)) => Some(n_la_ids + p.index()),
        (None, None) => None,
    };
    let id_of_slot = |s: usize| {
        if s < n_la_ids {
            KeyId::LaChildId(IdRef::from_index(s))
        } else {
            KeyId::Pmr(IdRef::from_index(s - n_la_ids))
        }
    };
    // One after the other (each on every core), not side by side: the ranks' sort keys
    // (24 bytes an identifier) are freed before the rows are grouped (8 bytes a row).
    let labels = Labels::new(episodes);
    let by_la = RowsByLa::new(episodes, |i| slot_of(i).map(|s| s as u32));
    // Where a slot sorts among its LA's keys: LA child IDs by text, then PMRs.
    let order_of_slot = |s: usize| match id_of_slot(s) {
        KeyId::LaChildId(r) => u64::from(labels.la_id_rank(r)),
        KeyId::Pmr(r) => 1 << 32 | u64::from(labels.pmr_rank(r)),
    };
    // Per LA, on every core: its keys' slots in label order, and each row's place
    // among them. A thread's scratch table holds, per slot, the last LA (index) that
    // saw it and the slot's place there, so it never needs clearing.
    let scratch: Vec<Mutex<Vec<(u32, u32)>>> = (0..rayon::current_num_threads())
        .map(|_| Mutex::new(Vec::new()))
        .collect();
    let mut place: Vec<AtomicU32> = (0..n)
        .into_par_iter()
        .map(|_| AtomicU32::new(NO_KEY))
        .collect();
    let slots_by_la: Vec<Vec<u32>> = (0..by_la.las.len())
        .into_par_iter()
        .map(|j| {
            let thread = rayon::current_thread_index().unwrap_or(0);
            let mut seen = scratch[thread].lock().expect("one user per thread");
            if seen.is_empty() {
                seen.resize(slots, (u32::MAX, 0));
            }
            let tag = j as u32;
            let rows = by_la.rows(j);
            let mut distinct = Vec::new();
            for (_, s) in rows.clone() {
                let seen = &mut seen[s as usize];
                if seen.0 != tag {
                    seen.0 = tag;
                    distinct.push(s);
                }
            }
            // Slots are distinct, so the unstable sort is deterministic.
            distinct.sort_unstable_by_key(|&s| order_of_slot(s as usize));
            for (p, &s) in distinct.iter().enumerate() {
                seen[s as usize].1 = p as u32;
            }
            for (i, s) in rows {
                place[i as usize].store(seen[s as usize].1, Relaxed);
            }
            distinct
        })
        .collect();
    drop(scratch);
    let mut first_key = Vec::with_capacity(slots_by_la.len());
    let mut keys: Vec<LaKey> = Vec::with_capacity(slots_by_la.iter().map(Vec::len).sum());
    for (j, distinct) in slots_by_la.iter().enumerate() {
        first_key.push(keys.len() as u32);
        keys.extend(distinct.iter().map(|&s| LaKey {
            la: by_la.las[j],
            id: id_of_slot(s as usize),
        }));
    }
    drop(slots_by_la);
    // Each row's place among its LA's keys becomes its key where it lies, and the
    // atomics are read out in place (a serial map between types of one size and
    // alignment reuses the allocation): no second table of four bytes a row.
    place.par_iter_mut().enumerate().for_each(|(i, p)| {
        let p = p.get_mut();
        if *p != NO_KEY {
            *p += first_key[by_la.index_of(episodes.la[i].unwrap_or(0))];
        }
    });
    let key_of_row: Vec<u32> = place.into_iter().map(AtomicU32::into_inner).collect();
    (labels, keys, key_of_row)
}

/// Each key's distinct PMRs, smallest text first, as `(start, pmrs)`: key `k`'s are
/// `pmrs[start[k]..start[k + 1]]`.
fn pmr_edges(episodes: &Episodes, n_keys: usize, key_of_row: &[u32]) -> (Vec<u32>, Vec<IdRef>) {
    let n = episodes.len();
    // Edges: each key keeps the first PMR any core sees on it; the others seen are
    // listed, so the set of a key's PMRs does not depend on the threads.
    let first_pmr: Vec<AtomicU32> = (0..n_keys).map(|_| AtomicU32::new(UNSEEN)).collect();
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
    let mut edge_start = Vec::with_capacity(n_keys + 1);
    let mut edge_pmrs = Vec::with_capacity(n_keys);
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
    (edge_start, edge_pmrs)
}

/// The rows that have a key, with their key's identifier slot, grouped by LA: a counting
/// sort on every core, stable (rows keep their order within an LA). Holding the slot
/// beside the row lets each LA's pass read its rows in sequence, whatever their order in
/// the extract.
struct RowsByLa {
    /// The LAs with rows, ascending (0: no LA).
    las: Vec<u16>,
    /// LA `las[j]`'s rows are `rows[start[j]..start[j + 1]]`, each its slot and row
    /// packed as `slot << 32 | row`.
    start: Vec<u32>,
    rows: Vec<u64>,
    /// Index into `las` of each LA value.
    index: Vec<u32>,
}

impl RowsByLa {
    fn new(episodes: &Episodes, slot: impl Fn(usize) -> Option<u32> + Sync) -> RowsByLa {
        const LAS: usize = 1 << 16;
        let n = episodes.len();
        let la_of = |i: usize| usize::from(episodes.la[i].unwrap_or(0));
        // A few chunks per thread, each counting its rows per LA.
        let chunk = n.div_ceil(4 * rayon::current_num_threads()).max(1);
        let counts: Vec<Vec<u32>> = (0..n)
            .into_par_iter()
            .step_by(chunk)
            .map(|from| {
                let mut c = vec![0u32; LAS];
                for i in from..(from + chunk).min(n) {
                    if slot(i).is_some() {
                        c[la_of(i)] += 1;
                    }
                }
                c
            })
            .collect();
        let mut index = vec![u32::MAX; LAS];
        let (mut las, mut start) = (Vec::new(), vec![0u32]);
        // Each chunk's first slot in each LA, chunk after chunk within the LA.
        let mut fill: Vec<Vec<u32>> = vec![vec![0; LAS]; counts.len()];
        let mut next = 0u32;
        for la in 0..LAS {
            let total: u32 = counts.iter().map(|c| c[la]).sum();
            if total == 0 {
                continue;
            }
            index[la] = las.len() as u32;
            las.push(la as u16);
            for (f, c) in fill.iter_mut().zip(&counts) {
                f[la] = next;
                next += c[la];
            }
            start.push(next);
        }
        drop(counts);
        let rows: Vec<AtomicU64> = (0..next)
            .into_par_iter()
            .map(|_| AtomicU64::new(0))
            .collect();
        fill.into_par_iter().enumerate().for_each(|(c, mut f)| {
            let from = c * chunk;
            for i in from..(from + chunk).min(n) {
                if let Some(s) = slot(i) {
                    let place = &mut f[la_of(i)];
                    rows[*place as usize].store(u64::from(s) << 32 | i as u64, Relaxed);
                    *place += 1;
                }
            }
        });
        RowsByLa {
            las,
            start,
            // Read out where they lie (a serial map between types of one size and
            // alignment reuses the allocation): no second table of eight bytes a row.
            rows: rows.into_iter().map(AtomicU64::into_inner).collect(),
            index,
        }
    }

    /// The rows of LA `las[j]` with their slots, `(row, slot)`, in row order.
    fn rows(&self, j: usize) -> impl Iterator<Item = (u32, u32)> + Clone + '_ {
        self.rows[self.start[j] as usize..self.start[j + 1] as usize]
            .iter()
            .map(|&r| (r as u32, (r >> 32) as u32))
    }

    /// The index into `las` of LA `la` (which has rows).
    fn index_of(&self, la: u16) -> usize {
        self.index[usize::from(la)] as usize
    }
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
        let (t, _) = IdTable::build(&e);
        // By LA, then LA child IDs before PMRs standing in for them, whatever the rows'
        // order: A@202; A@203, then P1@203 (a PMR standing in); the row of 204 has no key.
        assert_eq!(t.n_keys(), 3, "A@202, A@203, P1@203");
        let a = KeyId::LaChildId(e.la_child_ids.lookup("A").unwrap());
        let p1 = e.pmrs.lookup("P1").unwrap();
        assert_eq!(t.keys[0], LaKey { la: 202, id: a });
        assert_eq!(t.keys[1], LaKey { la: 203, id: a });
        assert_eq!(
            t.keys[2],
            LaKey {
                la: 203,
                id: KeyId::Pmr(p1)
            }
        );
        assert_eq!(t.key_of_row, [0, 0, 0, 1, 2, NO_KEY]);
        let names =
            |k: u32| -> Vec<&str> { t.pmrs_of_key(k).iter().map(|p| e.pmrs.get(*p)).collect() };
        assert_eq!(names(0), ["P1", "P2"], "sorted by text, not by first sight");
        assert!(names(1).is_empty());
        assert_eq!(names(2), ["P1"]);
        let (start, keys) = t.keys_by_pmr();
        let p1 = p1.index();
        assert_eq!(&keys[start[p1] as usize..start[p1 + 1] as usize], [0, 2]);
        assert_eq!(t.key(5), None);
    }
}
