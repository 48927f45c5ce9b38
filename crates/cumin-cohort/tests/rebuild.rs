//! Joining children after the child table is built, and rebuilding only the joined ones,
//! gives the table that building from scratch gives.

#[path = "../../cumin-link/tests/link/support/joins.rs"]
mod joins;

use cumin_census::{CensusYear, Date, EpisodeRow, Episodes, Sex};
use cumin_cohort::{
    BirthRules, build_children, build_children_grouped, rebuild_children, rebuild_joined_children,
};
use cumin_link::{
    ChildId, JoinedRows, LinkOptions, Linkage, Renumbering, TransferPair, deduplicate,
    deduplicate_grouped, join_pairs, link, merge_pairs, rededuplicate_joined,
};
use joins::pairs_joining;
use proptest::prelude::*;

/// A random row: few LAs and IDs so that children have several rows, with birth months,
/// sexes and referrals that disagree between rows and can reset or void a birth date.
fn arb_row() -> impl Strategy<Value = EpisodeRow> {
    (
        (1u16..=3, 0u8..4, prop::option::of(0u8..3)),
        (2012i16..=2016, prop::option::of(0usize..4), -400i32..4000),
        (
            any::<bool>(),
            prop::option::of(any::<bool>()),
            prop::option::of(1u8..=10),
        ),
    )
        .prop_map(
            |((la, id, pmr), (year, birth, referral), (imputed, male, decile))| {
                let mut r = EpisodeRow::empty(0, 0, CensusYear(year));
                r.la = Some(la);
                r.la_child_id = Some(format!("L{id}"));
                r.pmr = pmr.map(|p| format!("P{p}"));
                let births = [(2010, 1), (2010, 2), (2012, 5), (1985, 3)];
                r.birth_year = birth.map(|b| births[b].0);
                r.birth_month = birth.map(|b| births[b].1);
                r.referral = Some(Date::ymd(2011, 6, 1).add_days(referral));
                r.referral_imputed = imputed;
                r.sex = male.map(|m| if m { Sex::Male } else { Sex::Female });
                r.idaci_decile = decile;
                r
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn rebuilding_joined_children_equals_building_again(
        rows in prop::collection::vec(arb_row(), 1..50),
        joins in prop::collection::vec((0usize..32, 0usize..32), 0..6),
        strict in any::<bool>(),
    ) {
        let mut e = Episodes::new();
        for r in &rows {
            e.push(r.clone());
        }
        let rules = BirthRules {
            imputed_referral_resets_birth: strict,
            ..BirthRules::default()
        };
        let l = link(&e, &LinkOptions::default());
        prop_assume!(l.n_children > 0);
        let merged = merge_pairs(&l, &pairs_joining(&l, &joins));
        let (set, _) = deduplicate(&e, &l);
        let table = build_children(&e, &l, &set, &rules);
        let (merged_set, _) = deduplicate(&e, &merged);
        let want = build_children(&e, &merged, &merged_set, &rules);
        let got = rebuild_children(&e, &l, &table, &merged, &merged_set, &rules);
        prop_assert_eq!(got, want);
    }

    /// The child table built from de-duplication's grouping of the rows (re-sorted within
    /// each child) equals the one built by counting the rows into child order again, and
    /// the grouping holds each child's rows.
    #[test]
    fn building_from_the_dedup_grouping_equals_building_again(
        rows in prop::collection::vec(arb_row(), 1..50),
        strict in any::<bool>(),
    ) {
        let mut e = Episodes::new();
        for r in &rows {
            e.push(r.clone());
        }
        let rules = BirthRules {
            imputed_referral_resets_birth: strict,
            ..BirthRules::default()
        };
        let l = link(&e, &LinkOptions::default());
        let (set, stats) = deduplicate(&e, &l);
        let (grouped_set, grouped_stats, grouping) = deduplicate_grouped(&e, &l);
        prop_assert_eq!(&grouped_set, &set);
        prop_assert_eq!(grouped_stats, stats);
        prop_assert_eq!(grouping.start.len(), l.n_children + 1);
        for c in 0..l.n_children {
            let mut got = grouping.rows(c).to_vec();
            got.sort_unstable();
            let want: Vec<u32> = (0..e.len() as u32)
                .filter(|&i| l.child_of(i as usize).map(ChildId::index) == Some(c))
                .collect();
            prop_assert_eq!(got, want);
        }
        let want = build_children(&e, &l, &set, &rules);
        let got = build_children_grouped(&e, &grouping, &set, &rules);
        prop_assert_eq!(got, want);
    }
}

/// Each row's child after joining `pairs` among `linkage`'s children, worked out apart
/// from `cumin_link`'s union-find: a child's component is found by relaxing the pairs
/// until nothing changes, and components are numbered in the order of their smallest
/// child.
fn joined_by_hand(linkage: &Linkage, pairs: &[TransferPair]) -> Vec<Option<u32>> {
    let n = linkage.n_children;
    let mut least: Vec<usize> = (0..n).collect();
    loop {
        let mut changed = false;
        for p in pairs {
            let (a, b) = (p.from.index(), p.to.index());
            let m = least[a].min(least[b]);
            for c in [a, b] {
                if least[c] != m {
                    least[c] = m;
                    changed = true;
                }
            }
        }
        // Every member of a component takes its least member's least.
        for c in 0..n {
            let l = least[least[c]];
            if l != least[c] {
                least[c] = l;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut number = vec![u32::MAX; n];
    let mut next = 0;
    for c in 0..n {
        if least[c] == c {
            number[c] = next;
            next += 1;
        }
    }
    linkage
        .child_of_row
        .iter()
        .map(|c| c.get().map(|c| number[least[c.index()]]))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Joining in place (`join_pairs` on the linkage, then only the joined children
    /// de-duplicated and built again from what it returns, the set and the child table
    /// moved) gives what joining by hand and building from scratch give.
    #[test]
    fn joining_in_place_equals_building_again(
        rows in prop::collection::vec(arb_row(), 1..50),
        joins in prop::collection::vec((0usize..32, 0usize..32), 0..6),
    ) {
        let mut e = Episodes::new();
        for r in &rows {
            e.push(r.clone());
        }
        let rules = BirthRules::default();
        let l = link(&e, &LinkOptions::default());
        prop_assume!(l.n_children > 0);
        let pairs = pairs_joining(&l, &joins);
        let (set, dedup) = deduplicate(&e, &l);
        let table = build_children(&e, &l, &set, &rules);

        let mut joined = l.clone();
        let (renumbering, joined_rows) = join_pairs(&mut joined, &pairs);
        let by_hand = joined_by_hand(&l, &pairs);
        let got_rows: Vec<Option<u32>> =
            joined.child_of_row.iter().map(|c| c.get().map(|c| c.0)).collect();
        prop_assert_eq!(&got_rows, &by_hand);
        prop_assert_eq!(
            joined.n_children as u32,
            by_hand.iter().flatten().max().map_or(0, |m| m + 1)
        );
        prop_assert_eq!(&renumbering, &Renumbering::between(&l, &joined));
        prop_assert_eq!(&joined_rows, &JoinedRows::between(&l, &joined, &renumbering));

        let (want_set, want_dedup) = deduplicate(&e, &joined);
        let want_table = build_children(&e, &joined, &want_set, &rules);
        // From the joined rows' copy alone: the row table narrowed to nothing first.
        let rows = joined_rows.table(&e);
        let e = Episodes::default();
        let (got_set, got_dedup) =
            rededuplicate_joined(&rows, (&renumbering, &joined_rows), set, &dedup, &joined);
        let got_table =
            rebuild_joined_children(&rows, (&renumbering, &joined_rows), table, &got_set, &rules);
        drop(e);
        prop_assert_eq!(got_dedup, want_dedup);
        prop_assert_eq!(got_set, want_set);
        prop_assert_eq!(got_table, want_table);
    }
}
