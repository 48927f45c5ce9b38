//! Linkage on random identifier tables: it equals a naive breadth-first reference written
//! from the rules in methods.md, and shuffling the rows or splitting them over several
//! files never changes a child, an episode or a count.

#[path = "support/joins.rs"]
mod joins;

use cumin_census::{CensusYear, Date, EpisodeRow, Episodes};
use cumin_link::{
    ConflictPolicy, IdIndex, IdMode, LinkOptions, Linkage, TransferInputs, deduplicate,
    deduplicate_keys, link, link_with, merge_pairs, rededuplicate,
};
use joins::pairs_joining;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A random row: few LAs, IDs and PMRs, so that joins and conflicts are common.
fn arb_row() -> impl Strategy<Value = EpisodeRow> {
    (
        (1u16..=4, prop::option::of(0u8..3), prop::option::of(0u8..4)),
        (
            2013i16..=2016,
            prop::option::of(0usize..3),
            0i32..4,
            any::<bool>(),
        ),
        (
            prop::option::of(0i32..3),
            prop::option::of(any::<bool>()),
            prop::option::of(1u8..=9),
        ),
    )
        .prop_map(
            |((la, la_id, pmr), (year, birth, referral, imputed), (closure, nfa, reason))| {
                let mut r = EpisodeRow::empty(0, 0, CensusYear(year));
                r.la = Some(la);
                r.la_child_id = la_id.map(|i| format!("L{i}"));
                r.pmr = pmr.map(|i| format!("P{i}"));
                let births = [(2010, 1), (2010, 2), (2012, 5)];
                r.birth_year = birth.map(|b| births[b].0);
                r.birth_month = birth.map(|b| births[b].1);
                r.referral = Some(Date::ymd(2012, 9, 1).add_days(referral * 40));
                r.referral_imputed = imputed && referral == 0;
                r.closure = closure.map(|c| Date::ymd(2014, 1, 1).add_days(c * 30));
                r.nfa = nfa;
                r.reason_for_closure = reason;
                r
            },
        )
}

fn arb_options() -> impl Strategy<Value = LinkOptions> {
    (0usize..4, 0usize..3, 0u16..3, 1u16..4).prop_map(|(m, p, tol, max_las)| LinkOptions {
        mode: IdMode::ALL[m],
        policy: ConflictPolicy::ALL[p],
        birth_tolerance_months: tol,
        max_las,
    })
}

fn episodes_of(rows: &[EpisodeRow]) -> Episodes {
    let mut e = Episodes::new();
    for r in rows {
        e.push(r.clone());
    }
    e
}

/// A node of the reference graph, ordered as children are numbered: LA keys by (LA,
/// LA-child-ID-or-PMR, text), then PMRs by text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Key(u16, u8, String),
    Pmr(String),
}

fn key_of(r: &EpisodeRow) -> Option<Node> {
    let la = r.la.unwrap_or(0);
    match (&r.la_child_id, &r.pmr) {
        (Some(l), _) => Some(Node::Key(la, 0, l.clone())),
        (None, Some(p)) => Some(Node::Key(la, 1, p.clone())),
        (None, None) => None,
    }
}

/// Each row's component label, and every node's.
type Labelled = (Vec<Option<Node>>, BTreeMap<Node, Node>);

/// Connected components by breadth-first search; returns each node's smallest member.
fn components(nodes: &BTreeSet<Node>, edges: &[(Node, Node)]) -> BTreeMap<Node, Node> {
    let mut adj: BTreeMap<&Node, Vec<&Node>> = BTreeMap::new();
    for (a, b) in edges {
        adj.entry(a).or_default().push(b);
        adj.entry(b).or_default().push(a);
    }
    let mut label: BTreeMap<Node, Node> = BTreeMap::new();
    for start in nodes {
        if label.contains_key(start) {
            continue;
        }
        let mut seen = vec![start];
        let mut queue = VecDeque::from([start]);
        let mut visited: BTreeSet<&Node> = BTreeSet::from([start]);
        while let Some(v) = queue.pop_front() {
            for w in adj.get(v).into_iter().flatten() {
                if visited.insert(w) {
                    seen.push(w);
                    queue.push_back(w);
                }
            }
        }
        let smallest = (*seen.iter().min().unwrap()).clone();
        for v in seen {
            label.insert(v.clone(), smallest.clone());
        }
    }
    label
}

/// The modal birth month of rows, ties to the latest census year then the later month.
fn modal_birth(rows: &[&EpisodeRow]) -> Option<i32> {
    let mut tally: BTreeMap<i32, (u32, i16)> = BTreeMap::new();
    for r in rows {
        if let (Some(y), Some(m)) = (r.birth_year, r.birth_month) {
            let t = tally
                .entry(i32::from(y) * 12 + i32::from(m))
                .or_insert((0, i16::MIN));
            t.0 += 1;
            t.1 = t.1.max(r.census_year.0);
        }
    }
    tally
        .into_iter()
        .max_by_key(|(b, (n, y))| (*n, *y, *b))
        .map(|(b, _)| b)
}

/// Each row's child as the smallest node of its component, by the rules written out
/// naively: no union-find, no interning, no compressed arrays.
// Long on purpose: the rules in the order docs/linkage.md states them, one after the
// other, so the reference can be read against the documentation.
#[allow(clippy::too_many_lines)]
fn reference(rows: &[EpisodeRow], o: LinkOptions) -> Vec<Option<Node>> {
    let keys: Vec<Option<Node>> = rows.iter().map(key_of).collect();
    let mut pmrs_of_key: BTreeMap<Node, BTreeSet<String>> = BTreeMap::new();
    let mut rows_of_key: BTreeMap<Node, Vec<&EpisodeRow>> = BTreeMap::new();
    for (r, k) in rows.iter().zip(&keys) {
        let Some(k) = k else { continue };
        let set = pmrs_of_key.entry(k.clone()).or_default();
        set.extend(r.pmr.clone());
        rows_of_key.entry(k.clone()).or_default().push(r);
    }
    let several: BTreeSet<Node> = pmrs_of_key
        .iter()
        .filter(|(_, p)| p.len() > 1)
        .map(|(k, _)| k.clone())
        .collect();
    let mut bad_pmrs: BTreeSet<String> = BTreeSet::new();
    let all_pmrs: BTreeSet<String> = pmrs_of_key.values().flatten().cloned().collect();
    for p in &all_pmrs {
        let births: Vec<i32> = pmrs_of_key
            .iter()
            .filter(|(_, ps)| ps.contains(p))
            .filter_map(|(k, _)| modal_birth(&rows_of_key[k]))
            .collect();
        let keys_with_p = pmrs_of_key.values().filter(|ps| ps.contains(p)).count();
        if keys_with_p > 1
            && let (Some(lo), Some(hi)) = (births.iter().min(), births.iter().max())
            && hi - lo > i32::from(o.birth_tolerance_months)
        {
            bad_pmrs.insert(p.clone());
        }
    }
    let acts = o.policy != ConflictPolicy::Merge && o.mode != IdMode::LaOnly;
    let mut bad_keys: BTreeSet<Node> = if acts && o.mode != IdMode::PmrOnly {
        several.clone()
    } else {
        BTreeSet::new()
    };
    if !acts {
        bad_pmrs.clear();
    }
    let once = |bad_keys: &BTreeSet<Node>, bad_pmrs: &BTreeSet<String>| -> Labelled {
        let drop = o.policy == ConflictPolicy::Drop;
        let mut nodes: BTreeSet<Node> = BTreeSet::new();
        let mut edges = Vec::new();
        let mut node_of_row: Vec<Option<Node>> = Vec::new();
        match o.mode {
            IdMode::Combined | IdMode::PmrSchoolAge => {
                let withheld = |k: &Node| {
                    bad_keys.contains(k) || pmrs_of_key[k].iter().any(|p| bad_pmrs.contains(p))
                };
                for (k, ps) in &pmrs_of_key {
                    if !withheld(k) {
                        for p in ps {
                            edges.push((Node::Pmr(p.clone()), k.clone()));
                        }
                    }
                }
                for k in &keys {
                    node_of_row.push(k.clone().filter(|k| !(drop && withheld(k))));
                }
            }
            IdMode::LaOnly => node_of_row.clone_from(&keys),
            IdMode::PmrOnly => {
                let merge = o.policy == ConflictPolicy::Merge;
                for k in &several {
                    if merge {
                        for p in &pmrs_of_key[k] {
                            edges.push((Node::Pmr(p.clone()), k.clone()));
                        }
                    }
                }
                for (r, k) in rows.iter().zip(&keys) {
                    let Some(k) = k else {
                        node_of_row.push(None);
                        continue;
                    };
                    let is_several = several.contains(k);
                    if drop && (is_several || bad_keys.contains(k)) {
                        node_of_row.push(None);
                        continue;
                    }
                    let ps = &pmrs_of_key[k];
                    let pmr = r
                        .pmr
                        .clone()
                        .or_else(|| (ps.len() == 1).then(|| ps.iter().next().unwrap().clone()));
                    node_of_row.push(match pmr {
                        Some(p) if bad_pmrs.contains(&p) => (!drop).then(|| k.clone()),
                        Some(p) => Some(Node::Pmr(p)),
                        None if is_several && merge => Some(k.clone()),
                        None => None,
                    });
                }
            }
        }
        nodes.extend(node_of_row.iter().flatten().cloned());
        for (a, b) in &edges {
            nodes.insert(a.clone());
            nodes.insert(b.clone());
        }
        let label = components(&nodes, &edges);
        let rows = node_of_row
            .into_iter()
            .map(|n| n.map(|n| label[&n].clone()))
            .collect();
        (rows, label)
    };
    let (first, labels) = once(&bad_keys, &bad_pmrs);
    // Components spanning more LAs than allowed, and then every identifier in them.
    let mut las: BTreeMap<&Node, BTreeSet<u16>> = BTreeMap::new();
    for (r, c) in rows.iter().zip(&first) {
        if let (Some(c), Some(la)) = (c, r.la) {
            las.entry(c).or_default().insert(la);
        }
    }
    let wide: BTreeSet<&Node> = las
        .iter()
        .filter(|(_, l)| l.len() > usize::from(o.max_las))
        .map(|(c, _)| *c)
        .collect();
    if !acts || wide.is_empty() {
        return first;
    }
    for (i, c) in first.iter().enumerate() {
        if c.as_ref().is_some_and(|c| wide.contains(c)) {
            bad_keys.insert(keys[i].clone().unwrap());
        }
    }
    for p in &all_pmrs {
        if labels
            .get(&Node::Pmr(p.clone()))
            .is_some_and(|c| wide.contains(c))
        {
            bad_pmrs.insert(p.clone());
        }
    }
    once(&bad_keys, &bad_pmrs).0
}

/// Row `i`'s child as the rank of its smallest node among all children.
fn numbered(reference: &[Option<Node>]) -> Vec<Option<u32>> {
    let labels: BTreeSet<&Node> = reference.iter().flatten().collect();
    let rank: BTreeMap<&Node, u32> = labels.into_iter().zip(0..).collect();
    reference
        .iter()
        .map(|n| n.as_ref().map(|n| rank[n]))
        .collect()
}

fn children(l: &Linkage) -> Vec<Option<u32>> {
    l.child_of_row
        .iter()
        .map(|c| c.get().map(|c| c.0))
        .collect()
}

/// Rows in a random order, each given to one of several files (row numbers restart in
/// each file, as they do on disk).
fn shuffled(rows: &[EpisodeRow], order: &[usize], files: &[u16]) -> Vec<EpisodeRow> {
    let mut next_row = [0u32; 4];
    order
        .iter()
        .zip(files)
        .map(|(&i, &f)| {
            let mut r = rows[i].clone();
            r.file = f;
            next_row[usize::from(f)] += 1;
            r.source_row = next_row[usize::from(f)];
            r
        })
        .collect()
}

fn arb_table() -> impl Strategy<Value = (Vec<EpisodeRow>, Vec<usize>, Vec<u16>)> {
    prop::collection::vec(arb_row(), 1..40).prop_flat_map(|rows| {
        let n = rows.len();
        (
            Just(rows),
            Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
            prop::collection::vec(0u16..4, n),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn link_equals_a_breadth_first_reference(
        rows in prop::collection::vec(arb_row(), 0..40),
        options in arb_options(),
    ) {
        let l = link(&episodes_of(&rows), &options);
        let want = numbered(&reference(&rows, options));
        prop_assert_eq!(children(&l), want.clone());
        prop_assert_eq!(l.n_children, want.iter().flatten().collect::<BTreeSet<_>>().len());
    }

    #[test]
    fn shuffling_rows_or_splitting_files_changes_nothing(
        (rows, order, files) in arb_table(),
        options in arb_options(),
    ) {
        let a = episodes_of(&rows);
        let b = episodes_of(&shuffled(&rows, &order, &files));
        let (la, lb) = (link(&a, &options), link(&b, &options));
        prop_assert_eq!(&la.stats, &lb.stats);
        for (j, &i) in order.iter().enumerate() {
            prop_assert_eq!(la.child_of_row[i], lb.child_of_row[j]);
            prop_assert_eq!(la.pmr_identified[i], lb.pmr_identified[j]);
            prop_assert_eq!(la.unlinked_reason(i), lb.unlinked_reason(j));
        }
        let ((sa, da), (sb, db)) = (deduplicate(&a, &la), deduplicate(&b, &lb));
        prop_assert_eq!(da, db);
        prop_assert_eq!(&sa.child, &sb.child);
        prop_assert_eq!(&sa.referral, &sb.referral);
        prop_assert_eq!(&sa.referral_imputed, &sb.referral_imputed);
        prop_assert_eq!(&sa.closure, &sb.closure);
        prop_assert_eq!(&sa.nfa, &sb.nfa);
        prop_assert_eq!(&sa.reason_for_closure, &sb.reason_for_closure);
        prop_assert_eq!(&sa.la, &sb.la);
        prop_assert_eq!(&sa.pmr_identified, &sb.pmr_identified);
        prop_assert_eq!(&sa.first_census_year, &sb.first_census_year);
        prop_assert_eq!(&sa.rows, &sb.rows);
        for (j, &i) in order.iter().enumerate() {
            prop_assert_eq!(sa.episode_of_row[i], sb.episode_of_row[j]);
        }
    }

    /// One thread or several: the same children, counts, episodes and rows' episodes
    /// (rows are counted into place and components numbered with atomic operations, in
    /// whatever order the threads run).
    #[test]
    fn the_number_of_threads_changes_nothing(
        rows in prop::collection::vec(arb_row(), 0..120),
        options in arb_options(),
    ) {
        // Every row three times: rows of identical content must land in the same order.
        let tripled: Vec<EpisodeRow> = rows.iter().chain(&rows).chain(&rows).cloned().collect();
        let e = episodes_of(&tripled);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let l = link(&e, &options);
                let (set, stats) = deduplicate(&e, &l);
                (children(&l), l.stats.clone(), l.n_children, set, stats)
            })
        };
        let one = run(1);
        prop_assert_eq!(&one, &run(4));
        prop_assert_eq!(&one, &run(3));
    }

    /// Joining children after de-duplication and de-duplicating only the joined ones
    /// gives what de-duplicating the joined linkage from scratch gives: every episode,
    /// every row's episode and every count.
    /// One identifier index serves every mode and policy: each linkage equals linking
    /// alone, and `pmr-school-age` links exactly as `combined`.
    #[test]
    fn linking_with_a_shared_index_equals_linking_alone(
        rows in prop::collection::vec(arb_row(), 1..60),
        options in arb_options(),
    ) {
        let e = episodes_of(&rows);
        let index = IdIndex::build(&e, options.birth_tolerance_months);
        for mode in IdMode::ALL {
            let o = LinkOptions { mode, ..options };
            let alone = link(&e, &o);
            let shared = link_with(&e, &index, &o);
            prop_assert_eq!(&shared.child_of_row, &alone.child_of_row);
            prop_assert_eq!(&shared.key_of_row, &alone.key_of_row);
            prop_assert_eq!(&shared.pmr_identified, &alone.pmr_identified);
            prop_assert_eq!(&shared.conflict_dropped, &alone.conflict_dropped);
            prop_assert_eq!(&shared.stats, &alone.stats);
            let as_linked = link(&e, &LinkOptions { mode: mode.links_as(), ..options });
            prop_assert_eq!(&alone.child_of_row, &as_linked.child_of_row);
            prop_assert_eq!(&alone.stats, &as_linked.stats);
        }
    }

    /// What de-duplication's first half hands the transfer rule (the transfer closures
    /// and each child's first LA, from the rows) is what the whole episode set gives.
    #[test]
    fn the_first_half_gives_the_pair_rule_what_the_whole_set_gives(
        rows in prop::collection::vec(arb_row(), 1..60),
        options in arb_options(),
    ) {
        let e = episodes_of(&rows);
        let l = link(&e, &options);
        let (set, _) = deduplicate(&e, &l);
        let keys = deduplicate_keys(&e, &l);
        prop_assert_eq!(&keys.set.child, &set.child);
        prop_assert_eq!(&keys.transfer_inputs, &TransferInputs::of(&set));
    }

    #[test]
    fn rededuplicating_joined_children_equals_deduplicating_again(
        rows in prop::collection::vec(arb_row(), 1..60),
        options in arb_options(),
        joins in prop::collection::vec((0usize..64, 0usize..64), 0..6),
    ) {
        let e = episodes_of(&rows);
        let l = link(&e, &options);
        prop_assume!(l.n_children > 0);
        let merged = merge_pairs(&l, &pairs_joining(&l, &joins));
        let (set, stats) = deduplicate(&e, &l);
        let (want, want_stats) = deduplicate(&e, &merged);
        let (got, got_stats) = rededuplicate(&e, &l, set, &stats, &merged);
        prop_assert_eq!(got_stats, want_stats);
        prop_assert_eq!(got, want);
    }
}
