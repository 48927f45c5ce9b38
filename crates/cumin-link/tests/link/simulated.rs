//! Linkage on simulated extracts whose true child is known on every row: it finds
//! exactly the children the identifiers allow, never merges two true children, and each
//! mode errs the way it should.

use crate::support::truth::{expected_children, simulate};
use cumin_link::{IdMode, LinkOptions, link};

#[test]
fn every_mode_finds_exactly_what_the_identifiers_allow_and_merges_no_two_children() {
    for seed in [3, 4] {
        let t = simulate(0.01, seed, false);
        let x = t.expected();
        for mode in IdMode::ALL {
            let l = link(&t.episodes, &LinkOptions::with_mode(mode));
            let s = &l.stats;
            assert_eq!(
                (
                    s.conflict_la_key_several_pmrs,
                    s.conflict_pmr_birth_mismatch,
                    s.conflict_many_las
                ),
                (0, 0, 0),
                "seed {seed} {mode}: the simulator makes no conflicting identifiers"
            );
            assert_eq!(
                t.impure_children(&l),
                0,
                "seed {seed} {mode}: a false merge"
            );
            assert_eq!(
                l.n_children as u64,
                expected_children(&x, mode),
                "seed {seed} {mode}"
            );
        }
        // Which way each mode errs: la-only over-counts, pmr-only under-counts, and
        // combined sits between, over by the split identities alone.
        assert!(
            x.la_keys > x.identifiable && x.identifiable > x.children,
            "{x:?}"
        );
        assert!(x.children_with_pmr < x.children, "{x:?}");
    }
}

#[test]
fn with_perfect_identifiers_combined_and_pmr_only_find_the_true_children() {
    let t = simulate(0.005, 5, true);
    let x = t.expected();
    assert_eq!(
        (x.identifiable, x.children_with_pmr),
        (x.children, x.children)
    );
    for mode in IdMode::ALL {
        let l = link(&t.episodes, &LinkOptions::with_mode(mode));
        assert_eq!(l.n_children as u64, expected_children(&x, mode), "{mode}");
        assert_eq!(t.impure_children(&l), 0, "{mode}");
    }
    // Even a perfect LA child ID is unique only within its LA: movers still split.
    assert!(x.la_keys > x.children);
}
