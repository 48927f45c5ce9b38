//! One episode, one record: joining the rows an open episode leaves in each census year.
//!
//! Rows of the same child with the same referral date are one episode. Where the rows
//! disagree, the latest census year's non-missing value wins (an episode's later rows
//! hold its closure, its outcome, its plan). An imputed referral date (1 September) is
//! kept apart from a real date on the same day: they are different evidence.

use crate::identity::{ChildId, Linkage};
use crate::order::sort_rows_by_key;
use cumin_census::{CensusYear, Date, Episodes};

/// De-duplicated episodes, sorted by child then referral date.
#[derive(Clone, Debug, Default)]
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
    /// For every row of the episode table, the episode it joined (`None`: unlinked row).
    pub episode_of_row: Vec<Option<u32>>,
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

/// Joins the rows of each (child, referral date) into one episode. Rows the linkage left
/// without a child are skipped (the caller accounts for them).
pub fn deduplicate(episodes: &Episodes, linkage: &Linkage) -> (EpisodeSet, DedupStats) {
    let mut order: Vec<u32> = (0..episodes.len() as u32)
        .filter(|&i| linkage.child_of_row[i as usize].is_some())
        .collect();
    let key = |i: u32| {
        let i = i as usize;
        (
            linkage.child_of_row[i],
            episodes.referral[i],
            episodes.referral_imputed[i],
        )
    };
    // Within an episode, rows by census year (later rows win), then by content, never
    // by input position: the same rows in any order or files give the same episodes.
    sort_rows_by_key(episodes, &mut order, |i| {
        let (c, r, imp) = key(i);
        (c, r, imp, episodes.census_year[i as usize])
    });
    let mut set = EpisodeSet {
        episode_of_row: vec![None; episodes.len()],
        ..EpisodeSet::default()
    };
    let mut stats = DedupStats {
        rows: order.len() as u64,
        ..DedupStats::default()
    };
    let mut start = 0;
    while start < order.len() {
        let k = key(order[start]);
        let mut end = start + 1;
        while end < order.len() && key(order[end]) == k {
            end += 1;
        }
        let rows = &order[start..end];
        let latest =
            |col: &dyn Fn(usize) -> Option<Date>| rows.iter().rev().find_map(|&i| col(i as usize));
        let last = |col: &[Option<u8>]| rows.iter().rev().find_map(|&i| col[i as usize]);
        let nfa_values: Vec<bool> = rows
            .iter()
            .filter_map(|&i| episodes.nfa[i as usize])
            .collect();
        if nfa_values.windows(2).any(|w| w[0] != w[1]) {
            stats.nfa_disagreements += 1;
        }
        let reasons: Vec<u8> = rows
            .iter()
            .filter_map(|&i| episodes.reason_for_closure[i as usize])
            .collect();
        if reasons.windows(2).any(|w| w[0] != w[1]) {
            stats.reason_disagreements += 1;
        }
        let mut closures = rows.iter().filter_map(|&i| episodes.closure[i as usize]);
        if let Some(c0) = closures.next()
            && closures.any(|c| c != c0)
        {
            stats.closure_disagreements += 1;
        }
        if k.2 {
            stats.imputed_referral += 1;
            // The real referral on the same day, if any, sorts just before this episode.
            let previous = set.child.len().checked_sub(1);
            if previous.is_some_and(|p| {
                Some(set.child[p]) == k.0
                    && Some(set.referral[p]) == k.1
                    && !set.referral_imputed[p]
            }) {
                stats.imputed_beside_real += 1;
            }
        }
        let first = rows[0] as usize;
        set.child.push(k.0.expect("filtered to linked rows"));
        set.referral
            .push(k.1.expect("referral dates are filled at ingest"));
        set.referral_imputed.push(k.2);
        set.closure.push(latest(&|i| episodes.closure[i]));
        set.nfa.push(nfa_values.last().copied());
        set.reason_for_closure.push(reasons.last().copied());
        set.assessment_start
            .push(latest(&|i| episodes.assessment_start[i]));
        set.s47_start.push(latest(&|i| episodes.s47_start[i]));
        set.initial_cpc.push(latest(&|i| episodes.initial_cpc[i]));
        set.cpp_start.push(latest(&|i| episodes.cpp_start[i]));
        set.la
            .push(rows.iter().rev().find_map(|&i| episodes.la[i as usize]));
        set.idaci_decile.push(last(&episodes.idaci_decile));
        set.pmr_identified
            .push(rows.iter().any(|&i| linkage.pmr_identified[i as usize]));
        set.first_census_year.push(episodes.census_year[first]);
        set.rows.push((end - start) as u32);
        set.last_row.push(rows[rows.len() - 1]);
        let episode = (set.child.len() - 1) as u32;
        for &i in rows {
            set.episode_of_row[i as usize] = Some(episode);
        }
        if end - start > 1 {
            stats.episodes_merged += 1;
        }
        start = end;
    }
    stats.episodes = set.len() as u64;
    stats.rows_merged = stats.rows - stats.episodes;
    (set, stats)
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
