//! Suspected transfers: the one kind of split identity that can be joined pair by pair.
//!
//! A child who moves LA while an episode is open usually has it closed as a transfer
//! (`RC5`), and the new LA often opens a referral within weeks under a new LA child ID.
//! Without a PMR on either side the two records are two children. The pair rule
//! ([`transfer_pairs`]): an `RC5` closure in one LA, followed within
//! [`TRANSFER_WINDOW_DAYS`] by the *first* referral of another child in another LA, with
//! the same birth year and month, sex and ethnicity (all known), IDACI deciles at most
//! [`MAX_DECILE_STEP`] apart, not two different PMRs (those are two children), the first
//! child never referred again after the closure, and the match unique both ways: the closure has one such referral and the referral one such closure.
//! [`merge_pairs`] then joins each pair into one child.

use crate::EpisodeSet;
use crate::identity::{ChildId, Linkage};
use crate::packed::RowChild;
use crate::unionfind::UnionFind;
use cumin_census::{Date, Ethnicity, IdRef, Sex};
use rayon::prelude::*;

/// How long after a transfer closure the new LA's referral may come: eight weeks, the
/// window within which English LAs are expected to have re-assessed a transferred child
/// (and the simulator's `p_transfer_referral` window). Later referrals are more often a
/// different child with the same traits than the same child.
pub const TRANSFER_WINDOW_DAYS: i32 = 56;

/// How far apart (in IDACI deciles) the areas before and after a transfer may be: most
/// moves are short, between areas of similar deprivation.
pub const MAX_DECILE_STEP: u8 = 1;

/// What the pair rule compares, per child (16 bytes: one a child of the extract, held
/// while the rule runs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChildTraits {
    /// Birth year and month.
    pub birth: Option<(i16, u8)>,
    /// Modal sex.
    pub sex: Option<Sex>,
    /// Modal ethnicity.
    pub ethnicity: Option<Ethnicity>,
    /// The child's PMR, if any (the smallest; only equality matters).
    pub pmr: Option<IdRef>,
    /// Modal IDACI decile.
    pub decile: Option<u8>,
}

/// Birth year and month, sex and ethnicity: what two records of a transfer must share.
type TraitGroup = ((i16, u8), Sex, Ethnicity);

impl ChildTraits {
    /// The traits a transfer match must share, if all are known.
    fn group(&self) -> Option<TraitGroup> {
        Some((self.birth?, self.sex?, self.ethnicity?))
    }

    /// Whether two children may be one: every trait known and equal, and not two
    /// different PMRs.
    fn agree(&self, other: &ChildTraits) -> bool {
        let known = self.birth.is_some() && self.sex.is_some() && self.ethnicity.is_some();
        let pmrs_differ = matches!((self.pmr, other.pmr), (Some(a), Some(b)) if a != b);
        let near = matches!((self.decile, other.decile), (Some(a), Some(b)) if a.abs_diff(b) <= MAX_DECILE_STEP);
        known
            && near
            && self.birth == other.birth
            && self.sex == other.sex
            && self.ethnicity == other.ethnicity
            && !pmrs_differ
    }
}

/// One suspected transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TransferPair {
    /// The child whose episode closed as a transfer.
    pub from: ChildId,
    /// The child whose first referral followed it in another LA.
    pub to: ChildId,
    /// The closed episode (index into the episode set).
    pub closure_episode: u32,
    /// The referral (index into the episode set).
    pub referral_episode: u32,
}

/// Counts of the pair rule, for `linkage.csv`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TransferStats {
    /// Episodes closed as transfers (`RC5`) with a closure date and an LA.
    pub transfer_closures: u64,
    /// Of those, closures followed in the window by at least one agreeing first referral.
    pub closures_with_candidates: u64,
    /// Closure–referral matches before the uniqueness test.
    pub candidate_matches: u64,
    /// Pairs kept: unique both ways.
    pub pairs: u64,
}

/// An episode closed as a transfer (`RC5`, its latest reason) with a closure date and an
/// LA: where the pair rule looks for a following referral.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferClosure {
    /// The episode (index into the episode set).
    pub episode: u32,
    /// Its closure date (latest).
    pub closure: Date,
    /// Its LA (latest).
    pub la: u16,
}

/// What the pair rule reads of the episodes beside each one's child and referral date:
/// the few closed as transfers, and the LA of each child's first episode. Sparse (at
/// England scale ~1% of the episodes and 4 bytes a child), so de-duplication's first
/// half ([`crate::deduplicate_keys`]) need not hold every episode's LA, closure and
/// reason while the child table and the rule run: the finish reduces those.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransferInputs {
    /// The transfer closures, by episode.
    pub closures: Vec<TransferClosure>,
    /// The LA of each child's first episode (by child; none for a child without one).
    pub first_la: Vec<Option<u16>>,
}

impl TransferInputs {
    /// The inputs of a whole episode set.
    pub fn of(set: &EpisodeSet) -> TransferInputs {
        let rc5 = Some(cumin_census::codes::RC_TRANSFERRED);
        TransferInputs::build(
            &set.child,
            |e| {
                let transfer = set.reason_for_closure[e] == rc5;
                set.closure[e].zip(set.la[e]).filter(|_| transfer)
            },
            |e| set.la[e],
        )
    }

    /// The inputs of the episodes of `child` (sorted by child; every child numbered below
    /// the last has an episode or none), from each episode's closure and LA when it closed
    /// as a transfer with both known (`closed`) and each episode's LA (`la`, read for the
    /// first episode of each child only).
    pub(crate) fn build(
        child: &[ChildId],
        closed: impl Fn(usize) -> Option<(Date, u16)> + Sync,
        la: impl Fn(usize) -> Option<u16> + Sync,
    ) -> TransferInputs {
        let closures = (0..child.len())
            .into_par_iter()
            .filter_map(|e| {
                closed(e).map(|(closure, la)| TransferClosure {
                    episode: e as u32,
                    closure,
                    la,
                })
            })
            .collect();
        let n_children = child.last().map_or(0, |c| c.index() + 1);
        let mut first_la = vec![None; n_children];
        for (e, c) in child.iter().enumerate() {
            if e == 0 || child[e - 1] != *c {
                first_la[c.index()] = la(e);
            }
        }
        TransferInputs { closures, first_la }
    }
}

/// The suspected transfer pairs among `set`'s episodes, sorted. `set` needs only its
/// children and referral dates; `inputs` (of the same episodes) holds the rest the rule
/// reads, and `traits` gives each child's traits by its index (read when needed, so a
/// caller need not hold them for every child).
pub fn transfer_pairs(
    set: &EpisodeSet,
    inputs: &TransferInputs,
    traits: impl Fn(usize) -> ChildTraits,
) -> (Vec<TransferPair>, TransferStats) {
    let mut stats = TransferStats::default();
    // Each child's first referral: the candidates a transfer can lead to, grouped by the
    // traits a match must share (birth year and month, sex, ethnicity, all known) and in
    // date order within a group. A closure looks only at its own group's window: at
    // England scale the 8 weeks after a closure hold tens of thousands of first referrals,
    // and comparing each with every closure took half an hour.
    // Each group's list is made the exact size first (counted), not grown by doubling:
    // one entry a child of the extract, held beside the episode set and the traits.
    let mut sizes: rustc_hash::FxHashMap<TraitGroup, usize> = rustc_hash::FxHashMap::default();
    for (c, _) in set.by_child() {
        if let Some(g) = traits(c.index()).group() {
            *sizes.entry(g).or_default() += 1;
        }
    }
    let mut firsts: rustc_hash::FxHashMap<TraitGroup, Vec<(Date, u32)>> = sizes
        .into_iter()
        .map(|(g, n)| (g, Vec::with_capacity(n)))
        .collect();
    for (c, r) in set.by_child() {
        if let Some(g) = traits(c.index()).group() {
            firsts
                .entry(g)
                .or_default()
                .push((set.referral[r.start], r.start as u32));
        }
    }
    for group in firsts.values_mut() {
        group.sort_unstable();
    }
    let mut matches: Vec<(u32, u32)> = Vec::new();
    for &TransferClosure {
        episode: e,
        closure: closed,
        la,
    } in &inputs.closures
    {
        stats.transfer_closures += 1;
        let from = set.child[e as usize];
        // A child who left has no referral after the transfer in the LA it left: its
        // last episode (the set is sorted by child, then referral date) is read where it
        // lies, not kept for every child.
        let last = (e as usize..set.len())
            .take_while(|&x| set.child[x] == from)
            .last()
            .unwrap_or(e as usize);
        if set.referral[last] > closed {
            continue;
        }
        // `agree` needs the closing child's traits known and equal to the candidate's.
        let from_traits = traits(from.index());
        let Some(group) = from_traits.group().and_then(|g| firsts.get(&g)) else {
            continue;
        };
        let start = group.partition_point(|(d, _)| *d < closed);
        let end = group.partition_point(|(d, _)| d.days_since(closed) <= TRANSFER_WINDOW_DAYS);
        let before = matches.len();
        for &(_, f) in &group[start..end.max(start)] {
            let f_usize = f as usize;
            let to = set.child[f_usize];
            if to == from || inputs.first_la[to.index()].is_none_or(|l| l == la) {
                continue;
            }
            if from_traits.agree(&traits(to.index())) {
                matches.push((e, f));
            }
        }
        stats.candidate_matches += (matches.len() - before) as u64;
        stats.closures_with_candidates += u64::from(matches.len() > before);
    }
    let mut per_referral: rustc_hash::FxHashMap<u32, u32> = rustc_hash::FxHashMap::default();
    let mut per_closure: rustc_hash::FxHashMap<u32, u32> = rustc_hash::FxHashMap::default();
    for &(c, f) in &matches {
        *per_closure.entry(c).or_insert(0) += 1;
        *per_referral.entry(f).or_insert(0) += 1;
    }
    let mut pairs: Vec<TransferPair> = matches
        .into_iter()
        .filter(|(c, f)| per_closure[c] == 1 && per_referral[f] == 1)
        .map(|(c, f)| TransferPair {
            from: set.child[c as usize],
            to: set.child[f as usize],
            closure_episode: c,
            referral_episode: f,
        })
        .collect();
    pairs.sort_unstable();
    stats.pairs = pairs.len() as u64;
    (pairs, stats)
}

/// `linkage` with each pair's two children joined. Children keep the canonical order:
/// a merged child takes the place of the smallest child it joins, so numbering still
/// depends on the identifiers alone. `stats` stay those of the identifier linkage,
/// except the number of children. A copy: [`join_pairs`] joins in place.
pub fn merge_pairs(linkage: &Linkage, pairs: &[TransferPair]) -> Linkage {
    let mut merged = linkage.clone();
    join_pairs(&mut merged, pairs);
    merged
}

/// [`merge_pairs`] in place: `linkage`'s children renumbered, the pairs joined. Returns
/// the renumbering and the joined children's rows with their children before the join,
/// what [`crate::rededuplicate_joined`] and the child table's rebuild need, so the
/// linkage before the join need not be kept.
pub fn join_pairs(linkage: &mut Linkage, pairs: &[TransferPair]) -> (Renumbering, JoinedRows) {
    let renumbering = Renumbering::of_pairs(linkage.n_children, pairs);
    let new_of_old = &renumbering.new_of_old;
    let (rows, old): (Vec<u32>, Vec<ChildId>) = linkage
        .child_of_row
        .par_iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let c = c.get()?;
            renumbering
                .joined(ChildId(new_of_old[c.index()]))
                .then_some((i as u32, c))
        })
        .unzip();
    linkage.child_of_row.par_iter_mut().for_each(|c| {
        if let Some(old) = c.get() {
            *c = RowChild::new(Some(ChildId(new_of_old[old.index()])));
        }
    });
    let n = renumbering.members.len();
    linkage.n_children = n;
    linkage.stats.children = n as u64;
    (renumbering, JoinedRows { rows, old })
}

/// The rows of the children a join made of two or more, each with its child before the
/// join.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JoinedRows {
    /// The rows, ascending.
    pub rows: Vec<u32>,
    /// Each row's child before the join.
    pub old: Vec<ChildId>,
}

impl JoinedRows {
    /// The joined rows of `merged`, `linkage` with some children joined as `renumbering`
    /// says, with their children in `linkage`.
    pub fn between(linkage: &Linkage, merged: &Linkage, renumbering: &Renumbering) -> JoinedRows {
        let (rows, old) = linkage
            .child_of_row
            .par_iter()
            .zip(&merged.child_of_row)
            .enumerate()
            .filter_map(|(i, (o, m))| match (o.get(), m.get()) {
                (Some(o), Some(m)) if renumbering.joined(m) => Some((i as u32, o)),
                _ => None,
            })
            .unzip();
        JoinedRows { rows, old }
    }
}

/// How [`merge_pairs`] renumbered children: each old child's new number and how many old
/// children each new one joins. What re-deduplication and re-building need to know which
/// children to redo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renumbering {
    /// The new number of each child of the identifier linkage (`u32::MAX`: it has no row).
    pub new_of_old: Vec<u32>,
    /// For each child of the merged linkage, how many old children it joins.
    pub members: Vec<u32>,
}

impl Renumbering {
    /// The renumbering from `linkage` to `merged`, read off their rows.
    pub fn between(linkage: &Linkage, merged: &Linkage) -> Renumbering {
        let mut new_of_old = vec![u32::MAX; linkage.n_children];
        for (o, n) in linkage.child_of_row.iter().zip(&merged.child_of_row) {
            if let (Some(o), Some(n)) = (o.get(), n.get()) {
                new_of_old[o.index()] = n.0;
            }
        }
        Renumbering::with_members(new_of_old, merged.n_children)
    }

    /// The renumbering that joins each pair's two children among `n` children: a joined
    /// child takes the place of the smallest child it joins.
    pub fn of_pairs(n: usize, pairs: &[TransferPair]) -> Renumbering {
        let mut uf = UnionFind::new(n);
        for p in pairs {
            uf.union(p.from.0, p.to.0);
        }
        // Pairs are few: only the children in one need the union-find.
        let mut smallest = vec![u32::MAX; n];
        for p in pairs {
            for c in [p.from.0, p.to.0] {
                let r = uf.find(c) as usize;
                smallest[r] = smallest[r].min(c);
            }
        }
        let mut new_of_old = vec![u32::MAX; n];
        let mut next = 0u32;
        for c in 0..n as u32 {
            let r = uf.find(c) as usize;
            if smallest[r] == u32::MAX || smallest[r] == c {
                new_of_old[c as usize] = next;
                next += 1;
            } else {
                new_of_old[c as usize] = new_of_old[smallest[r] as usize];
            }
        }
        Renumbering::with_members(new_of_old, next as usize)
    }

    fn with_members(new_of_old: Vec<u32>, n_new: usize) -> Renumbering {
        let mut members = vec![0u32; n_new];
        for &n in new_of_old.iter().filter(|n| **n != u32::MAX) {
            members[n as usize] += 1;
        }
        Renumbering {
            new_of_old,
            members,
        }
    }

    /// Whether merged child `c` joins two or more old children.
    pub fn joined(&self, c: ChildId) -> bool {
        self.members[c.index()] > 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traits(birth: (i16, u8), sex: Sex, eth: &str, pmr: Option<IdRef>) -> ChildTraits {
        ChildTraits {
            birth: Some(birth),
            sex: Some(sex),
            ethnicity: Ethnicity::from_code(eth),
            pmr,
            decile: Some(3),
        }
    }

    /// The rule on a whole set.
    fn pairs_of(s: &EpisodeSet, t: &[ChildTraits]) -> (Vec<TransferPair>, TransferStats) {
        transfer_pairs(s, &TransferInputs::of(s), |c| t[c])
    }

    #[test]
    fn the_rule_reads_only_the_childs_and_referral_dates_of_the_set_beside_its_inputs() {
        let s = set(&[
            (0, d(2014, 1, 10), Some(d(2014, 6, 1)), Some(5), 201),
            (0, d(2014, 3, 10), Some(d(2014, 5, 1)), Some(1), 201),
            (1, d(2014, 7, 10), None, None, 305),
            (1, d(2014, 9, 10), Some(d(2014, 10, 1)), Some(5), 306),
            (2, d(2014, 11, 1), None, None, 307),
        ]);
        let inputs = TransferInputs::of(&s);
        let closure = |episode, closure, la| TransferClosure {
            episode,
            closure,
            la,
        };
        assert_eq!(
            inputs.closures,
            [
                closure(0, d(2014, 6, 1), 201),
                closure(3, d(2014, 10, 1), 306)
            ]
        );
        assert_eq!(inputs.first_la, [Some(201), Some(305), Some(307)]);
        let t = [traits((2012, 3), Sex::Male, "WBRI", None); 3];
        let want = pairs_of(&s, &t);
        assert_eq!(want.0.len(), 2, "0 -> 1 and 1 -> 2");
        let mut bare = s.clone();
        bare.la.clear();
        bare.closure.clear();
        bare.reason_for_closure.clear();
        assert_eq!(transfer_pairs(&bare, &inputs, |c| t[c]), want);
    }

    #[test]
    fn traits_take_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<ChildTraits>(), 16);
    }

    /// Episodes: (child, referral, closure, reason, la), already in child then referral
    /// order as a deduplicated set is.
    type Spec = (u32, Date, Option<Date>, Option<u8>, u16);

    fn set(rows: &[Spec]) -> EpisodeSet {
        let mut s = EpisodeSet::default();
        for &(c, r, cl, rc, la) in rows {
            s.child.push(ChildId(c));
            s.referral.push(r);
            s.closure.push(cl);
            s.reason_for_closure.push(rc);
            s.la.push(Some(la));
        }
        s
    }

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::ymd(y, m, day)
    }

    #[test]
    fn a_transfer_closure_followed_by_a_first_referral_elsewhere_is_a_pair() {
        let s = set(&[
            (0, d(2014, 1, 10), Some(d(2014, 6, 1)), Some(5), 201),
            (1, d(2014, 7, 10), None, None, 305),
        ]);
        let t = [traits((2012, 3), Sex::Male, "WBRI", None); 2];
        let (pairs, stats) = pairs_of(&s, &t);
        assert_eq!(pairs.len(), 1);
        assert_eq!((pairs[0].from, pairs[0].to), (ChildId(0), ChildId(1)));
        assert_eq!(stats.transfer_closures, 1);
        assert_eq!(stats.pairs, 1);
    }

    #[test]
    fn the_rule_needs_the_window_another_la_agreeing_traits_and_no_rival_pmr() {
        let base = |ref_date: Date, la: u16| {
            set(&[
                (0, d(2014, 1, 10), Some(d(2014, 6, 1)), Some(5), 201),
                (1, ref_date, None, None, la),
            ])
        };
        let same = [traits((2012, 3), Sex::Male, "WBRI", None); 2];
        // 57 days after: outside the window; 56 days: inside.
        assert_eq!(pairs_of(&base(d(2014, 7, 28), 305), &same).0.len(), 0);
        assert_eq!(pairs_of(&base(d(2014, 7, 27), 305), &same).0.len(), 1);
        // Before the closure: not a transfer.
        assert_eq!(pairs_of(&base(d(2014, 5, 31), 305), &same).0.len(), 0);
        // The same LA: a new ID on return is not what this rule looks for.
        assert_eq!(pairs_of(&base(d(2014, 7, 1), 201), &same).0.len(), 0);
        let s = base(d(2014, 7, 1), 305);
        let mut t = same;
        t[1].birth = Some((2012, 4));
        assert_eq!(pairs_of(&s, &t).0.len(), 0, "birth month differs");
        let mut t = same;
        t[1].sex = Some(Sex::Female);
        assert_eq!(pairs_of(&s, &t).0.len(), 0, "sex differs");
        let mut t = same;
        t[1].decile = Some(5);
        assert_eq!(pairs_of(&s, &t).0.len(), 0, "areas far apart");
        t[1].decile = Some(4);
        assert_eq!(pairs_of(&s, &t).0.len(), 1, "a neighbouring decile is fine");
        let mut t = same;
        t[1].ethnicity = None;
        assert_eq!(pairs_of(&s, &t).0.len(), 0, "ethnicity unknown");
        let mut t = same;
        t[0].pmr = Some(IdRef::from_index(1));
        t[1].pmr = Some(IdRef::from_index(2));
        assert_eq!(pairs_of(&s, &t).0.len(), 0, "two PMRs: two children");
        t[0].pmr = None;
        assert_eq!(pairs_of(&s, &t).0.len(), 1, "one PMR is fine");
        // A child referred again after its transfer closure did not leave.
        let stayed = set(&[
            (0, d(2014, 1, 10), Some(d(2014, 6, 1)), Some(5), 201),
            (0, d(2014, 6, 20), None, None, 201),
            (1, d(2014, 7, 1), None, None, 305),
        ]);
        assert_eq!(pairs_of(&stayed, &same).0.len(), 0, "stayed");
        // Only RC5 closures.
        let mut s = s;
        s.reason_for_closure[0] = Some(1);
        assert_eq!(pairs_of(&s, &same).0.len(), 0);
    }

    #[test]
    fn only_a_first_referral_can_follow_and_matches_must_be_unique_both_ways() {
        // Child 1's referral after the closure is its second: no pair.
        let s = set(&[
            (0, d(2014, 1, 10), Some(d(2014, 6, 1)), Some(5), 201),
            (1, d(2013, 1, 1), None, None, 305),
            (1, d(2014, 7, 1), None, None, 305),
        ]);
        let t = [traits((2012, 3), Sex::Male, "WBRI", None); 2];
        assert_eq!(pairs_of(&s, &t).0.len(), 0);
        // Two agreeing referrals after one closure: ambiguous, no pair.
        let s = set(&[
            (0, d(2014, 1, 10), Some(d(2014, 6, 1)), Some(5), 201),
            (1, d(2014, 7, 1), None, None, 305),
            (2, d(2014, 7, 2), None, None, 306),
        ]);
        let t = [traits((2012, 3), Sex::Male, "WBRI", None); 3];
        let (pairs, stats) = pairs_of(&s, &t);
        assert!(pairs.is_empty());
        assert_eq!(stats.candidate_matches, 2);
        assert_eq!(stats.closures_with_candidates, 1);
        // Two closures before one referral: ambiguous the other way.
        let s = set(&[
            (0, d(2014, 1, 10), Some(d(2014, 6, 1)), Some(5), 201),
            (1, d(2014, 2, 10), Some(d(2014, 6, 3)), Some(5), 202),
            (2, d(2014, 7, 1), None, None, 305),
        ]);
        assert!(pairs_of(&s, &t).0.is_empty());
    }

    #[test]
    fn merging_keeps_canonical_numbering() {
        use cumin_census::{CensusYear, EpisodeRow, Episodes};
        let mut e = Episodes::new();
        for (i, id) in ["A", "B", "C", "D"].iter().enumerate() {
            let mut r = EpisodeRow::empty(0, i as u32 + 1, CensusYear(2014));
            r.la_child_id = Some((*id).to_owned());
            r.la = Some(200 + i as u16);
            e.push(r);
        }
        let l = crate::link(&e, &crate::LinkOptions::default());
        assert_eq!(l.n_children, 4);
        let pair = |a, b| TransferPair {
            from: ChildId(a),
            to: ChildId(b),
            closure_episode: 0,
            referral_episode: 0,
        };
        let m = merge_pairs(&l, &[pair(3, 1)]);
        assert_eq!(m.n_children, 3);
        let c: Vec<u32> = m.child_of_row.iter().map(|c| c.get().unwrap().0).collect();
        assert_eq!(c, [0, 1, 2, 1]);
        assert_eq!(m.stats.children, 3);
        // No pairs: nothing changes.
        assert_eq!(merge_pairs(&l, &[]).child_of_row, l.child_of_row);
    }
}
