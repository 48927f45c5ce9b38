//! Joining children after the child table is built, and rebuilding only the joined ones,
//! gives the table that building from scratch gives.

#[path = "../../cumin-link/tests/link/support/joins.rs"]
mod joins;

use cumin_census::{CensusYear, Date, EpisodeRow, Episodes, Sex};
use cumin_cohort::{BirthRules, build_children, rebuild_children};
use cumin_link::{LinkOptions, deduplicate, link, merge_pairs};
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
}
