//! Who is who: children as connected components of the identifier graph.
//!
//! Nodes are PMRs and (LA child ID, LA) pairs; every row joins the nodes it carries. A
//! child is a connected component. Children are numbered by their smallest identifier
//! (PMRs before LA keys, then by text), so numbering does not depend on row order.

use crate::unionfind::UnionFind;
use cumin_census::{Episodes, IdRef};
use rustc_hash::FxHashMap;
use std::cmp::Ordering;

/// How rows are tied to children (methods.md §1).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum IdMode {
    /// PMR where present, else LA child ID within LA; PMR back-filled within (LA ID, LA).
    #[default]
    Combined,
    /// As `Combined`, but events at age 5 or over count only from rows identified by PMR
    /// (Jay et al.'s main analysis).
    PmrSchoolAge,
    /// LA child ID within LA only (PMR stands in where the LA ID is empty): an upper bound.
    LaOnly,
    /// PMR only (back-filled within LA key where unambiguous): a lower bound.
    PmrOnly,
}

impl IdMode {
    /// Every mode, in output order.
    pub const ALL: [IdMode; 4] = [
        IdMode::Combined,
        IdMode::PmrSchoolAge,
        IdMode::LaOnly,
        IdMode::PmrOnly,
    ];

    /// The name used on the command line and in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            IdMode::Combined => "combined",
            IdMode::PmrSchoolAge => "pmr-school-age",
            IdMode::LaOnly => "la-only",
            IdMode::PmrOnly => "pmr-only",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<IdMode> {
        IdMode::ALL.into_iter().find(|m| m.as_str() == s.trim())
    }
}

impl std::fmt::Display for IdMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A child: a connected component, numbered from 0 in canonical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChildId(pub u32);

impl ChildId {
    /// As an index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

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
    /// Children whose rows disagree on year of birth by more than one year.
    pub conflict_birth_year: u64,
}

/// The result of linking: a child for every row this mode can identify.
#[derive(Clone, Debug)]
pub struct Linkage {
    /// The mode used.
    pub mode: IdMode,
    /// Child of each episode row (`None`: the row cannot be identified in this mode).
    pub child_of_row: Vec<Option<ChildId>>,
    /// Whether each row is identified by a PMR (own, or back-filled within its LA key).
    pub pmr_identified: Vec<bool>,
    /// Number of children.
    pub n_children: usize,
    /// Summary counts.
    pub stats: LinkStats,
}

/// A node label, for canonical ordering: PMRs first, then LA keys by (LA, text).
#[derive(Clone, Copy)]
enum Label {
    Pmr(IdRef),
    LaKey { la: u16, id: KeyId },
}

/// The identifier of an LA key: an LA child ID, or a PMR standing in for a missing one.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum KeyId {
    LaChildId(IdRef),
    Pmr(IdRef),
}

fn compare_labels(e: &Episodes, a: Label, b: Label) -> Ordering {
    let key_text = |k: KeyId| match k {
        KeyId::LaChildId(r) => (0, e.la_child_ids.get(r)),
        KeyId::Pmr(r) => (1, e.pmrs.get(r)),
    };
    match (a, b) {
        (Label::Pmr(x), Label::Pmr(y)) => e.pmrs.get(x).cmp(e.pmrs.get(y)),
        (Label::Pmr(_), Label::LaKey { .. }) => Ordering::Less,
        (Label::LaKey { .. }, Label::Pmr(_)) => Ordering::Greater,
        (Label::LaKey { la: la1, id: id1 }, Label::LaKey { la: la2, id: id2 }) => la1
            .cmp(&la2)
            .then_with(|| key_text(id1).cmp(&key_text(id2))),
    }
}

/// Links the rows of `episodes` into children under `mode`.
pub fn link(episodes: &Episodes, mode: IdMode) -> Linkage {
    let n = episodes.len();
    let n_pmr = episodes.pmrs.len();

    // LA keys: (LA, LA child ID), or (LA, PMR) where the LA child ID is empty.
    let mut key_index: FxHashMap<(u16, KeyId), u32> = FxHashMap::default();
    let mut key_labels: Vec<(u16, KeyId)> = Vec::new();
    let mut key_of_row: Vec<Option<u32>> = Vec::with_capacity(n);
    for i in 0..n {
        let la = episodes.la[i].unwrap_or(0);
        let id = match (episodes.la_child_id[i], episodes.pmr[i]) {
            (Some(l), _) => Some(KeyId::LaChildId(l)),
            (None, Some(p)) => Some(KeyId::Pmr(p)),
            (None, None) => None,
        };
        key_of_row.push(id.map(|id| {
            *key_index.entry((la, id)).or_insert_with(|| {
                key_labels.push((la, id));
                (key_labels.len() - 1) as u32
            })
        }));
    }
    let n_keys = key_labels.len();

    // PMRs per key: the back-fill, and the several-PMR conflict.
    let mut key_pmr: Vec<Option<IdRef>> = vec![None; n_keys];
    let mut key_several_pmrs = vec![false; n_keys];
    for i in 0..n {
        if let (Some(k), Some(p)) = (key_of_row[i], episodes.pmr[i]) {
            let slot = &mut key_pmr[k as usize];
            match *slot {
                None => *slot = Some(p),
                // Keep the smallest so the choice does not depend on row order.
                Some(q) if q != p => {
                    key_several_pmrs[k as usize] = true;
                    if episodes.pmrs.get(p) < episodes.pmrs.get(q) {
                        *slot = Some(p);
                    }
                }
                Some(_) => {}
            }
        }
    }

    // Graph: nodes 0..n_pmr are PMRs, n_pmr.. are LA keys.
    let node_of_key = |k: u32| (n_pmr + k as usize) as u32;
    let mut uf = UnionFind::new(n_pmr + n_keys);
    let mut node_of_row: Vec<Option<u32>> = vec![None; n];
    let mut pmr_identified = vec![false; n];
    for i in 0..n {
        let own_pmr = episodes.pmr[i];
        let key = key_of_row[i];
        pmr_identified[i] = own_pmr.is_some() || key.is_some_and(|k| key_pmr[k as usize].is_some());
        node_of_row[i] = match mode {
            IdMode::Combined | IdMode::PmrSchoolAge => {
                if let (Some(p), Some(k)) = (own_pmr, key) {
                    uf.union(p.index() as u32, node_of_key(k));
                }
                key.map(node_of_key).or(own_pmr.map(|p| p.index() as u32))
            }
            IdMode::LaOnly => key.map(node_of_key),
            IdMode::PmrOnly => own_pmr
                .or_else(|| {
                    key.filter(|k| !key_several_pmrs[*k as usize])
                        .and_then(|k| key_pmr[k as usize])
                })
                .map(|p| p.index() as u32),
        };
    }

    // Canonical numbering: each component by its smallest label.
    let label = |node: u32| -> Label {
        if (node as usize) < n_pmr {
            Label::Pmr(IdRef::from_index(node as usize))
        } else {
            let (la, id) = key_labels[node as usize - n_pmr];
            Label::LaKey { la, id }
        }
    };
    // A component is a child if some row maps into it; every node of it then counts
    // for its label (a PMR node that only joins LA keys still names the child).
    let mut used_root = vec![false; uf.len()];
    for node in node_of_row.iter().flatten() {
        let root = uf.find(*node);
        used_root[root as usize] = true;
    }
    let mut min_label_of_root: FxHashMap<u32, u32> = FxHashMap::default();
    let mut nodes_in_root: FxHashMap<u32, u32> = FxHashMap::default();
    for node in 0..uf.len() as u32 {
        let root = uf.find(node);
        if !used_root[root as usize] {
            continue;
        }
        *nodes_in_root.entry(root).or_insert(0) += 1;
        min_label_of_root
            .entry(root)
            .and_modify(|m| {
                if compare_labels(episodes, label(node), label(*m)) == Ordering::Less {
                    *m = node;
                }
            })
            .or_insert(node);
    }
    let mut roots: Vec<(u32, u32)> = min_label_of_root.into_iter().collect();
    roots.sort_by(|a, b| compare_labels(episodes, label(a.1), label(b.1)));
    let mut child_of_root: FxHashMap<u32, ChildId> = FxHashMap::default();
    for (rank, (root, _)) in roots.iter().enumerate() {
        child_of_root.insert(*root, ChildId(rank as u32));
    }
    let child_of_row: Vec<Option<ChildId>> = node_of_row
        .iter()
        .map(|node| node.map(|nd| child_of_root[&uf.find(nd)]))
        .collect();
    let n_children = roots.len();

    let mut stats = LinkStats {
        rows: n as u64,
        pmrs: n_pmr as u64,
        la_keys: n_keys as u64,
        children: n_children as u64,
        conflict_la_key_several_pmrs: key_several_pmrs.iter().filter(|b| **b).count() as u64,
        components_merged: roots
            .iter()
            .filter(|(root, _)| nodes_in_root[root] > 1)
            .count() as u64,
        ..LinkStats::default()
    };
    let mut child_pmr = vec![false; n_children];
    let mut child_la: Vec<Option<u16>> = vec![None; n_children];
    let mut child_several_las = vec![false; n_children];
    let mut child_birth_years: Vec<(i16, i16)> = vec![(i16::MAX, i16::MIN); n_children];
    for i in 0..n {
        stats.rows_with_pmr += u64::from(episodes.pmr[i].is_some());
        stats.rows_pmr_identified += u64::from(pmr_identified[i]);
        let Some(c) = child_of_row[i] else {
            stats.rows_unidentified += 1;
            continue;
        };
        stats.rows_linked += 1;
        let c = c.index();
        child_pmr[c] |= pmr_identified[i];
        if let Some(la) = episodes.la[i] {
            match child_la[c] {
                None => child_la[c] = Some(la),
                Some(l) if l != la => child_several_las[c] = true,
                Some(_) => {}
            }
        }
        if let Some(y) = episodes.birth_year[i] {
            let (lo, hi) = &mut child_birth_years[c];
            *lo = (*lo).min(y);
            *hi = (*hi).max(y);
        }
    }
    stats.children_with_pmr = child_pmr.iter().filter(|b| **b).count() as u64;
    stats.children_in_several_las = child_several_las.iter().filter(|b| **b).count() as u64;
    stats.conflict_birth_year = child_birth_years
        .iter()
        .filter(|(lo, hi)| lo <= hi && i32::from(*hi) - i32::from(*lo) > 1)
        .count() as u64;
    Linkage {
        mode,
        child_of_row,
        pmr_identified,
        n_children,
        stats,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_census::{CensusYear, EpisodeRow};

    fn table(rows: &[(Option<&str>, Option<&str>, u16)]) -> Episodes {
        let mut e = Episodes::new();
        for (i, (la_id, pmr, la)) in rows.iter().enumerate() {
            let mut r = EpisodeRow::empty(0, i as u32 + 1, CensusYear(2014));
            r.la_child_id = la_id.map(str::to_owned);
            r.pmr = pmr.map(str::to_owned);
            r.la = Some(*la);
            e.push(r);
        }
        e
    }

    fn children(l: &Linkage) -> Vec<Option<u32>> {
        l.child_of_row.iter().map(|c| c.map(|c| c.0)).collect()
    }

    #[test]
    fn combined_joins_through_pmr_and_la_key() {
        // A1 in 202 without then with PMR; moves to 203 as B7 with the same PMR.
        // C1 in 202 has no PMR; the same text C1 in 204 is another child.
        let e = table(&[
            (Some("A1"), None, 202),
            (Some("A1"), Some("P1"), 202),
            (Some("B7"), Some("P1"), 203),
            (Some("C1"), None, 202),
            (Some("C1"), None, 204),
        ]);
        let l = link(&e, IdMode::Combined);
        assert_eq!(l.n_children, 3);
        assert_eq!(children(&l), [Some(0), Some(0), Some(0), Some(1), Some(2)]);
        assert_eq!(l.pmr_identified, [true, true, true, false, false]);
        assert_eq!(l.stats.children_in_several_las, 1);
        assert_eq!(l.stats.components_merged, 1);

        let la = link(&e, IdMode::LaOnly);
        assert_eq!(la.n_children, 4);
        let pmr = link(&e, IdMode::PmrOnly);
        assert_eq!(pmr.n_children, 1);
        assert_eq!(children(&pmr), [Some(0), Some(0), Some(0), None, None]);
        assert_eq!(pmr.stats.rows_unidentified, 2);
    }

    #[test]
    fn la_key_with_two_pmrs_is_a_counted_conflict() {
        let e = table(&[
            (Some("Q1"), Some("P_Q1"), 220),
            (Some("Q1"), Some("P_Q2"), 220),
            (Some("Q1"), None, 220),
        ]);
        let l = link(&e, IdMode::Combined);
        assert_eq!(l.stats.conflict_la_key_several_pmrs, 1);
        assert_eq!(l.n_children, 1);
        // Under pmr-only the PMR-less row is ambiguous and stays unidentified.
        let p = link(&e, IdMode::PmrOnly);
        assert_eq!(p.n_children, 2);
        assert_eq!(p.child_of_row[2], None);
    }

    #[test]
    fn numbering_does_not_depend_on_row_order() {
        let rows = [
            (Some("Z9"), None, 300),
            (Some("A1"), Some("P2"), 202),
            (Some("K1"), None, 205),
            (None, Some("P1"), 210),
        ];
        let forward = link(&table(&rows), IdMode::Combined);
        let mut rev = rows;
        rev.reverse();
        let backward = link(&table(&rev), IdMode::Combined);
        let mut f = children(&forward);
        f.reverse();
        assert_eq!(f, children(&backward));
        // PMRs sort first: P1 then P2, then LA keys by LA.
        assert_eq!(children(&forward), [Some(3), Some(1), Some(2), Some(0)]);
    }
}
