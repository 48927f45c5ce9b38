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
    ChildTraits, DedupStats, Deduplicating, EpisodeSet, IdIndex, IdMode, JoinedRows, LateColumns,
    LinkOptions, LinkStats, Linkage, LinkageMode, Renumbering, TakenColumns, TransferStats,
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
    let pending = Pending::new(episodes, cumin_link::link(episodes, &spec.link), spec);
    pending.finish(LateColumns::of(episodes), &spec.birth)
}

/// [`identify`] with the identifier index of `episodes` built already (by
/// [`IdIndex::build`], with `spec.link`'s birth-month tolerance): what several identities
/// of the same rows share.
pub fn identify_with(episodes: &Episodes, index: &IdIndex, spec: &IdentitySpec) -> Identity {
    let linkage = cumin_link::link_with(episodes, index, &spec.link);
    Pending::new(episodes, linkage, spec).finish(LateColumns::of(episodes), &spec.birth)
}

/// [`identify`] for a run that frees rows' columns as soon as it can: `narrow` is called
/// on `episodes` once the identity reads nothing more of them but the census year and
/// the IDACI decile (de-duplication's last columns, LA, closure and its reason among
/// them, are taken out of the table first, and are left empty there; the joined
/// children's rows are copied before), and may free any column but those two. The identity equals [`identify`]'s.
///
/// # Panics
/// If `narrow` frees the census year or the IDACI decile.
pub fn identify_narrowing(
    episodes: &mut Episodes,
    spec: &IdentitySpec,
    narrow: impl FnOnce(&mut Episodes),
) -> Identity {
    let pending = Pending::new(episodes, cumin_link::link(episodes, &spec.link), spec);
    let late = TakenColumns::take(episodes);
    let n = episodes.census_year.len();
    narrow(episodes);
    assert!(
        episodes.census_year.len() == n && episodes.idaci_decile.len() == n,
        "de-duplication's finish reads the census year and IDACI decile"
    );
    pending.finish(late.columns(episodes), &spec.birth)
}

/// An identity up to the end of what reads the row table: episodes keyed and grouped,
/// the child table, the transfer rule's pairs, and (when they are joined) the linkage
/// joined and the joined children's rows copied; de-duplication's [`LateColumns`] are
/// read by [`Pending::finish`].
struct Pending {
    linkage_mode: LinkageMode,
    linkage: Linkage,
    /// The identifier linkage's counts, before any pair was joined.
    link_stats: cumin_link::LinkStats,
    dedup: Deduplicating,
    children: ChildTable,
    transfers: TransferStats,
    /// When pairs are joined: the renumbering, the joined rows and their copy.
    join: Option<(Renumbering, JoinedRows, Episodes)>,
}

impl Pending {
    fn new(episodes: &Episodes, mut linkage: Linkage, spec: &IdentitySpec) -> Pending {
        let mut dedup = cumin_link::deduplicate_keys(episodes, &linkage);
        let children = build_children_grouped(episodes, &dedup.rows, &dedup.set, &spec.birth);
        // Each child's traits read when the rule asks, from the child table and each
        // child's smallest PMR (4 bytes a child, not the traits' 16).
        let traits = TraitSource::new(episodes, &linkage, &children);
        let inputs = std::mem::take(&mut dedup.transfer_inputs);
        let (pairs, transfers) = cumin_link::transfer_pairs(&dedup.set, &inputs, |c| traits.of(c));
        // The PMRs and the rule's inputs are not read again: freed before the join.
        drop((traits, inputs));
        let link_stats = linkage.stats.clone();
        let join = (spec.linkage.merges_transfers() && !pairs.is_empty()).then(|| {
            // The linkage before the join is not kept: what the rebuilds need of it (the
            // joined children's rows and their children before) is returned by the join.
            let (renumbering, joined) = cumin_link::join_pairs(&mut linkage, &pairs);
            let rows = joined.table(episodes);
            (renumbering, joined, rows)
        });
        Pending {
            linkage_mode: spec.linkage,
            linkage,
            link_stats,
            dedup,
            children,
            transfers,
            join,
        }
    }

    /// The identity: de-duplication finished from `late`, then, when pairs are joined,
    /// the joined children alone de-duplicated and built again from their rows' copy,
    /// in place.
    fn finish(self, late: LateColumns<'_>, birth: &BirthRules) -> Identity {
        let Pending {
            linkage_mode,
            linkage,
            link_stats,
            dedup,
            children,
            transfers,
            join,
        } = self;
        let (set, dedup, _) = dedup.finish(late, &linkage.pmr_identified);
        let by_identifiers = LinkageCounts {
            link: link_stats,
            dedup: dedup.clone(),
        };
        let (episodes, dedup, children) = match join {
            None => (set, dedup, children),
            Some((renumbering, joined, rows)) => {
                let (merged_set, merged_dedup) = cumin_link::rededuplicate_joined(
                    &rows,
                    (&renumbering, &joined),
                    set,
                    &dedup,
                    &linkage,
                );
                let merged_children = rebuild_joined_children(
                    &rows,
                    (&renumbering, &joined),
                    children,
                    &merged_set,
                    birth,
                );
                (merged_set, merged_dedup, merged_children)
            }
        };
        Identity {
            linkage_mode,
            linkage,
            episodes,
            dedup,
            children,
            transfers,
            by_identifiers,
        }
    }
}

/// What the transfer rule compares, per child: birth year and month of its birth date,
/// modal sex, ethnicity and IDACI decile, and its smallest PMR.
pub fn child_traits(
    episodes: &Episodes,
    linkage: &Linkage,
    children: &ChildTable,
) -> Vec<ChildTraits> {
    let source = TraitSource::new(episodes, linkage, children);
    (0..linkage.n_children)
        .into_par_iter()
        .map(|c| source.of(c))
        .collect()
}

/// [`child_traits`] one child at a time: the child table and each child's smallest PMR
/// (4 bytes a child), what a run holds while the transfer rule reads the traits.
pub struct TraitSource<'a> {
    children: &'a ChildTable,
    /// Each child's smallest PMR (`u32::MAX`: none).
    pmr: Vec<u32>,
}

impl<'a> TraitSource<'a> {
    /// The PMRs of `linkage`'s children in `episodes`, beside `children`.
    pub fn new(episodes: &Episodes, linkage: &Linkage, children: &'a ChildTable) -> Self {
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
        TraitSource {
            children,
            // Read out where they lie (a serial map between types of one size and
            // alignment reuses the allocation).
            pmr: pmr.into_iter().map(AtomicU32::into_inner).collect(),
        }
    }

    /// Child `c`'s traits.
    pub fn of(&self, c: usize) -> ChildTraits {
        let (children, p) = (self.children, self.pmr[c]);
        ChildTraits {
            // Months are 1..=12; a year outside `i16` (no census date) is unknown.
            birth: children.dob[c]
                .and_then(|d| Some((i16::try_from(d.year()).ok()?, d.month() as u8))),
            sex: children.sex[c],
            ethnicity: children.ethnicity[c],
            pmr: (p != u32::MAX).then(|| IdRef::from_index(p as usize)),
            decile: children.idaci_decile[c],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cumin_census::{CensusYear, Date, EpisodeRow, Episodes};
    use cumin_link::{LinkOptions, LinkageMode};

    /// Two children of one transfer (an `RC5` closure in LA 201 and, on its day, the
    /// first referral of a child in LA 202 with the same traits), whose episodes of that
    /// day merge when the pair is joined, and a third child.
    fn one_transfer() -> Episodes {
        let mut e = Episodes::new();
        let day = Date::ymd(2013, 3, 1);
        // C first: the joined rows are not the table's first rows.
        let rows = [
            ("C", 203, 2014, None, None, None, Some(7)),
            ("A", 201, 2013, Some(day), Some(5), Some(false), Some(3)),
            ("B", 202, 2013, None, None, Some(true), Some(4)),
            (
                "B",
                202,
                2014,
                Some(Date::ymd(2013, 6, 1)),
                Some(1),
                None,
                Some(4),
            ),
        ];
        for (i, (id, la, year, closure, reason, nfa, decile)) in rows.into_iter().enumerate() {
            let mut r = EpisodeRow::empty(0, i as u32 + 1, CensusYear(year));
            r.la_child_id = Some(id.into());
            r.la = Some(la);
            r.referral = Some(day);
            r.closure = closure;
            r.reason_for_closure = reason;
            r.nfa = nfa;
            r.assessment_start = (i == 2).then_some(day);
            r.cpp_start = (i == 3).then(|| Date::ymd(2013, 3, 5));
            r.birth_year = Some(2008);
            r.birth_month = Some(5);
            r.sex = Some(cumin_census::Sex::Male);
            r.ethnicity = cumin_census::Ethnicity::from_code("WBRI");
            r.idaci_decile = decile;
            e.push(r);
        }
        e
    }

    #[test]
    fn narrowing_the_rows_inside_gives_the_same_identity() {
        for linkage in [
            LinkageMode::Merge,
            LinkageMode::Corrected,
            LinkageMode::Exact,
        ] {
            let spec = IdentitySpec {
                link: LinkOptions::default(),
                linkage,
                birth: BirthRules::default(),
            };
            let e = one_transfer();
            let want = identify(&e, &spec);
            assert_eq!(want.transfers.pairs, 1, "the pair is found");
            let mut narrowed = e.clone();
            let got = identify_narrowing(&mut narrowed, &spec, |rows| {
                // De-duplication's last columns are out of the table by now.
                assert!(rows.nfa.is_empty() && rows.cpp_start.is_empty());
                assert!(rows.la.is_empty() && rows.reason_for_closure.is_empty());
                // Every column freed but the two the finish reads.
                *rows = Episodes {
                    census_year: std::mem::take(&mut rows.census_year),
                    idaci_decile: std::mem::take(&mut rows.idaci_decile),
                    ..Episodes::default()
                };
            });
            assert!(narrowed.referral.is_empty(), "narrowed by the callback");
            assert_eq!(got.linkage.child_of_row, want.linkage.child_of_row);
            assert_eq!(got.linkage.n_children, want.linkage.n_children);
            assert_eq!(got.episodes, want.episodes);
            assert_eq!(got.dedup, want.dedup);
            assert_eq!(got.children, want.children);
            assert_eq!(got.transfers, want.transfers);
            assert_eq!(got.by_identifiers, want.by_identifiers);
            if linkage.merges_transfers() {
                // A and B joined: their rows of that day are one episode, which takes
                // the latest values (the 2014 row's closure, the 2013 rows' NFA).
                assert_eq!(got.linkage.n_children, 2);
                assert_eq!(got.episodes.len(), 2);
                assert_eq!(got.episodes.rows[0], 3);
                assert_eq!(got.episodes.closure[0], Some(Date::ymd(2013, 6, 1)));
                assert_eq!(got.episodes.cpp_start[0], Some(Date::ymd(2013, 3, 5)));
                assert_eq!(got.dedup.nfa_disagreements, 1);
                // The 2014 row, by its place in the row table (not in the joined rows').
                assert_eq!(got.episodes.last_row[0], 3);
            }
        }
    }

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
