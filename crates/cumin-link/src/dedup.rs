//! One episode, one record: joining the rows an open episode leaves in each census year.
//!
//! Rows of the same child with the same referral date are one episode. Where the rows
//! disagree, the latest census year's non-missing value wins (an episode's later rows
//! hold its closure, its outcome, its plan). An imputed referral date (1 September) is
//! kept apart from a real date on the same day: they are different evidence.

use crate::identity::{ChildId, Linkage};
use crate::order::{rows_grouped_by_child, sort_rows_by_key};
use crate::packed::RowEpisode;
use crate::transfer::{JoinedRows, Renumbering};
use cumin_census::{CensusYear, Date, Episodes};
use rayon::prelude::*;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::Relaxed;

/// De-duplicated episodes, sorted by child then referral date.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EpisodeSet {
    /// The child.
    pub child: Vec<ChildId>,
    /// Referral date.
    pub referral: Vec<Date>,
    /// Whether the referral date was imputed.
    pub referral_imputed: Vec<bool>,
    /// Closure date.
    pub closure: Vec<Option<Date>>,
    /// Referral closed with no further action (latest recorded value).
    pub nfa: Vec<Option<bool>>,
    /// Reason for closure (1..9; 0 = a non-RC value kept under strict rules).
    pub reason_for_closure: Vec<Option<u8>>,
    /// Assessment start.
    pub assessment_start: Vec<Option<Date>>,
    /// Section 47 enquiry start.
    pub s47_start: Vec<Option<Date>>,
    /// Initial child protection conference.
    pub initial_cpc: Vec<Option<Date>>,
    /// Child protection plan start.
    pub cpp_start: Vec<Option<Date>>,
    /// Local authority (latest non-missing).
    pub la: Vec<Option<u16>>,
    /// IDACI decile (latest non-missing).
    pub idaci_decile: Vec<Option<u8>>,
    /// Whether any row of the episode was identified by PMR.
    pub pmr_identified: Vec<bool>,
    /// First census year the episode appears in.
    pub first_census_year: Vec<CensusYear>,
    /// Number of rows merged into the episode.
    pub rows: Vec<u32>,
    /// Index of the episode's last (latest census year) row in the episode table.
    pub last_row: Vec<u32>,
    /// For every row of the episode table, the episode it joined (none: unlinked row);
    /// four bytes a row.
    pub episode_of_row: Vec<RowEpisode>,
}

/// Counts of what de-duplication merged.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DedupStats {
    /// Rows in.
    pub rows: u64,
    /// Episodes out.
    pub episodes: u64,
    /// Episodes built from more than one row.
    pub episodes_merged: u64,
    /// Episodes whose rows disagreed on `ReferralNFA`.
    pub nfa_disagreements: u64,
    /// Episodes whose rows disagreed on the reason for closure.
    pub reason_disagreements: u64,
    /// Rows folded into another row's episode (`rows - episodes`).
    pub rows_merged: u64,
    /// Episodes whose rows gave different closure dates.
    pub closure_disagreements: u64,
    /// Episodes whose referral date was imputed (1 September).
    pub imputed_referral: u64,
    /// Of those, episodes kept apart from a real referral of the same child on that day.
    pub imputed_beside_real: u64,
}

impl EpisodeSet {
    /// Number of episodes.
    pub fn len(&self) -> usize {
        self.child.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.child.is_empty()
    }

    /// The range of episode indices belonging to each child, in child order.
    pub fn by_child(&self) -> impl Iterator<Item = (ChildId, std::ops::Range<usize>)> + '_ {
        let mut start = 0;
        std::iter::from_fn(move || {
            if start >= self.len() {
                return None;
            }
            let c = self.child[start];
            let mut end = start + 1;
            while end < self.len() && self.child[end] == c {
                end += 1;
            }
            let r = start..end;
            start = end;
            Some((c, r))
        })
    }
}

/// The linked rows grouped by child: child `c`'s rows are `order[start[c]..start[c + 1]]`,
/// in the order de-duplication sorted them (referral date, imputation, census year,
/// content). What [`deduplicate_grouped`] hands on, so that a later pass over each
/// child's rows (the child table) re-sorts them within each child instead of counting
/// every row into place again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChildRows {
    /// The linked rows, child by child.
    pub order: Vec<u32>,
    /// Where each child's rows start in `order` (one more entry than children).
    pub start: Vec<u32>,
}

impl ChildRows {
    /// Child `c`'s rows.
    pub fn rows(&self, c: usize) -> &[u32] {
        &self.order[self.start[c] as usize..self.start[c + 1] as usize]
    }
}

/// Joins the rows of each (child, referral date) into one episode. Rows the linkage left
/// without a child are skipped (the caller accounts for them).
pub fn deduplicate(episodes: &Episodes, linkage: &Linkage) -> (EpisodeSet, DedupStats) {
    let (set, stats, _) = deduplicate_grouped(episodes, linkage);
    (set, stats)
}

/// [`deduplicate`], and the rows grouped by child as it sorted them.
pub fn deduplicate_grouped(
    episodes: &Episodes,
    linkage: &Linkage,
) -> (EpisodeSet, DedupStats, ChildRows) {
    let (order, start) = rows_by_child(episodes, linkage);
    let child_of = |i: u32| linkage.child_of(i as usize);
    let (mut set, stats, bounds) =
        dedup_order(episodes, (&child_of, &linkage.pmr_identified), &order);
    // Each row's episode, written from every core: rows of distinct episodes are
    // distinct, so no slot is written twice.
    let episode_of_row: Vec<AtomicU32> = (0..episodes.len())
        .into_par_iter()
        .map(|_| AtomicU32::new(u32::MAX))
        .collect();
    bounds.par_windows(2).enumerate().for_each(|(e, w)| {
        for &i in &order[w[0] as usize..w[1] as usize] {
            episode_of_row[i as usize].store(e as u32, Relaxed);
        }
    });
    // Converted where it lies (a serial map between types of one size and alignment
    // reuses the allocation): no second table of four bytes a row beside it.
    set.episode_of_row = episode_of_row
        .into_iter()
        .map(|e| RowEpisode::new(Some(e.into_inner()).filter(|e| *e != u32::MAX)))
        .collect();
    (set, stats, ChildRows { order, start })
}

/// The episode set of `merged`, the linkage `linkage` with some of its children joined
/// (as [`crate::merge_pairs`] makes it), from `set` and `stats`, what [`deduplicate`]
/// made of `linkage`. Only the joined children's rows are de-duplicated again; every other
/// child's episodes depend on its rows alone and are copied under its new number. The
/// result equals `deduplicate(episodes, merged)`; it costs a pass over the rows and the
/// episodes instead of a sort of every row. `set` is consumed: each of its columns is
/// dropped as soon as the result's is built, so the two sets are never whole together.
pub fn rededuplicate(
    episodes: &Episodes,
    linkage: &Linkage,
    set: EpisodeSet,
    stats: &DedupStats,
    merged: &Linkage,
) -> (EpisodeSet, DedupStats) {
    let renumbering = Renumbering::between(linkage, merged);
    let joined = JoinedRows::between(linkage, merged, &renumbering);
    rededuplicate_joined(episodes, (&renumbering, &joined), set, stats, merged)
}

/// [`rededuplicate`] after [`crate::join_pairs`], from what it returns (the renumbering
/// and the joined children's rows with their children before the join) instead of the
/// linkage before the join.
pub fn rededuplicate_joined(
    episodes: &Episodes,
    (renumbering, joined_rows): (&Renumbering, &JoinedRows),
    set: EpisodeSet,
    stats: &DedupStats,
    merged: &Linkage,
) -> (EpisodeSet, DedupStats) {
    let joined = |c: ChildId| renumbering.joined(c);
    // The joined children's rows, de-duplicated under one linkage or the other.
    let redo = |child_of: &(dyn Fn(u32) -> Option<ChildId> + Sync)| {
        let mut order = joined_rows.rows.clone();
        sort_rows_by_key(episodes, &mut order, |i| {
            let i = i as usize;
            (
                child_of(i as u32).map(|c| c.0),
                episodes.referral[i],
                episodes.referral_imputed[i],
                episodes.census_year[i],
            )
        });
        let (sub, stats, bounds) =
            dedup_order(episodes, (child_of, &merged.pmr_identified), &order);
        (sub, stats, bounds, order)
    };
    let (_, before, _, _) = redo(&|i| joined_rows.old_child(i));
    let (sub, after, sub_bounds, sub_order) = redo(&|i| merged.child_of(i as usize));
    // The result in runs: episodes of `set` whose children joined nobody (consecutive
    // children's episodes are consecutive in `set`, so few runs), and each joined child's
    // episodes from `sub`, which take the place of its smallest member (`merge_pairs`
    // numbers children so, so the merged children come in order too).
    let mut runs: Vec<(Source, std::ops::Range<usize>)> = Vec::new();
    let mut next_sub = 0;
    for (old, range) in set.by_child() {
        let new = ChildId(renumbering.new_of_old[old.index()]);
        if joined(new) {
            let from = next_sub;
            while next_sub < sub.len() && sub.child[next_sub] == new {
                next_sub += 1;
            }
            if next_sub > from {
                runs.push((Source::Sub, from..next_sub));
            }
        } else {
            match runs.last_mut() {
                Some((Source::Set, r)) if r.end == range.start => r.end = range.end,
                _ => runs.push((Source::Set, range)),
            }
        }
    }
    debug_assert_eq!(next_sub, sub.len(), "every joined child placed");
    let out = splice_runs(set, &sub, &runs, renumbering, (&sub_order, &sub_bounds));
    (out, stats.minus(&before).plus(&after))
}

/// The episode set made of `runs` of `set` and `sub` (the joined children's episodes,
/// de-duplicated again, `sub_rows` their rows in order and each episode's bounds in
/// it), children renumbered; each column of `set` is dropped once the result's is built.
fn splice_runs(
    mut set: EpisodeSet,
    sub: &EpisodeSet,
    runs: &[(Source, std::ops::Range<usize>)],
    renumbering: &Renumbering,
    (sub_order, sub_bounds): (&[u32], &[u32]),
) -> EpisodeSet {
    let len: usize = runs.iter().map(|(_, r)| r.len()).sum();
    // Where each episode of `set` and of `sub` went.
    let mut remap = vec![u32::MAX; set.len()];
    let mut sub_remap = vec![u32::MAX; sub.len()];
    let mut at = 0u32;
    for (source, r) in runs {
        let to = match source {
            Source::Set => &mut remap[r.clone()],
            Source::Sub => &mut sub_remap[r.clone()],
        };
        for (k, x) in to.iter_mut().enumerate() {
            *x = at + k as u32;
        }
        at += r.len() as u32;
    }
    let new_child = |c: &ChildId| ChildId(renumbering.new_of_old[c.index()]);

    let mut child = Vec::with_capacity(len);
    for (source, r) in runs {
        match source {
            Source::Set => child.extend(set.child[r.clone()].iter().map(new_child)),
            Source::Sub => child.extend_from_slice(&sub.child[r.clone()]),
        }
    }
    set.child = Vec::new();
    // Each column built from the runs, the old one dropped before the next is built.
    macro_rules! splice_runs {
        ($col:ident) => {{
            let mut out = Vec::with_capacity(len);
            for (source, r) in runs {
                match source {
                    Source::Set => out.extend_from_slice(&set.$col[r.clone()]),
                    Source::Sub => out.extend_from_slice(&sub.$col[r.clone()]),
                }
            }
            set.$col = Vec::new();
            out
        }};
    }
    let mut out = EpisodeSet {
        child,
        referral: splice_runs!(referral),
        referral_imputed: splice_runs!(referral_imputed),
        closure: splice_runs!(closure),
        nfa: splice_runs!(nfa),
        reason_for_closure: splice_runs!(reason_for_closure),
        assessment_start: splice_runs!(assessment_start),
        s47_start: splice_runs!(s47_start),
        initial_cpc: splice_runs!(initial_cpc),
        cpp_start: splice_runs!(cpp_start),
        la: splice_runs!(la),
        idaci_decile: splice_runs!(idaci_decile),
        pmr_identified: splice_runs!(pmr_identified),
        first_census_year: splice_runs!(first_census_year),
        rows: splice_runs!(rows),
        last_row: splice_runs!(last_row),
        episode_of_row: Vec::new(),
    };
    let mut episode_of_row = std::mem::take(&mut set.episode_of_row);
    episode_of_row.par_iter_mut().for_each(|e| {
        *e = RowEpisode::new(
            e.get()
                .map(|e| remap[e as usize])
                .filter(|e| *e != u32::MAX),
        );
    });
    out.episode_of_row = episode_of_row;
    for (k, w) in sub_bounds.windows(2).enumerate() {
        for &i in &sub_order[w[0] as usize..w[1] as usize] {
            out.episode_of_row[i as usize] = RowEpisode::some(sub_remap[k]);
        }
    }
    out
}

/// Which set a run of [`rededuplicate`]'s result is copied from.
#[derive(Clone, Copy)]
enum Source {
    /// The set given (children that joined nobody).
    Set,
    /// The joined children's episodes, de-duplicated again.
    Sub,
}

impl DedupStats {
    /// Field by field, `self` with `f` applied to each pair of counts.
    fn zip(&self, o: &DedupStats, f: impl Fn(u64, u64) -> u64) -> DedupStats {
        DedupStats {
            rows: f(self.rows, o.rows),
            episodes: f(self.episodes, o.episodes),
            episodes_merged: f(self.episodes_merged, o.episodes_merged),
            nfa_disagreements: f(self.nfa_disagreements, o.nfa_disagreements),
            reason_disagreements: f(self.reason_disagreements, o.reason_disagreements),
            rows_merged: f(self.rows_merged, o.rows_merged),
            closure_disagreements: f(self.closure_disagreements, o.closure_disagreements),
            imputed_referral: f(self.imputed_referral, o.imputed_referral),
            imputed_beside_real: f(self.imputed_beside_real, o.imputed_beside_real),
        }
    }

    /// The counts of `self` less those of a part of it.
    fn minus(&self, part: &DedupStats) -> DedupStats {
        self.zip(part, |a, b| a - b)
    }

    /// The counts of `self` and another part together (every count is a sum over
    /// children, so disjoint parts add).
    fn plus(&self, part: &DedupStats) -> DedupStats {
        self.zip(part, |a, b| a + b)
    }
}

/// The episodes of the linked rows in `order` (grouped by child, each child's rows as
/// [`rows_by_child`] orders them; `child_of` gives a row's child, `pmr_identified` whether
/// each row is identified by PMR), without `episode_of_row`, and the bounds of each
/// episode's rows in `order`.
fn dedup_order<F: Fn(u32) -> Option<ChildId> + Sync + ?Sized>(
    episodes: &Episodes,
    (child_of, pmr_identified): (&F, &[bool]),
    order: &[u32],
) -> (EpisodeSet, DedupStats, Vec<u32>) {
    // Column by column: each input column is gathered into episode order once (the
    // gathers are independent reads, so memory latency overlaps), reduced per episode,
    // and dropped before the next, so at most one gathered column is held at a time.
    let child: Vec<Option<ChildId>> = order.par_iter().map(|&i| child_of(i)).collect();
    let referral = gather(&episodes.referral, order);
    let imputed = gather(&episodes.referral_imputed, order);
    // Where each episode starts (rayon keeps the order of a filtered collect).
    let mut bounds: Vec<u32> = (0..order.len())
        .into_par_iter()
        .filter(|&j| {
            j == 0
                || (child[j], referral[j], imputed[j])
                    != (child[j - 1], referral[j - 1], imputed[j - 1])
        })
        .map(|j| j as u32)
        .collect();
    bounds.push(order.len() as u32);
    let starts = &bounds[..bounds.len() - 1];
    let mut set = EpisodeSet {
        child: starts
            .par_iter()
            .map(|&j| child[j as usize].expect("filtered to linked rows"))
            .collect(),
        referral: starts
            .par_iter()
            .map(|&j| referral[j as usize].expect("referral dates are filled at ingest"))
            .collect(),
        referral_imputed: starts.par_iter().map(|&j| imputed[j as usize]).collect(),
        ..EpisodeSet::default()
    };
    drop((child, referral, imputed));
    let n = set.child.len();
    let mut stats = DedupStats {
        rows: order.len() as u64,
        episodes: n as u64,
        episodes_merged: bounds.windows(2).filter(|w| w[1] - w[0] > 1).count() as u64,
        ..DedupStats::default()
    };
    let latest = |col| latest_per_episode(col, order, &bounds);
    set.assessment_start = latest(&episodes.assessment_start);
    set.s47_start = latest(&episodes.s47_start);
    set.initial_cpc = latest(&episodes.initial_cpc);
    set.cpp_start = latest(&episodes.cpp_start);
    set.la = latest_per_episode(&episodes.la, order, &bounds);
    set.idaci_decile = latest_per_episode(&episodes.idaci_decile, order, &bounds);
    (set.nfa, stats.nfa_disagreements) = latest_and_disagreements(&episodes.nfa, order, &bounds);
    (set.reason_for_closure, stats.reason_disagreements) =
        latest_and_disagreements(&episodes.reason_for_closure, order, &bounds);
    (set.closure, stats.closure_disagreements) =
        latest_and_disagreements(&episodes.closure, order, &bounds);
    let pmr = gather(pmr_identified, order);
    set.pmr_identified = bounds
        .par_windows(2)
        .map(|w| pmr[w[0] as usize..w[1] as usize].iter().any(|b| *b))
        .collect();
    drop(pmr);
    set.first_census_year = starts
        .par_iter()
        .map(|&j| episodes.census_year[order[j as usize] as usize])
        .collect();
    set.rows = bounds.par_windows(2).map(|w| w[1] - w[0]).collect();
    set.last_row = bounds[1..]
        .par_iter()
        .map(|&j| order[j as usize - 1])
        .collect();
    for e in 0..n {
        if set.referral_imputed[e] {
            stats.imputed_referral += 1;
            // The real referral on the same day, if any, sorts just before this episode.
            if e > 0
                && set.child[e - 1] == set.child[e]
                && set.referral[e - 1] == set.referral[e]
                && !set.referral_imputed[e - 1]
            {
                stats.imputed_beside_real += 1;
            }
        }
    }
    stats.rows_merged = stats.rows - stats.episodes;
    (set, stats, bounds)
}

/// `col` in the order of `order`, gathered in parallel.
fn gather<T: Copy + Send + Sync>(col: &[T], order: &[u32]) -> Vec<T> {
    order.par_iter().map(|&i| col[i as usize]).collect()
}

/// Per episode (rows `bounds[e]..bounds[e + 1]` of `order`, oldest first), the latest
/// non-missing value of `col`.
fn latest_per_episode<T: Copy + Send + Sync>(
    col: &[Option<T>],
    order: &[u32],
    bounds: &[u32],
) -> Vec<Option<T>> {
    let g = gather(col, order);
    bounds
        .par_windows(2)
        .map(|w| {
            g[w[0] as usize..w[1] as usize]
                .iter()
                .rev()
                .find_map(|v| *v)
        })
        .collect()
}

/// [`latest_per_episode`], and how many episodes' non-missing values disagree.
fn latest_and_disagreements<T: Copy + PartialEq + Send + Sync>(
    col: &[Option<T>],
    order: &[u32],
    bounds: &[u32],
) -> (Vec<Option<T>>, u64) {
    let g = gather(col, order);
    let per: Vec<(Option<T>, bool)> = bounds
        .par_windows(2)
        .map(|w| {
            let rows = &g[w[0] as usize..w[1] as usize];
            let mut values = rows.iter().filter_map(|v| *v);
            let disagree = values
                .next()
                .is_some_and(|first| values.any(|v| v != first));
            (rows.iter().rev().find_map(|v| *v), disagree)
        })
        .collect();
    let disagreements = per.iter().filter(|p| p.1).count() as u64;
    (per.into_iter().map(|p| p.0).collect(), disagreements)
}

/// Linked rows grouped by child (a counting sort: children are numbered densely), then
/// within each child by referral date, imputation, census year (later rows win) and
/// content — not by input position (but for rows of identical content), so the same rows
/// in any order or files give the same episodes. The result does not depend on threads.
fn rows_by_child(episodes: &Episodes, linkage: &Linkage) -> (Vec<u32>, Vec<u32>) {
    rows_grouped_by_child(episodes, linkage, |i| {
        let i = i as usize;
        (
            episodes.referral[i],
            episodes.referral_imputed[i],
            episodes.census_year[i],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::link;
    use crate::mode::LinkOptions;
    use cumin_census::EpisodeRow;

    #[test]
    fn rows_of_one_episode_merge_latest_wins() {
        let mut e = Episodes::new();
        let push = |e: &mut Episodes, year: i16, closure: Option<Date>, reason: Option<u8>| {
            let mut r = EpisodeRow::empty(0, e.len() as u32 + 1, CensusYear(year));
            r.la_child_id = Some("A1".into());
            r.la = Some(202);
            r.referral = Some(Date::ymd(2012, 10, 10));
            r.closure = closure;
            r.nfa = Some(false);
            r.reason_for_closure = reason;
            e.push(r);
        };
        push(&mut e, 2014, Some(Date::ymd(2013, 6, 1)), Some(2));
        push(&mut e, 2013, None, None);
        let mut other = EpisodeRow::empty(0, 3, CensusYear(2013));
        other.la_child_id = Some("A1".into());
        other.la = Some(202);
        other.referral = Some(Date::ymd(2012, 9, 1));
        other.referral_imputed = true;
        e.push(other);
        let mut real = EpisodeRow::empty(0, 4, CensusYear(2013));
        real.la_child_id = Some("A1".into());
        real.la = Some(202);
        real.referral = Some(Date::ymd(2012, 9, 1));
        e.push(real);

        let l = link(&e, &LinkOptions::default());
        let (set, stats) = deduplicate(&e, &l);
        assert_eq!(set.len(), 3, "imputed and real 1 September stay apart");
        assert_eq!(stats.episodes_merged, 1);
        assert_eq!(stats.rows_merged, 1);
        assert_eq!(
            stats.closure_disagreements, 0,
            "a closure missing earlier is no disagreement"
        );
        assert_eq!(stats.reason_disagreements, 0);
        assert_eq!((stats.imputed_referral, stats.imputed_beside_real), (1, 1));
        let i = set
            .referral
            .iter()
            .position(|d| *d == Date::ymd(2012, 10, 10))
            .unwrap();
        assert_eq!(set.closure[i], Some(Date::ymd(2013, 6, 1)));
        assert_eq!(set.reason_for_closure[i], Some(2));
        assert_eq!(set.rows[i], 2);
        assert_eq!(set.first_census_year[i], CensusYear(2013));
        assert_eq!(set.by_child().count(), 1);
    }
}
