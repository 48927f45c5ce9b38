//! Who is who, once: [`identify`] links the rows, de-duplicates them into episodes, builds
//! the children and runs the transfer rule, joining its pairs when the linkage mode asks.
//! The main run, every identifier mode of the sensitivity analysis and the Jay presets'
//! corrected splice all take their children from here.
//!
//! It lives in this crate because a child's identity includes its notional birth date
//! (the transfer rule compares birth months, and a joined child's date is rebuilt from
//! the rows of both), and this is the lowest crate that knows both linkage
//! (`cumin-link`) and children.

use crate::children::{BirthRules, ChildTable, build_children_grouped, rebuild_joined_children};
use crate::events::{CppEventDate, EventRules};
use cumin_census::{Date, Episodes, IdRef};
use cumin_link::{
    ChildTraits, DedupStats, EpisodeSet, IdIndex, IdMode, LinkOptions, LinkStats, Linkage,
    LinkageMode, TransferStats,
};
use rayon::prelude::*;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::Relaxed;

/// How to decide who is who.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdentitySpec {
    /// Which identifiers tie rows together, and what conflicting ones do.
    pub link: LinkOptions,
    /// What is done about split identities (`merge` and `corrected` join the transfer
    /// rule's pairs).
    pub linkage: LinkageMode,
    /// Birth dates and ages.
    pub birth: BirthRules,
}

impl IdentitySpec {
    /// The identifier mode.
    pub fn id_mode(&self) -> IdMode {
        self.link.mode
    }

    /// Whether `other` gives the same children as this spec (so one identity serves
    /// both, [`Identity::relabelled`]): equal but for identifier modes that link alike.
    pub fn links_like(&self, other: &IdentitySpec) -> bool {
        let as_linked = |s: &IdentitySpec| IdentitySpec {
            link: LinkOptions {
                mode: s.link.mode.links_as(),
                ..s.link
            },
            ..*s
        };
        as_linked(self) == as_linked(other)
    }

    /// What counts as an event in a study window from `window_start` of data ending
    /// `data_end`, under this identity: the one place the identifier mode decides which
    /// events count (under `pmr-school-age`, events from age 5 need a PMR).
    pub fn event_rules(&self, window_start: Date, data_end: Date) -> EventRules {
        EventRules {
            window_start,
            data_end,
            birth: self.birth,
            cpp_date: CppEventDate::PlanStart,
            school_age_needs_pmr: self.link.mode == IdMode::PmrSchoolAge,
        }
    }
}

/// The counts of a linkage and its de-duplication.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkageCounts {
    /// Rows, identifiers, children and conflicts.
    pub link: LinkStats,
    /// Episodes and what de-duplication merged.
    pub dedup: DedupStats,
}

/// Children and their episodes under one [`IdentitySpec`].
#[derive(Clone, Debug)]
pub struct Identity {
    /// The linkage mode applied.
    pub linkage_mode: LinkageMode,
    /// The child of every row (with the transfer pairs joined under `merge` and
    /// `corrected`).
    pub linkage: Linkage,
    /// Episodes by child.
    pub episodes: EpisodeSet,
    /// What de-duplication merged.
    pub dedup: DedupStats,
    /// Children's birth dates and attributes.
    pub children: ChildTable,
    /// The transfer rule's counts (it runs under every linkage mode; its pairs are joined
    /// only under `merge` and `corrected`).
    pub transfers: TransferStats,
    /// The counts of the identifier linkage alone, before any transfer pair was joined.
    pub by_identifiers: LinkageCounts,
}

impl Identity {
    /// The identifier mode.
    pub fn id_mode(&self) -> IdMode {
        self.linkage.mode
    }

    /// This identity as identifier mode `mode` gives it, where `mode` links as this
    /// identity's own ([`IdMode::links_as`]): the same children, labelled with `mode`.
    ///
    /// # Panics
    /// If `mode` links otherwise.
    #[must_use]
    pub fn relabelled(mut self, mode: IdMode) -> Identity {
        assert_eq!(
            mode.links_as(),
            self.id_mode().links_as(),
            "{mode} links otherwise than {}",
            self.id_mode()
        );
        self.linkage.mode = mode;
        self.linkage.options.mode = mode;
        self
    }

    /// The counts of the linkage used (after any transfer merge).
    pub fn counts(&self) -> LinkageCounts {
        LinkageCounts {
            link: self.linkage.stats.clone(),
            dedup: self.dedup.clone(),
        }
    }

    /// Frees what this identity holds per row of the episode table (each row's child,
    /// PMR flag, LA key, conflict flag and episode), for a run done with rows: the
    /// ledger given its places, the linkage measures by row counted, the split
    /// correction built. Counts, episodes and children stay; a row's child or episode
    /// cannot be read afterwards (an index out of bounds).
    pub fn drop_row_tables(&mut self) {
        let linkage = &mut self.linkage;
        linkage.child_of_row = Vec::new();
        linkage.pmr_identified = Vec::new();
        linkage.conflict_dropped = cumin_link::RowBits::default();
        linkage.key_of_row = Vec::new();
        self.episodes.episode_of_row = Vec::new();
    }
}

/// Links `episodes` under `spec`: children by the identifiers, then the transfer rule,
/// whose pairs are joined when `spec.linkage` merges transfers.
pub fn identify(episodes: &Episodes, spec: &IdentitySpec) -> Identity {
    identify_linked(episodes, cumin_link::link(episodes, &spec.link), spec)
}

/// [`identify`] with the identifier index of `episodes` built already (by
/// [`IdIndex::build`], with `spec.link`'s birth-month tolerance): what several identities
/// of the same rows share.
pub fn identify_with(episodes: &Episodes, index: &IdIndex, spec: &IdentitySpec) -> Identity {
    identify_linked(
        episodes,
        cumin_link::link_with(episodes, index, &spec.link),
        spec,
    )
}

/// [`identify`] from the identifier linkage.
fn identify_linked(episodes: &Episodes, linkage: Linkage, spec: &IdentitySpec) -> Identity {
    let (set, dedup, rows) = cumin_link::deduplicate_grouped(episodes, &linkage);
    let children = build_children_grouped(episodes, rows, &set, &spec.birth);
    let by_identifiers = LinkageCounts {
        link: linkage.stats.clone(),
        dedup: dedup.clone(),
    };
    let traits = child_traits(episodes, &linkage, &children);
    let (pairs, transfers) = cumin_link::transfer_pairs(&set, &traits);
    // The traits (16 bytes a child) are not read again: freed before the join.
    drop(traits);
    let identity = Identity {
        linkage_mode: spec.linkage,
        linkage,
        episodes: set,
        dedup,
        children,
        transfers,
        by_identifiers,
    };
    if spec.linkage.merges_transfers() && !pairs.is_empty() {
        join_transfers(episodes, identity, &pairs, &spec.birth)
    } else {
        identity
    }
}

/// `identity` with the transfer pairs joined, in place: children renumbered in the
/// linkage, the episode set and the child table; joined children alone are
/// de-duplicated and built again. The linkage before the join is not kept: what the
/// rebuilds need of it (the joined children's rows and their children before) is
/// returned by the join.
fn join_transfers(
    episodes: &Episodes,
    identity: Identity,
    pairs: &[cumin_link::TransferPair],
    birth: &BirthRules,
) -> Identity {
    let Identity {
        mut linkage,
        episodes: set,
        dedup,
        children,
        ..
    } = identity;
    let (renumbering, joined) = cumin_link::join_pairs(&mut linkage, pairs);
    let (merged_set, merged_dedup) =
        cumin_link::rededuplicate_joined(episodes, (&renumbering, &joined), set, &dedup, &linkage);
    let merged_children = rebuild_joined_children(
        episodes,
        (&renumbering, &joined),
        children,
        &merged_set,
        birth,
    );
    Identity {
        linkage,
        episodes: merged_set,
        dedup: merged_dedup,
        children: merged_children,
        ..identity
    }
}

/// What the transfer rule compares, per child: birth year and month of its birth date,
/// modal sex, ethnicity and IDACI decile, and its smallest PMR.
pub fn child_traits(
    episodes: &Episodes,
    linkage: &Linkage,
    children: &ChildTable,
) -> Vec<ChildTraits> {
    // Each child's smallest PMR, from every row on every core (a minimum: the same
    // whatever the order).
    let pmr: Vec<AtomicU32> = (0..linkage.n_children)
        .into_par_iter()
        .map(|_| AtomicU32::new(u32::MAX))
        .collect();
    linkage
        .child_of_row
        .par_iter()
        .zip(&episodes.pmr)
        .for_each(|(c, p)| {
            if let (Some(c), Some(p)) = (c.get(), p) {
                pmr[c.index()].fetch_min(p.index() as u32, Relaxed);
            }
        });
    let out: Vec<ChildTraits> = pmr
        .into_par_iter()
        .enumerate()
        .map(|(c, p)| {
            let p = p.into_inner();
            ChildTraits {
                // Months are 1..=12; a year outside `i16` (no census date) is unknown.
                birth: children.dob[c]
                    .and_then(|d| Some((i16::try_from(d.year()).ok()?, d.month() as u8))),
                sex: children.sex[c],
                ethnicity: children.ethnicity[c],
                pmr: (p != u32::MAX).then(|| IdRef::from_index(p as usize)),
                decile: children.idaci_decile[c],
            }
        })
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_census::{CensusYear, Date, EpisodeRow, Episodes};
    use cumin_link::{LinkOptions, LinkageMode};

    #[test]
    fn dropping_the_row_tables_keeps_counts_episodes_and_children() {
        let mut e = Episodes::new();
        for (i, (id, pmr, year)) in [
            ("A", Some("P1"), 2014),
            ("A", None, 2015),
            ("B", None, 2015),
        ]
        .into_iter()
        .enumerate()
        {
            let mut r = EpisodeRow::empty(0, i as u32 + 1, CensusYear(year));
            r.la_child_id = Some(id.into());
            r.la = Some(202);
            r.pmr = pmr.map(str::to_owned);
            r.referral = Some(Date::ymd(2013, 6, 1 + i as u32));
            r.birth_year = Some(2008);
            r.birth_month = Some(5);
            e.push(r);
        }
        let spec = IdentitySpec {
            link: LinkOptions::default(),
            linkage: LinkageMode::Corrected,
            birth: BirthRules::default(),
        };
        let full = identify(&e, &spec);
        assert_eq!(full.linkage.child_of_row.len(), 3);
        let mut dropped = full.clone();
        dropped.drop_row_tables();
        let l = &dropped.linkage;
        assert!(l.child_of_row.is_empty() && l.pmr_identified.is_empty());
        assert!(l.key_of_row.is_empty() && dropped.episodes.episode_of_row.is_empty());
        assert_eq!(l.conflict_dropped, cumin_link::RowBits::default());
        // What a run reads after: counts, the episodes and the children, unchanged.
        assert_eq!(dropped.counts(), full.counts());
        assert_eq!(dropped.episodes.child, full.episodes.child);
        assert_eq!(dropped.episodes.last_row, full.episodes.last_row);
        assert_eq!(dropped.children.dob, full.children.dob);
        assert_eq!(dropped.linkage.n_children, full.linkage.n_children);
    }
}
