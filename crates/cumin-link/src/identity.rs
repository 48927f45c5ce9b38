//! Who is who: children as connected components of the identifier graph.
//!
//! Nodes are PMRs and LA keys ([`crate::ids`]); a row carrying both joins them. A child
//! is a connected component. Conflicting identifiers ([`crate::conflict`]) are counted and
//! handled by the [`ConflictPolicy`]; children are numbered by their smallest identifier
//! ([`crate::canonical`]), so numbering depends on neither row order nor file split.

use crate::canonical::Labels;
use crate::conflict::{IdConflicts, find_id_conflicts};
use crate::ids::IdTable;
use crate::mode::{ConflictPolicy, IdMode, LinkOptions};
pub use crate::packed::ChildId;
use crate::packed::{RowBits, RowChild};
use crate::unionfind::UnionFind;
use cumin_census::Episodes;
use rayon::prelude::*;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU32};

/// Counts describing a linkage, for `linkage.csv`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LinkStats {
    /// Rows considered.
    pub rows: u64,
    /// Rows tied to a child.
    pub rows_linked: u64,
    /// Rows this mode cannot tie to a child (e.g. no PMR under `pmr-only`).
    pub rows_unidentified: u64,
    /// Rows carrying a PMR themselves.
    pub rows_with_pmr: u64,
    /// Rows identified by PMR, their own or back-filled within (LA ID, LA).
    pub rows_pmr_identified: u64,
    /// Distinct PMRs.
    pub pmrs: u64,
    /// Distinct (LA child ID, LA) keys.
    pub la_keys: u64,
    /// Children (components).
    pub children: u64,
    /// Children with at least one PMR.
    pub children_with_pmr: u64,
    /// Children seen in more than one LA.
    pub children_in_several_las: u64,
    /// Components that joined more than one node (identifiers merged).
    pub components_merged: u64,
    /// (LA child ID, LA) keys carrying two or more different PMRs.
    pub conflict_la_key_several_pmrs: u64,
    /// PMRs joining LA keys whose birth dates are incompatible.
    pub conflict_pmr_birth_mismatch: u64,
    /// Components spanning more LAs than plausible (before the policy acts).
    pub conflict_many_las: u64,
    /// Rows held apart from a PMR they carry or share by the `split` policy.
    pub rows_conflict_split: u64,
    /// Rows left out by the `drop` policy.
    pub rows_conflict_dropped: u64,
    /// Children whose rows disagree on year of birth by more than one year.
    pub conflict_birth_year: u64,
}

/// The result of linking: a child for every row this mode can identify.
#[derive(Clone, Debug)]
pub struct Linkage {
    /// The mode used.
    pub mode: IdMode,
    /// The options used.
    pub options: LinkOptions,
    /// Child of each episode row (none: not identified, or dropped for a conflict); four
    /// bytes a row (read with [`Linkage::child_of`] or [`RowChild::get`]).
    pub child_of_row: Vec<RowChild>,
    /// Whether each row is identified by a PMR (own, or back-filled within its LA key).
    pub pmr_identified: Vec<bool>,
    /// Whether each row was left out by the `drop` policy (one bit a row: read only for
    /// the ledger's reason of unlinked rows).
    pub conflict_dropped: RowBits,
    /// The LA key of each row (index into the extract's distinct (LA, ID) keys;
    /// [`crate::ids::NO_KEY`] if none): what the split-identity correction counts in.
    pub key_of_row: Vec<u32>,
    /// Number of children.
    pub n_children: usize,
    /// Summary counts.
    pub stats: LinkStats,
}

impl Linkage {
    /// The child of row `row` (`None`: not identified, or dropped for a conflict).
    pub fn child_of(&self, row: usize) -> Option<ChildId> {
        self.child_of_row[row].get()
    }

    /// Ledger reason for a row without a child (`None` if the row has one).
    pub fn unlinked_reason(&self, row: usize) -> Option<&'static str> {
        if self.child_of_row[row].is_some() {
            None
        } else if self.conflict_dropped.get(row) {
            Some("linkage_conflict_dropped")
        } else {
            Some("unidentified_in_id_mode")
        }
    }
}

/// Marks a row with no node in the graph.
const NO_NODE: u32 = u32::MAX;

/// No LA seen yet (in `wide_components`).
const NONE: u32 = u32::MAX;

/// Which identifiers the policy keeps from joining (`split`) or leaves out (`drop`).
struct Withheld {
    key: Vec<bool>,
    pmr: Vec<bool>,
}

/// One pass over the rows: the union-find, each row's node, and which rows were dropped
/// or held apart.
struct Pass {
    uf: UnionFind,
    node_of_row: Vec<u32>,
    dropped: Vec<bool>,
    held_apart: Vec<bool>,
}

/// What linking needs from the identifiers alone, whatever the mode and policy: the
/// identifier table, the canonical ranks of the identifiers and the conflicts among them.
/// Built once ([`IdIndex::build`]), it links the same rows under several identifier
/// modes ([`link_with`]), as the sensitivity analysis and the Jay presets do.
pub struct IdIndex {
    ids: IdTable,
    labels: Labels,
    found: IdConflicts,
    birth_tolerance_months: u16,
}

impl IdIndex {
    /// The index of `episodes`' identifiers, conflicts of birth months judged with a
    /// tolerance of `birth_tolerance_months` (that of the [`LinkOptions`] it will serve).
    pub fn build(episodes: &Episodes, birth_tolerance_months: u16) -> IdIndex {
        // The identifier table numbers keys by the canonical ranks of the identifier
        // texts, which the numbering of children uses again.
        let (ids, labels) = IdTable::build(episodes);
        let found = find_id_conflicts(episodes, &ids, birth_tolerance_months);
        IdIndex {
            ids,
            labels,
            found,
            birth_tolerance_months,
        }
    }

    /// The birth-month tolerance its conflicts were judged with.
    pub fn birth_tolerance_months(&self) -> u16 {
        self.birth_tolerance_months
    }
}

/// Links the rows of `episodes` into children.
pub fn link(episodes: &Episodes, options: &LinkOptions) -> Linkage {
    let index = IdIndex::build(episodes, options.birth_tolerance_months);
    let mut linkage = link_rows(episodes, &index, *options);
    // The index is not needed again: its key of every row is moved, not copied.
    linkage.key_of_row = index.ids.key_of_row;
    linkage
}

/// Links the rows of `episodes` into children, with the identifier index `index` built
/// from the same rows: equals [`link`]`(episodes, options)`.
///
/// # Panics
/// If the index was built with another birth-month tolerance than `options`'.
pub fn link_with(episodes: &Episodes, index: &IdIndex, options: &LinkOptions) -> Linkage {
    let mut linkage = link_rows(episodes, index, *options);
    linkage.key_of_row.clone_from(&index.ids.key_of_row);
    linkage
}

/// [`link_with`] without the key of every row (left empty for the caller to fill).
fn link_rows(episodes: &Episodes, index: &IdIndex, options: LinkOptions) -> Linkage {
    assert_eq!(
        index.birth_tolerance_months, options.birth_tolerance_months,
        "the identifier index judges birth months with the options' tolerance"
    );
    let IdIndex {
        ids, labels, found, ..
    } = index;
    let acts = options.policy != ConflictPolicy::Merge && options.mode.joins_through_pmr();
    let mut withheld = Withheld {
        key: if acts && options.mode != IdMode::PmrOnly {
            found.key_several_pmrs.clone()
        } else {
            vec![false; ids.n_keys()]
        },
        pmr: if acts {
            found.pmr_birth_mismatch.clone()
        } else {
            vec![false; ids.n_pmrs]
        },
    };
    let mut pass = assign(episodes, ids, found, options, &withheld);
    let mut root = pass.uf.roots();
    let wide = wide_components(episodes, &pass, &root, options.max_las);
    let many_las = wide.iter().filter(|w| **w).count() as u64;
    if acts && many_las > 0 {
        let keys: Vec<u32> = (0..episodes.len())
            .into_par_iter()
            .filter_map(|i| {
                let node = pass.node_of_row[i];
                (node != NO_NODE && wide[root[node as usize] as usize])
                    .then(|| ids.key(i))
                    .flatten()
            })
            .collect();
        for k in keys {
            withheld.key[k as usize] = true;
        }
        for p in 0..ids.n_pmrs {
            if wide[root[p] as usize] {
                withheld.pmr[p] = true;
            }
        }
        pass = assign(episodes, ids, found, options, &withheld);
        root = pass.uf.roots();
    }
    // The rows' nodes and the nodes' roots are not read again: numbering turns them into
    // the rows' children and the nodes' children where they lie.
    let node_of_row = std::mem::take(&mut pass.node_of_row);
    let (child_of_row, n_children, merged) = number_children(labels, ids, node_of_row, root);
    let pmr_identified: Vec<bool> = (0..episodes.len())
        .into_par_iter()
        .map(|i| {
            episodes.pmr[i].is_some() || ids.key(i).is_some_and(|k| !ids.pmrs_of_key(k).is_empty())
        })
        .collect();
    let mut stats = LinkStats {
        pmrs: ids.n_pmrs as u64,
        la_keys: ids.n_keys() as u64,
        children: n_children as u64,
        components_merged: merged,
        conflict_la_key_several_pmrs: found.n_key_several_pmrs(),
        conflict_pmr_birth_mismatch: found.n_pmr_birth_mismatch(),
        conflict_many_las: many_las,
        rows_conflict_split: pass.held_apart.iter().filter(|b| **b).count() as u64,
        rows_conflict_dropped: pass.dropped.iter().filter(|b| **b).count() as u64,
        ..LinkStats::default()
    };
    count_rows_and_children(
        episodes,
        &child_of_row,
        &pmr_identified,
        n_children,
        &mut stats,
    );
    Linkage {
        mode: options.mode,
        options,
        child_of_row,
        pmr_identified,
        conflict_dropped: RowBits::from_bools(&pass.dropped),
        key_of_row: Vec::new(),
        n_children,
        stats,
    }
}

/// Builds the graph: which edges join, and the node of every row.
fn assign(
    episodes: &Episodes,
    ids: &IdTable,
    found: &IdConflicts,
    options: LinkOptions,
    withheld: &Withheld,
) -> Pass {
    let n = episodes.len();
    let n_pmrs = ids.n_pmrs;
    let key_node = |k: u32| (n_pmrs + k as usize) as u32;
    let mut uf = UnionFind::new(n_pmrs + ids.n_keys());
    // Each row's node, and whether it was dropped or held apart.
    let blank = || (vec![NO_NODE; n], vec![false; n], vec![false; n]);
    let drop = options.policy == ConflictPolicy::Drop;
    let (node_of_row, dropped, held_apart) = match options.mode {
        IdMode::Combined | IdMode::PmrSchoolAge => {
            // A key loses its PMR edges if it or any of its PMRs is withheld.
            let key_withheld: Vec<bool> = (0..ids.n_keys() as u32)
                .into_par_iter()
                .map(|k| {
                    withheld.key[k as usize]
                        || ids.pmrs_of_key(k).iter().any(|p| withheld.pmr[p.index()])
                })
                .collect();
            for k in 0..ids.n_keys() as u32 {
                if !key_withheld[k as usize] {
                    for p in ids.pmrs_of_key(k) {
                        uf.union(p.index() as u32, key_node(k));
                    }
                }
            }
            // On every core.
            let (node_of_row, (dropped, held_apart)) = (0..n)
                .into_par_iter()
                .map(|i| match ids.key(i) {
                    None => (NO_NODE, (false, false)),
                    Some(k) if key_withheld[k as usize] && drop => (NO_NODE, (true, false)),
                    Some(k) => (key_node(k), (false, key_withheld[k as usize])),
                })
                .unzip();
            (node_of_row, dropped, held_apart)
        }
        IdMode::LaOnly => {
            let (mut node_of_row, dropped, held_apart) = blank();
            for i in 0..n {
                if let Some(k) = ids.key(i) {
                    node_of_row[i] = key_node(k);
                }
            }
            (node_of_row, dropped, held_apart)
        }
        IdMode::PmrOnly => {
            let (mut node_of_row, mut dropped, mut held_apart) = blank();
            let merge = options.policy == ConflictPolicy::Merge;
            if merge {
                // Merging means believing a key that carries two PMRs: it joins them.
                for k in 0..ids.n_keys() as u32 {
                    if found.key_several_pmrs[k as usize] {
                        for p in ids.pmrs_of_key(k) {
                            uf.union(p.index() as u32, key_node(k));
                        }
                    }
                }
            }
            for i in 0..n {
                let Some(k) = ids.key(i) else { continue };
                let several = found.key_several_pmrs[k as usize];
                if drop && (several || withheld.key[k as usize]) {
                    dropped[i] = true;
                    continue;
                }
                let pmr = episodes.pmr[i].or_else(|| match ids.pmrs_of_key(k) {
                    [p] => Some(*p),
                    _ => None,
                });
                node_of_row[i] = match pmr {
                    Some(p) if withheld.pmr[p.index()] => {
                        if drop {
                            dropped[i] = true;
                            continue;
                        }
                        held_apart[i] = true;
                        key_node(k)
                    }
                    Some(p) => p.index() as u32,
                    // Several PMRs and none of its own: only merging can place the row.
                    None if several && merge => key_node(k),
                    None => NO_NODE,
                };
            }
            (node_of_row, dropped, held_apart)
        }
    };
    Pass {
        uf,
        node_of_row,
        dropped,
        held_apart,
    }
}

/// Per union-find root, whether its rows span more than `max_las` LAs (`root`: every
/// node's root).
fn wide_components(episodes: &Episodes, pass: &Pass, root: &[u32], max_las: u16) -> Vec<bool> {
    let nodes = pass.uf.len();
    // Most components sit in one LA: each root keeps the first LA any core sees for it,
    // and only rows in another LA are listed. Which LA is kept depends on the threads;
    // the set of (root, LA) pairs of roots with two or more LAs does not.
    let first_la: Vec<AtomicU32> = (0..nodes).map(|_| AtomicU32::new(NONE)).collect();
    let mut pairs: Vec<(u32, u16)> = (0..episodes.len())
        .into_par_iter()
        .filter_map(|i| {
            let node = pass.node_of_row[i];
            let la = episodes.la[i]?;
            if node == NO_NODE {
                return None;
            }
            let r = root[node as usize];
            match first_la[r as usize].compare_exchange(NONE, u32::from(la), Relaxed, Relaxed) {
                Ok(_) => None,
                Err(l) => (l != u32::from(la)).then_some((r, la)),
            }
        })
        .collect();
    let firsts: Vec<(u32, u16)> = pairs
        .iter()
        .map(|&(r, _)| (r, first_la[r as usize].load(Relaxed) as u16))
        .collect();
    pairs.extend(firsts);
    pairs.par_sort_unstable();
    pairs.dedup();
    let mut wide = vec![false; nodes];
    for run in pairs.chunk_by(|a, b| a.0 == b.0) {
        wide[run[0].0 as usize] = run.len() > usize::from(max_las);
    }
    wide
}

/// Numbers the components that hold rows by their smallest label (`node_of_row`: each
/// row's node; `root`: every node's root); returns each row's child, the number of
/// children, and how many of them joined more than one node. Both tables are consumed
/// and rewritten in place (the rows' children take the nodes' table), and each per-node
/// table is freed once read, so few of them are held at a time.
fn number_children(
    labels: &Labels,
    ids: &IdTable,
    node_of_row: Vec<u32>,
    mut root: Vec<u32>,
) -> (Vec<RowChild>, usize, u64) {
    let nodes = root.len();
    // Per root, on every core: whether any row sits in its component, whether it has
    // two nodes or more, and its smallest label.
    let used: Vec<AtomicBool> = (0..nodes)
        .into_par_iter()
        .map(|_| AtomicBool::new(false))
        .collect();
    node_of_row.par_iter().for_each(|&node| {
        if node != NO_NODE {
            let slot = &used[root[node as usize] as usize];
            if !slot.load(Relaxed) {
                slot.store(true, Relaxed);
            }
        }
    });
    let min_label: Vec<AtomicU32> = (0..nodes)
        .into_par_iter()
        .map(|_| AtomicU32::new(u32::MAX))
        .collect();
    let (seen, several): (Vec<AtomicBool>, Vec<AtomicBool>) = (0..nodes)
        .into_par_iter()
        .map(|_| (AtomicBool::new(false), AtomicBool::new(false)))
        .unzip();
    (0..nodes).into_par_iter().for_each(|node| {
        let r = root[node] as usize;
        if used[r].load(Relaxed) {
            min_label[r].fetch_min(labels.of((ids.n_pmrs, ids.n_keys()), node as u32), Relaxed);
            if seen[r].swap(true, Relaxed) {
                several[r].store(true, Relaxed);
            }
        }
    });
    drop(seen);
    // Children in label order with no sort: labels are `0..nodes`, each once, so each
    // component's root is placed at its smallest label.
    let by_label: Vec<AtomicU32> = (0..nodes)
        .into_par_iter()
        .map(|_| AtomicU32::new(u32::MAX))
        .collect();
    (0..nodes).into_par_iter().for_each(|node| {
        let r = root[node] as usize;
        let label = labels.of((ids.n_pmrs, ids.n_keys()), node as u32);
        if used[r].load(Relaxed) && min_label[r].load(Relaxed) == label {
            by_label[label as usize].store(r as u32, Relaxed);
        }
    });
    drop((used, min_label));
    let roots: Vec<u32> = by_label
        .into_par_iter()
        .map(AtomicU32::into_inner)
        .filter(|r| *r != u32::MAX)
        .collect();
    let merged = roots
        .par_iter()
        .filter(|r| several[**r as usize].load(Relaxed))
        .count() as u64;
    drop(several);
    let child_of_root: Vec<AtomicU32> = (0..nodes)
        .into_par_iter()
        .map(|_| AtomicU32::new(u32::MAX))
        .collect();
    roots.par_iter().enumerate().for_each(|(c, &r)| {
        child_of_root[r as usize].store(c as u32, Relaxed);
    });
    let n_children = roots.len();
    drop(roots);
    // Each node's child, in the roots' table.
    root.par_iter_mut()
        .for_each(|r| *r = child_of_root[*r as usize].load(Relaxed));
    drop(child_of_root);
    let child_of_node = root;
    // Each row's child, in the rows' nodes' table on every core, then packed (a serial
    // map between types of one size and alignment reuses the allocation).
    let mut child_of_row = node_of_row;
    child_of_row.par_iter_mut().for_each(|node| {
        if *node != NO_NODE {
            *node = child_of_node[*node as usize];
        }
    });
    let child_of_row = child_of_row
        .into_iter()
        .map(|c| RowChild::new((c != NO_NODE).then_some(ChildId(c))))
        .collect();
    (child_of_row, n_children, merged)
}

fn count_rows_and_children(
    episodes: &Episodes,
    child_of_row: &[RowChild],
    pmr_identified: &[bool],
    n_children: usize,
    stats: &mut LinkStats,
) {
    /// What the counts need of one child.
    #[derive(Clone, Copy)]
    struct Seen {
        pmr: bool,
        la: Option<u16>,
        several_las: bool,
        birth_years: (i16, i16),
    }
    stats.rows = episodes.len() as u64;
    stats.rows_with_pmr = episodes.pmr.par_iter().filter(|p| p.is_some()).count() as u64;
    stats.rows_pmr_identified = pmr_identified.par_iter().filter(|b| **b).count() as u64;
    stats.rows_linked = child_of_row.par_iter().filter(|c| c.is_some()).count() as u64;
    stats.rows_unidentified = stats.rows - stats.rows_linked - stats.rows_conflict_dropped;
    let mut seen = vec![
        Seen {
            pmr: false,
            la: None,
            several_las: false,
            birth_years: (i16::MAX, i16::MIN),
        };
        n_children
    ];
    // Each thread owns a range of children and scans every row for them, in row order;
    // every count below is the same however the children are shared out.
    let chunk = n_children
        .div_ceil(rayon::current_num_threads().max(1))
        .max(1);
    seen.par_chunks_mut(chunk)
        .enumerate()
        .for_each(|(j, part)| {
            let (lo, hi) = (j * chunk, j * chunk + part.len());
            for (i, c) in child_of_row.iter().enumerate() {
                let Some(c) = c.get() else { continue };
                let c = c.index();
                if c < lo || c >= hi {
                    continue;
                }
                let s = &mut part[c - lo];
                s.pmr |= pmr_identified[i];
                if let Some(la) = episodes.la[i] {
                    match s.la {
                        None => s.la = Some(la),
                        Some(l) if l != la => s.several_las = true,
                        Some(_) => {}
                    }
                }
                if let Some(y) = episodes.birth_year[i] {
                    let (lo, hi) = &mut s.birth_years;
                    *lo = (*lo).min(y);
                    *hi = (*hi).max(y);
                }
            }
        });
    stats.children_with_pmr = seen.iter().filter(|s| s.pmr).count() as u64;
    stats.children_in_several_las = seen.iter().filter(|s| s.several_las).count() as u64;
    stats.conflict_birth_year = seen
        .iter()
        .filter(|s| {
            let (lo, hi) = s.birth_years;
            lo <= hi && i32::from(hi) - i32::from(lo) > 1
        })
        .count() as u64;
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_census::{CensusYear, EpisodeRow};

    type Row<'a> = (Option<&'a str>, Option<&'a str>, u16, Option<(i16, u8)>);

    fn table(rows: &[Row]) -> Episodes {
        let mut e = Episodes::new();
        for (i, (la_id, pmr, la, birth)) in rows.iter().enumerate() {
            let mut r = EpisodeRow::empty(0, i as u32 + 1, CensusYear(2014));
            r.la_child_id = la_id.map(str::to_owned);
            r.pmr = pmr.map(str::to_owned);
            r.la = Some(*la);
            r.birth_year = birth.map(|b| b.0);
            r.birth_month = birth.map(|b| b.1);
            e.push(r);
        }
        e
    }

    fn ids(rows: &[(Option<&str>, Option<&str>, u16)]) -> Episodes {
        let rows: Vec<Row> = rows.iter().map(|&(a, b, c)| (a, b, c, None)).collect();
        table(&rows)
    }

    fn children(l: &Linkage) -> Vec<Option<u32>> {
        l.child_of_row
            .iter()
            .map(|c| c.get().map(|c| c.0))
            .collect()
    }

    fn run(e: &Episodes, mode: IdMode, policy: ConflictPolicy) -> Linkage {
        link(
            e,
            &LinkOptions {
                mode,
                policy,
                ..LinkOptions::default()
            },
        )
    }

    #[test]
    fn combined_joins_through_pmr_and_la_key() {
        // A1 in 202 without then with PMR; moves to 203 as B7 with the same PMR.
        // C1 in 202 has no PMR; the same text C1 in 204 is another child.
        let e = ids(&[
            (Some("A1"), None, 202),
            (Some("A1"), Some("P1"), 202),
            (Some("B7"), Some("P1"), 203),
            (Some("C1"), None, 202),
            (Some("C1"), None, 204),
        ]);
        let l = link(&e, &LinkOptions::default());
        assert_eq!(l.n_children, 3);
        assert_eq!(children(&l), [Some(0), Some(0), Some(0), Some(1), Some(2)]);
        assert_eq!(l.pmr_identified, [true, true, true, false, false]);
        assert_eq!(l.stats.children_in_several_las, 1);
        assert_eq!(l.stats.components_merged, 1);

        let la = link(&e, &LinkOptions::with_mode(IdMode::LaOnly));
        assert_eq!(la.n_children, 4);
        let pmr = link(&e, &LinkOptions::with_mode(IdMode::PmrOnly));
        assert_eq!(pmr.n_children, 1);
        assert_eq!(children(&pmr), [Some(0), Some(0), Some(0), None, None]);
        assert_eq!(pmr.stats.rows_unidentified, 2);
        assert_eq!(pmr.unlinked_reason(3), Some("unidentified_in_id_mode"));
        assert_eq!(pmr.unlinked_reason(0), None);
    }

    #[test]
    fn a_pmr_standing_in_for_a_missing_la_id_is_a_key_of_its_own_la() {
        // Jay's substitution: no LA child ID, so (LA, PMR) is the key.
        let e = ids(&[(None, Some("P1"), 202), (None, Some("P1"), 203)]);
        let la = link(&e, &LinkOptions::with_mode(IdMode::LaOnly));
        assert_eq!(
            la.n_children, 2,
            "la-only does not join LAs through the PMR"
        );
        let c = link(&e, &LinkOptions::default());
        assert_eq!(c.n_children, 1);
    }

    #[test]
    fn la_key_with_two_pmrs_under_each_policy() {
        // Q1@220 carries P_Q1 and P_Q2; P_Q2 also has a key in 221.
        let e = ids(&[
            (Some("Q1"), Some("P_Q1"), 220),
            (Some("Q1"), Some("P_Q2"), 220),
            (Some("Q1"), None, 220),
            (Some("R5"), Some("P_Q2"), 221),
        ]);
        let merge = run(&e, IdMode::Combined, ConflictPolicy::Merge);
        assert_eq!(merge.stats.conflict_la_key_several_pmrs, 1);
        assert_eq!(merge.n_children, 1, "merge believes the key: one child");

        let split = run(&e, IdMode::Combined, ConflictPolicy::Split);
        assert_eq!(split.stats.conflict_la_key_several_pmrs, 1);
        assert_eq!(
            split.n_children, 2,
            "Q1@220 stands alone; R5@221 keeps P_Q2"
        );
        assert_eq!(children(&split), [Some(0), Some(0), Some(0), Some(1)]);
        assert_eq!(split.stats.rows_conflict_split, 3);

        let drop = run(&e, IdMode::Combined, ConflictPolicy::Drop);
        assert_eq!(children(&drop), [None, None, None, Some(0)]);
        assert_eq!(drop.stats.rows_conflict_dropped, 3);
        assert_eq!(drop.stats.rows_unidentified, 0);
        assert_eq!(drop.unlinked_reason(1), Some("linkage_conflict_dropped"));

        // pmr-only never lets an LA key join two PMRs unless told to merge; the row
        // without a PMR of its own cannot be placed.
        let p = run(&e, IdMode::PmrOnly, ConflictPolicy::Split);
        assert_eq!(p.n_children, 2);
        assert_eq!(p.child_of(2), None);
        assert_eq!(p.unlinked_reason(2), Some("unidentified_in_id_mode"));
        let pm = run(&e, IdMode::PmrOnly, ConflictPolicy::Merge);
        assert_eq!(pm.n_children, 1);
        assert!(pm.child_of_row.iter().all(|c| c.is_some()));
        let pd = run(&e, IdMode::PmrOnly, ConflictPolicy::Drop);
        assert_eq!(children(&pd), [None, None, None, Some(0)]);

        // la-only does not use the PMR: the conflict is counted, nothing is changed.
        let la = run(&e, IdMode::LaOnly, ConflictPolicy::Drop);
        assert_eq!(la.stats.conflict_la_key_several_pmrs, 1);
        assert_eq!(la.n_children, 2);
        assert_eq!(la.stats.rows_conflict_dropped, 0);
    }

    #[test]
    fn a_pmr_joining_children_born_apart_under_each_policy() {
        // P9 joins A@202 (born 2010-01) and B@300 (born 2013-07): not one child.
        let e = table(&[
            (Some("A"), None, 202, Some((2010, 1))),
            (Some("A"), Some("P9"), 202, Some((2010, 1))),
            (Some("B"), Some("P9"), 300, Some((2013, 7))),
        ]);
        let merge = run(&e, IdMode::Combined, ConflictPolicy::Merge);
        assert_eq!(merge.stats.conflict_pmr_birth_mismatch, 1);
        assert_eq!(merge.n_children, 1);
        assert_eq!(merge.stats.conflict_birth_year, 1);
        let split = run(&e, IdMode::Combined, ConflictPolicy::Split);
        assert_eq!(split.n_children, 2);
        assert_eq!(children(&split), [Some(0), Some(0), Some(1)]);
        assert_eq!(split.stats.rows_conflict_split, 3);
        assert_eq!(split.stats.conflict_birth_year, 0);
        let drop = run(&e, IdMode::Combined, ConflictPolicy::Drop);
        assert_eq!(drop.n_children, 0);
        assert_eq!(drop.stats.rows_conflict_dropped, 3);
        // Under pmr-only, a split PMR's rows fall back to their LA keys.
        let p = run(&e, IdMode::PmrOnly, ConflictPolicy::Split);
        assert_eq!(children(&p), [Some(0), Some(0), Some(1)]);
        let p_merge = run(&e, IdMode::PmrOnly, ConflictPolicy::Merge);
        assert_eq!(p_merge.n_children, 1);
    }

    #[test]
    fn a_child_in_too_many_las_under_each_policy() {
        // One PMR across eight LAs (one key each), with a PMR-less row in the first.
        let mut rows: Vec<(Option<&str>, Option<&str>, u16)> = (0..8u16)
            .map(|k| (Some("X"), Some("P1"), 400 + k))
            .collect();
        rows.push((Some("X"), None, 400));
        rows.push((Some("Y"), Some("P2"), 500));
        rows.push((Some("Z"), Some("P2"), 501));
        let e = ids(&rows);
        let merge = run(&e, IdMode::Combined, ConflictPolicy::Merge);
        assert_eq!(merge.stats.conflict_many_las, 1);
        assert_eq!(merge.n_children, 2);
        let split = run(&e, IdMode::Combined, ConflictPolicy::Split);
        assert_eq!(split.stats.conflict_many_las, 1);
        assert_eq!(split.n_children, 9, "eight LA keys, and P2's child");
        assert_eq!(split.stats.rows_conflict_split, 9);
        let drop = run(&e, IdMode::Combined, ConflictPolicy::Drop);
        assert_eq!(drop.n_children, 1);
        assert_eq!(drop.stats.rows_conflict_dropped, 9);
        let p = run(&e, IdMode::PmrOnly, ConflictPolicy::Split);
        assert_eq!(p.stats.conflict_many_las, 1);
        assert_eq!(p.n_children, 9);
        // Six LAs is within the default limit: P1's child, X@400 alone, P2's child.
        let ok = ids(&rows[2..]);
        let within = run(&ok, IdMode::Combined, ConflictPolicy::Split);
        assert_eq!(within.stats.conflict_many_las, 0);
        assert_eq!(within.n_children, 3);
    }

    #[test]
    fn numbering_does_not_depend_on_row_order() {
        let rows = [
            (Some("Z9"), None, 300),
            (Some("A1"), Some("P2"), 202),
            (Some("K1"), None, 205),
            (None, Some("P1"), 210),
        ];
        let forward = link(&ids(&rows), &LinkOptions::default());
        let mut rev = rows;
        rev.reverse();
        let backward = link(&ids(&rev), &LinkOptions::default());
        let mut f = children(&forward);
        f.reverse();
        assert_eq!(f, children(&backward));
        // LA keys sort first, by LA: A1@202 (joined to P2), K1@205, P1@210 (a PMR standing
        // in for the LA child ID), Z9@300.
        assert_eq!(children(&forward), [Some(3), Some(0), Some(1), Some(2)]);
        // Under pmr-only the nodes are PMRs, numbered by text: P1, then P2.
        let pmr_only = link(&ids(&rows), &LinkOptions::with_mode(IdMode::PmrOnly));
        assert_eq!(children(&pmr_only), [None, Some(1), None, Some(0)]);
    }
}
