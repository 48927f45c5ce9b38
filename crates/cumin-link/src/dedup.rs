//! One episode, one record: joining the rows an open episode leaves in each census year.
//!
//! Rows of the same child with the same referral date are one episode. Where the rows
//! disagree, the latest census year's non-missing value wins (an episode's later rows
//! hold its closure, its outcome, its plan). An imputed referral date (1 September) is
//! kept apart from a real date on the same day: they are different evidence.

use crate::identity::{ChildId, Linkage};
use crate::order::rows_grouped_by_child;
use crate::packed::RowEpisode;
use crate::transfer::TransferInputs;
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
    deduplicate_keys(episodes, linkage).finish(LateColumns::of(episodes), &linkage.pmr_identified)
}

/// The row columns de-duplication reads last ([`Deduplicating::finish`]): nothing before
/// it (the child table, the transfer rule, which reads [`TransferInputs`]) reads the
/// first eight, so a run that frees its rows early can take them out of the table and
/// free the rest first; the census year and the IDACI decile (each episode's first census
/// year and latest decile) are read again by the finish, after the child table has read
/// them.
#[derive(Clone, Copy, Debug)]
pub struct LateColumns<'a> {
    /// Referral closed with no further action.
    pub nfa: &'a [Option<bool>],
    /// Assessment start.
    pub assessment_start: &'a [Option<Date>],
    /// Section 47 enquiry start.
    pub s47_start: &'a [Option<Date>],
    /// Initial child protection conference.
    pub initial_cpc: &'a [Option<Date>],
    /// Child protection plan start.
    pub cpp_start: &'a [Option<Date>],
    /// Local authority.
    pub la: &'a [Option<u16>],
    /// Closure date.
    pub closure: &'a [Option<Date>],
    /// Reason for closure.
    pub reason_for_closure: &'a [Option<u8>],
    /// Census year.
    pub census_year: &'a [CensusYear],
    /// IDACI decile.
    pub idaci_decile: &'a [Option<u8>],
}

impl<'a> LateColumns<'a> {
    /// The columns of `episodes`.
    pub fn of(episodes: &'a Episodes) -> LateColumns<'a> {
        LateColumns {
            nfa: &episodes.nfa,
            assessment_start: &episodes.assessment_start,
            s47_start: &episodes.s47_start,
            initial_cpc: &episodes.initial_cpc,
            cpp_start: &episodes.cpp_start,
            la: &episodes.la,
            closure: &episodes.closure,
            reason_for_closure: &episodes.reason_for_closure,
            census_year: &episodes.census_year,
            idaci_decile: &episodes.idaci_decile,
        }
    }
}

/// The first eight [`LateColumns`] taken out of a row table ([`TakenColumns::take`]):
/// owned, so the table's other columns can be freed while de-duplication still needs
/// these (the census year and IDACI decile stay in the table, which a run keeps).
#[derive(Clone, Debug, Default)]
pub struct TakenColumns {
    nfa: Vec<Option<bool>>,
    assessment_start: Vec<Option<Date>>,
    s47_start: Vec<Option<Date>>,
    initial_cpc: Vec<Option<Date>>,
    cpp_start: Vec<Option<Date>>,
    la: Vec<Option<u16>>,
    closure: Vec<Option<Date>>,
    reason_for_closure: Vec<Option<u8>>,
}

impl TakenColumns {
    /// Moves the late columns out of `episodes` (they are left empty there).
    pub fn take(episodes: &mut Episodes) -> TakenColumns {
        TakenColumns {
            nfa: std::mem::take(&mut episodes.nfa),
            assessment_start: std::mem::take(&mut episodes.assessment_start),
            s47_start: std::mem::take(&mut episodes.s47_start),
            initial_cpc: std::mem::take(&mut episodes.initial_cpc),
            cpp_start: std::mem::take(&mut episodes.cpp_start),
            la: std::mem::take(&mut episodes.la),
            closure: std::mem::take(&mut episodes.closure),
            reason_for_closure: std::mem::take(&mut episodes.reason_for_closure),
        }
    }

    /// The columns, as [`Deduplicating::finish`] reads them, with the census year and
    /// IDACI decile of `episodes` (the table they were taken from).
    pub fn columns<'a>(&'a self, episodes: &'a Episodes) -> LateColumns<'a> {
        LateColumns {
            nfa: &self.nfa,
            assessment_start: &self.assessment_start,
            s47_start: &self.s47_start,
            initial_cpc: &self.initial_cpc,
            cpp_start: &self.cpp_start,
            la: &self.la,
            closure: &self.closure,
            reason_for_closure: &self.reason_for_closure,
            census_year: &episodes.census_year,
            idaci_decile: &episodes.idaci_decile,
        }
    }
}

/// De-duplication half done ([`deduplicate_keys`]): the rows grouped by child, each
/// episode's rows found, the episode columns that the child table reads (child, referral
/// date and imputation) and what the transfer rule reads beside them ([`TransferInputs`]);
/// [`Deduplicating::finish`] adds the rest (LA, closure and its reason, each episode's
/// rows and last row, first census year and IDACI decile too: nothing before reads them)
/// from the [`LateColumns`].
#[derive(Clone, Debug, Default)]
pub struct Deduplicating {
    /// The episodes, without the late columns (empty until [`Deduplicating::finish`]).
    pub set: EpisodeSet,
    /// The counts, without the late columns' disagreements.
    pub stats: DedupStats,
    /// What the transfer rule reads of the episodes beside `set` (freed once it has run:
    /// the finish does not read it).
    pub transfer_inputs: TransferInputs,
    /// The linked rows grouped by child, in de-duplication's order.
    pub rows: ChildRows,
    /// Where each episode's rows start in `rows.order` (one more entry than episodes).
    bounds: Vec<u32>,
}

/// The first half of [`deduplicate_grouped`]: reads every column but the
/// [`LateColumns`] (all of them for ties between rows of equal key), none after.
pub fn deduplicate_keys(episodes: &Episodes, linkage: &Linkage) -> Deduplicating {
    let (order, start) = rows_by_child(episodes, linkage);
    let child_of = |i: u32| linkage.child_of(i as usize);
    let (set, stats, bounds) = dedup_keys(episodes, &child_of, &order);
    let rows_of = |e: usize| &order[bounds[e] as usize..bounds[e + 1] as usize];
    let rc5 = Some(cumin_census::codes::RC_TRANSFERRED);
    let transfer_inputs = TransferInputs::build(
        &set.child,
        |e| {
            let rows = rows_of(e);
            if latest_of(&episodes.reason_for_closure, rows) != rc5 {
                return None;
            }
            latest_of(&episodes.closure, rows).zip(latest_of(&episodes.la, rows))
        },
        |e| latest_of(&episodes.la, rows_of(e)),
    );
    Deduplicating {
        set,
        stats,
        transfer_inputs,
        rows: ChildRows { order, start },
        bounds,
    }
}

/// The latest non-missing value of `col` among `rows` (oldest first).
fn latest_of<T: Copy>(col: &[Option<T>], rows: &[u32]) -> Option<T> {
    rows.iter().rev().find_map(|&i| col[i as usize])
}

impl Deduplicating {
    /// The episode set and counts [`deduplicate_grouped`] returns, from the late columns
    /// and each row's PMR flag (`Linkage::pmr_identified`).
    pub fn finish(
        self,
        late: LateColumns<'_>,
        pmr_identified: &[bool],
    ) -> (EpisodeSet, DedupStats, ChildRows) {
        let Deduplicating {
            mut set,
            mut stats,
            rows,
            bounds,
            transfer_inputs: _,
        } = self;
        dedup_late(
            late,
            pmr_identified,
            &rows.order,
            &bounds,
            (&mut set, &mut stats),
        );
        // Each row's episode, written from every core: rows of distinct episodes are
        // distinct, so no slot is written twice.
        let episode_of_row: Vec<AtomicU32> = (0..pmr_identified.len())
            .into_par_iter()
            .map(|_| AtomicU32::new(u32::MAX))
            .collect();
        bounds.par_windows(2).enumerate().for_each(|(e, w)| {
            for &i in &rows.order[w[0] as usize..w[1] as usize] {
                episode_of_row[i as usize].store(e as u32, Relaxed);
            }
        });
        // Converted where it lies (a serial map between types of one size and alignment
        // reuses the allocation): no second table of four bytes a row beside it.
        set.episode_of_row = episode_of_row
            .into_iter()
            .map(|e| RowEpisode::new(Some(e.into_inner()).filter(|e| *e != u32::MAX)))
            .collect();
        (set, stats, rows)
    }
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
    pub(crate) fn minus(&self, part: &DedupStats) -> DedupStats {
        self.zip(part, |a, b| a - b)
    }

    /// The counts of `self` and another part together (every count is a sum over
    /// children, so disjoint parts add).
    pub(crate) fn plus(&self, part: &DedupStats) -> DedupStats {
        self.zip(part, |a, b| a + b)
    }
}

/// The episodes of the linked rows in `order` (grouped by child, each child's rows as
/// [`rows_by_child`] orders them; `child_of` gives a row's child, `pmr_identified` whether
/// each row is identified by PMR), without `episode_of_row`, and the bounds of each
/// episode's rows in `order`.
pub(crate) fn dedup_order<F: Fn(u32) -> Option<ChildId> + Sync + ?Sized>(
    episodes: &Episodes,
    (child_of, pmr_identified): (&F, &[bool]),
    order: &[u32],
) -> (EpisodeSet, DedupStats, Vec<u32>) {
    let (mut set, mut stats, bounds) = dedup_keys(episodes, child_of, order);
    let late = LateColumns::of(episodes);
    dedup_late(late, pmr_identified, order, &bounds, (&mut set, &mut stats));
    (set, stats, bounds)
}

/// Places of the grouping's order a core reads in one go when finding where episodes
/// start (each reads one key before its chunk again).
const BOUNDS_CHUNK: usize = 1 << 14;

/// [`dedup_order`]'s first half: the episodes' keys (child, referral date and its
/// imputation) and bounds.
fn dedup_keys<F: Fn(u32) -> Option<ChildId> + Sync + ?Sized>(
    episodes: &Episodes,
    child_of: &F,
    order: &[u32],
) -> (EpisodeSet, DedupStats, Vec<u32>) {
    // The key of each place in `order`, read from the rows where they lie (no column is
    // gathered into episode order: 13 bytes a row were held beside the rows).
    let key = |j: usize| {
        let i = order[j];
        let r = i as usize;
        (
            child_of(i),
            episodes.referral[r],
            episodes.referral_imputed[r],
        )
    };
    // Where each episode starts, chunk by chunk on every core (rayon keeps the order of
    // the chunks), each key read once but the one before each chunk.
    let mut bounds: Vec<u32> = order
        .par_chunks(BOUNDS_CHUNK)
        .enumerate()
        .flat_map_iter(|(c, rows)| {
            let base = c * BOUNDS_CHUNK;
            let mut prev = base.checked_sub(1).map(key);
            (base..base + rows.len()).filter(move |&j| {
                let k = Some(key(j));
                let starts = k != prev;
                prev = k;
                starts
            })
        })
        .map(|j| j as u32)
        .collect();
    bounds.push(order.len() as u32);
    let starts = &bounds[..bounds.len() - 1];
    let set = EpisodeSet {
        child: starts
            .par_iter()
            .map(|&j| child_of(order[j as usize]).expect("filtered to linked rows"))
            .collect(),
        referral: starts
            .par_iter()
            .map(|&j| {
                episodes.referral[order[j as usize] as usize]
                    .expect("referral dates are filled at ingest")
            })
            .collect(),
        referral_imputed: starts
            .par_iter()
            .map(|&j| episodes.referral_imputed[order[j as usize] as usize])
            .collect(),
        ..EpisodeSet::default()
    };
    let n = set.child.len();
    let mut stats = DedupStats {
        rows: order.len() as u64,
        episodes: n as u64,
        episodes_merged: bounds.windows(2).filter(|w| w[1] - w[0] > 1).count() as u64,
        ..DedupStats::default()
    };
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

/// [`dedup_order`]'s second half: the [`LateColumns`]' episode columns (the first
/// census year and the latest IDACI decile of their two), each episode's rows and last
/// row, and whether any row of each episode is identified by PMR, into `set` (and the NFA,
/// reason and closure disagreements into `stats`).
fn dedup_late(
    late: LateColumns<'_>,
    pmr_identified: &[bool],
    order: &[u32],
    bounds: &[u32],
    (set, stats): (&mut EpisodeSet, &mut DedupStats),
) {
    set.la = latest_per_episode(late.la, order, bounds);
    (set.reason_for_closure, stats.reason_disagreements) =
        latest_and_disagreements(late.reason_for_closure, order, bounds);
    (set.closure, stats.closure_disagreements) =
        latest_and_disagreements(late.closure, order, bounds);
    set.assessment_start = latest_per_episode(late.assessment_start, order, bounds);
    set.s47_start = latest_per_episode(late.s47_start, order, bounds);
    set.initial_cpc = latest_per_episode(late.initial_cpc, order, bounds);
    set.cpp_start = latest_per_episode(late.cpp_start, order, bounds);
    (set.nfa, stats.nfa_disagreements) = latest_and_disagreements(late.nfa, order, bounds);
    set.idaci_decile = latest_per_episode(late.idaci_decile, order, bounds);
    set.first_census_year = bounds[..bounds.len() - 1]
        .par_iter()
        .map(|&j| late.census_year[order[j as usize] as usize])
        .collect();
    set.rows = bounds.par_windows(2).map(|w| w[1] - w[0]).collect();
    set.last_row = bounds[1..]
        .par_iter()
        .map(|&j| order[j as usize - 1])
        .collect();
    let pmr = gather(pmr_identified, order);
    set.pmr_identified = bounds
        .par_windows(2)
        .map(|w| pmr[w[0] as usize..w[1] as usize].iter().any(|b| *b))
        .collect();
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
        .map(|w| latest_in(&g[w[0] as usize..w[1] as usize]))
        .collect()
}

/// The last non-missing value of `values`.
fn latest_in<T: Copy>(values: &[Option<T>]) -> Option<T> {
    values.iter().rev().find_map(|v| *v)
}

/// [`latest_per_episode`], and how many episodes' non-missing values disagree.
fn latest_and_disagreements<T: Copy + PartialEq + Send + Sync>(
    col: &[Option<T>],
    order: &[u32],
    bounds: &[u32],
) -> (Vec<Option<T>>, u64) {
    let g = gather(col, order);
    // Two passes over the gathered column (read in order), so no per-episode pair is
    // held beside the values.
    let disagreements = bounds
        .par_windows(2)
        .filter(|w| {
            let mut values = g[w[0] as usize..w[1] as usize].iter().filter_map(|v| *v);
            values
                .next()
                .is_some_and(|first| values.any(|v| v != first))
        })
        .count() as u64;
    let latest = bounds
        .par_windows(2)
        .map(|w| latest_in(&g[w[0] as usize..w[1] as usize]))
        .collect();
    (latest, disagreements)
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
