//! A total order on rows by their content, for tie-breaks that must not depend on where a
//! row sat in the input (its file, its line) — so shuffling the rows, or splitting them
//! over several files, cannot change which value wins.

use crate::identity::Linkage;
use cumin_census::Episodes;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::Relaxed;

/// Compares rows `a` and `b` on every field but their position. Rows it calls equal hold
/// the same values, so whichever comes first makes no difference.
pub fn compare_rows(e: &Episodes, a: usize, b: usize) -> Ordering {
    e.census_year[a]
        .cmp(&e.census_year[b])
        .then_with(|| e.referral[a].cmp(&e.referral[b]))
        .then_with(|| e.referral_imputed[a].cmp(&e.referral_imputed[b]))
        .then_with(|| e.la[a].cmp(&e.la[b]))
        .then_with(|| e.la_child_id_bytes(a).cmp(&e.la_child_id_bytes(b)))
        .then_with(|| e.pmr_bytes(a).cmp(&e.pmr_bytes(b)))
        .then_with(|| e.closure[a].cmp(&e.closure[b]))
        .then_with(|| e.nfa[a].cmp(&e.nfa[b]))
        .then_with(|| e.reason_for_closure[a].cmp(&e.reason_for_closure[b]))
        .then_with(|| e.primary_need[a].cmp(&e.primary_need[b]))
        .then_with(|| e.assessment_start[a].cmp(&e.assessment_start[b]))
        .then_with(|| e.s47_start[a].cmp(&e.s47_start[b]))
        .then_with(|| e.initial_cpc[a].cmp(&e.initial_cpc[b]))
        .then_with(|| e.cpp_start[a].cmp(&e.cpp_start[b]))
        .then_with(|| e.cpp_end[a].cmp(&e.cpp_end[b]))
        .then_with(|| e.idaci_decile[a].cmp(&e.idaci_decile[b]))
        .then_with(|| e.sex[a].cmp(&e.sex[b]))
        .then_with(|| e.ethnicity[a].cmp(&e.ethnicity[b]))
        .then_with(|| e.birth_year[a].cmp(&e.birth_year[b]))
        .then_with(|| e.birth_month[a].cmp(&e.birth_month[b]))
        .then_with(|| e.expected_dob[a].cmp(&e.expected_dob[b]))
}

/// Sorts `rows` by `key`, then rows with equal keys by content ([`compare_rows`]), then
/// rows of equal content by index, so the result does not depend on how `rows` came in.
/// Keys are computed once, beside the rows, so the sort reads no column at random; runs of
/// equal keys are short, so the content comparison costs little.
pub fn sort_rows_by_key<K: Ord + Copy>(e: &Episodes, rows: &mut [u32], key: impl Fn(u32) -> K) {
    sort_rows_by_key_in(e, rows, &key, &mut Vec::new());
}

/// [`sort_rows_by_key`] with a buffer for the keys that the caller keeps between calls.
fn sort_rows_by_key_in<K: Ord + Copy>(
    e: &Episodes,
    rows: &mut [u32],
    key: &impl Fn(u32) -> K,
    keyed: &mut Vec<(K, u32)>,
) {
    keyed.clear();
    keyed.extend(rows.iter().map(|&i| (key(i), i)));
    keyed.sort_unstable_by_key(|a| a.0);
    for run in keyed.chunk_by_mut(|a, b| a.0 == b.0) {
        if run.len() > 1 {
            run.sort_unstable_by(|a, b| {
                compare_rows(e, a.1 as usize, b.1 as usize).then(a.1.cmp(&b.1))
            });
        }
    }
    for (slot, (_, i)) in rows.iter_mut().zip(keyed.iter()) {
        *slot = *i;
    }
}

/// Children whose rows one core sorts in one go in [`rows_grouped_by_child`].
const SORT_BLOCK: usize = 1024;

/// The linked rows grouped by child, in one flat list: child `c`'s rows are
/// `order[start[c]..start[c + 1]]` (a counting sort: children are numbered densely), each
/// child's rows sorted by `key` then by content (rows of identical content, which give the
/// same values whichever comes first, by index), so the same rows in any order or files
/// give the same values in the same order. Rows are counted into place and children
/// sorted on every core; the result does not depend on the threads. Returns
/// `(order, start)`.
pub fn rows_grouped_by_child<K: Ord + Copy>(
    e: &Episodes,
    linkage: &Linkage,
    key: impl Fn(u32) -> K + Sync,
) -> (Vec<u32>, Vec<u32>) {
    let n = linkage.n_children;
    // A counting sort on every core: counts and slots are claimed with atomic adds, so
    // rows land within their child in no fixed order; the sort below fixes it.
    let count: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
    linkage.child_of_row.par_iter().for_each(|c| {
        if let Some(c) = c.get() {
            count[c.index()].fetch_add(1, Relaxed);
        }
    });
    let mut start = vec![0u32; n + 1];
    for c in 0..n {
        start[c + 1] = start[c] + count[c].load(Relaxed);
    }
    let fill: Vec<AtomicU32> = start[..n].iter().map(|&s| AtomicU32::new(s)).collect();
    drop(count);
    let order: Vec<AtomicU32> = (0..start[n]).map(|_| AtomicU32::new(0)).collect();
    linkage
        .child_of_row
        .par_iter()
        .enumerate()
        .for_each(|(i, c)| {
            if let Some(c) = c.get() {
                let slot = fill[c.index()].fetch_add(1, Relaxed);
                order[slot as usize].store(i as u32, Relaxed);
            }
        });
    drop(fill);
    // Read out where they lie (a serial map between types of one size and alignment
    // reuses the allocation): no second table of four bytes a row.
    let mut order: Vec<u32> = order.into_iter().map(AtomicU32::into_inner).collect();
    // Each child's rows sorted by `key` then by content, blocks of children on every core
    // (a slice a block, not a slice a child: 16 bytes a child were held beside the rows).
    let mut blocks: Vec<(usize, &mut [u32])> = Vec::with_capacity(n.div_ceil(SORT_BLOCK));
    let mut rest = order.as_mut_slice();
    for b in (0..n).step_by(SORT_BLOCK) {
        let end = (b + SORT_BLOCK).min(n);
        let (head, tail) = rest.split_at_mut((start[end] - start[b]) as usize);
        blocks.push((b, head));
        rest = tail;
    }
    blocks
        .into_par_iter()
        .for_each_init(Vec::new, |keyed, (b, mut rows)| {
            for c in b..(b + SORT_BLOCK).min(n) {
                let (head, tail) = rows.split_at_mut((start[c + 1] - start[c]) as usize);
                if head.len() > 1 {
                    sort_rows_by_key_in(e, head, &key, keyed);
                }
                rows = tail;
            }
        });
    (order, start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_census::{CensusYear, EpisodeRow};

    #[test]
    fn ties_are_broken_by_content_not_position() {
        let mut e = Episodes::new();
        for (row, reason) in [(1, Some(4)), (2, Some(2)), (3, None), (4, Some(2))] {
            let mut r = EpisodeRow::empty(u16::from(row == 4), row, CensusYear(2015));
            r.la_child_id = Some("A".into());
            r.reason_for_closure = reason;
            e.push(r);
        }
        let mut rows = vec![0, 1, 2, 3];
        sort_rows_by_key(&e, &mut rows, |_| 0);
        assert_eq!(rows[0], 2, "missing sorts first");
        assert_eq!(rows[3], 0);
        assert_eq!(
            compare_rows(&e, 1, 3),
            Ordering::Equal,
            "same content, other file"
        );
    }
}
