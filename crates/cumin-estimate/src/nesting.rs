//! Nested outcomes kept in order: a child with a child protection plan was also in need,
//! assessed and referred, and had a section 47 enquiry, so for every estimator, stratum
//! and age `F_cpp ≤ F_cin ≤ F_assessed ≤ F_referral` and `F_cpp ≤ F_s47 ≤ F_referral`.
//! The outcomes are estimated apart (each with its own left-censoring and split
//! corrections), so their estimates can cross where they are close.
//!
//! **Rule.** At each age where the estimates of one stratum and estimator cross, they are
//! replaced by their weighted isotonic regression over that order
//! ([`cumin_stats::isotonic`]): the closest estimates in order, each outcome weighted by
//! `1 / se²` of its estimate before 18 (one weight per curve, so curves that rise with age
//! still rise). Each interval moves with its estimate (its distances to the estimate are
//! kept, within [0, 1]). A crossing wider than sampling explains (the gap above
//! `z·√(se₁² + se₂²)`) is *forced by the data* and listed in [`Crossing`].

use crate::CurveEstimator;
use crate::curves::{Curve, CurveKey, Kind};
use crate::strata::{Stratification, Stratum};
use cumin_census::Outcome;
use std::collections::BTreeMap;

/// Each `(lower, upper)`: a child with the first has the second.
pub const NESTED: [(Outcome, Outcome); 5] = [
    (Outcome::Assessed, Outcome::Referral),
    (Outcome::Cin, Outcome::Assessed),
    (Outcome::Cpp, Outcome::Cin),
    (Outcome::S47, Outcome::Referral),
    (Outcome::Cpp, Outcome::S47),
];

/// Two estimates out of order before the adjustment.
#[derive(Clone, Debug, PartialEq)]
pub struct Crossing {
    /// Stratification.
    pub by: Stratification,
    /// Stratum.
    pub stratum: Stratum,
    /// Estimator.
    pub estimator: CurveEstimator,
    /// Which curve (and period).
    pub kind: Kind,
    /// Age.
    pub age: usize,
    /// The nested outcome, estimated above the one it is nested in.
    pub lower: Outcome,
    /// The outcome it is nested in.
    pub upper: Outcome,
    /// `F_lower − F_upper` before the adjustment (positive).
    pub gap: f64,
    /// Whether the gap is wider than sampling explains (`> z·√(se₁² + se₂²)`).
    pub forced: bool,
}

/// Puts the estimates of every stratum, estimator and age in the nesting order (see the
/// module's rule) and returns the crossings found.
pub fn adjust(curves: &mut [(CurveKey, Curve)], level: f64) -> Vec<Crossing> {
    let z = cumin_stats::z_for(level);
    let mut groups: BTreeMap<(usize, usize, Kind, bool), Vec<usize>> = BTreeMap::new();
    for (i, (key, c)) in curves.iter().enumerate() {
        groups
            .entry((key.by, key.stratum, key.kind, c.corrected))
            .or_default()
            .push(i);
    }
    let mut crossings = Vec::new();
    for members in groups.values() {
        let outcomes: Vec<Outcome> = members.iter().map(|&i| curves[i].1.outcome).collect();
        let order: Vec<(usize, usize)> = closure(&outcomes);
        if order.is_empty() {
            continue;
        }
        let weights: Vec<f64> = members
            .iter()
            .map(|&i| {
                let se = curves[i].1.last().map_or(f64::NAN, |p| p.se);
                if se.is_finite() && se > 0.0 {
                    1.0 / (se * se)
                } else {
                    1e12
                }
            })
            .collect();
        for age in 0..crate::OUT_AGES {
            let at: Vec<Option<usize>> = members
                .iter()
                .map(|&i| curves[i].1.points.iter().position(|p| p.age == age))
                .collect();
            let present: Vec<usize> = (0..members.len())
                .filter(|&m| {
                    at[m].is_some_and(|p| curves[members[m]].1.points[p].cum_inc.is_finite())
                })
                .collect();
            let point = |m: usize| &curves[members[m]].1.points[at[m].expect("present")];
            let pairs: Vec<(usize, usize)> = order
                .iter()
                .filter(|(l, u)| present.contains(l) && present.contains(u))
                .copied()
                .collect();
            let crossed: Vec<(usize, usize)> = pairs
                .iter()
                .filter(|(l, u)| point(*l).cum_inc > point(*u).cum_inc)
                .copied()
                .collect();
            if crossed.is_empty() {
                continue;
            }
            for &(l, u) in &crossed {
                let (pl, pu) = (point(l), point(u));
                let gap = pl.cum_inc - pu.cum_inc;
                let c = &curves[members[l]].1;
                crossings.push(Crossing {
                    by: c.by,
                    stratum: c.stratum.clone(),
                    estimator: c.estimator,
                    kind: c.kind,
                    age,
                    lower: outcomes[l],
                    upper: outcomes[u],
                    gap,
                    forced: gap > z * pl.se.hypot(pu.se),
                });
            }
            // Isotonic regression over the outcomes present at this age.
            let index: Vec<usize> = present.clone();
            let local = |m: usize| index.iter().position(|x| *x == m).expect("present");
            let values: Vec<f64> = index.iter().map(|&m| point(m).cum_inc).collect();
            let w: Vec<f64> = index.iter().map(|&m| weights[m]).collect();
            let local_order: Vec<(usize, usize)> =
                pairs.iter().map(|(l, u)| (local(*l), local(*u))).collect();
            let fitted = cumin_stats::isotonic(&values, &w, &local_order);
            for (j, &m) in index.iter().enumerate() {
                let shift = fitted[j] - values[j];
                if shift == 0.0 {
                    continue;
                }
                let p = &mut curves[members[m]].1.points[at[m].expect("present")];
                p.cum_inc = fitted[j];
                p.ci.lower = (p.ci.lower + shift).clamp(0.0, 1.0);
                p.ci.upper = (p.ci.upper + shift).clamp(0.0, 1.0);
            }
        }
    }
    crossings
}

/// The pairs `(i, j)` of positions in `outcomes` with `outcomes[i]` nested in
/// `outcomes[j]`, directly or through outcomes between them (present or not).
fn closure(outcomes: &[Outcome]) -> Vec<(usize, usize)> {
    let below = |a: Outcome, b: Outcome| -> bool {
        // Depth-first over NESTED from a upwards.
        let mut stack = vec![a];
        while let Some(x) = stack.pop() {
            for &(l, u) in &NESTED {
                if l == x {
                    if u == b {
                        return true;
                    }
                    stack.push(u);
                }
            }
        }
        false
    };
    let mut out = Vec::new();
    for (i, &a) in outcomes.iter().enumerate() {
        for (j, &b) in outcomes.iter().enumerate() {
            if i != j && below(a, b) {
                out.push((i, j));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curves::Point;
    use cumin_stats::Interval;
    use proptest::prelude::*;

    fn curve(outcome: Outcome, values: &[f64], se: f64) -> (CurveKey, Curve) {
        let key = CurveKey {
            outcome: outcome.index(),
            by: 0,
            stratum: 0,
            kind: Kind::LifeTable,
        };
        let points = values
            .iter()
            .enumerate()
            .map(|(age, &v)| Point {
                age,
                events: 0.0,
                at_risk: 0.0,
                entered: 0.0,
                cum_inc: v,
                se,
                ci: Interval {
                    lower: (v - 0.02).max(0.0),
                    upper: (v + 0.02).min(1.0),
                },
            })
            .collect();
        let c = Curve {
            outcome,
            estimator: CurveEstimator::LifeTable,
            by: Stratification::ALL,
            stratum: Stratum::all(),
            kind: Kind::LifeTable,
            corrected: true,
            points,
        };
        (key, c)
    }

    #[test]
    fn a_crossing_is_pooled_by_precision_and_the_interval_moves_with_it() {
        // Assessed above referral at age 1: referral (se 0.01) is four times as precise as
        // assessed (se 0.02): both become (4 · 0.30 + 1 · 0.32) / 5 = 0.304.
        let mut curves = vec![
            curve(Outcome::Referral, &[0.1, 0.30], 0.01),
            curve(Outcome::Assessed, &[0.05, 0.32], 0.02),
        ];
        let crossings = adjust(&mut curves, 0.95);
        assert_eq!(crossings.len(), 1);
        let c = &crossings[0];
        assert_eq!(
            (c.lower, c.upper, c.age),
            (Outcome::Assessed, Outcome::Referral, 1)
        );
        assert!((c.gap - 0.02).abs() < 1e-12);
        assert!(!c.forced, "0.02 is within 1.96 · √(0.01² + 0.02²)");
        for (_, cv) in &curves {
            let p = &cv.points[1];
            assert!((p.cum_inc - 0.304).abs() < 1e-12, "{}", p.cum_inc);
            assert!((p.ci.upper - p.cum_inc - 0.02).abs() < 1e-12);
        }
        // Age 0 was in order: untouched.
        assert_eq!(curves[1].1.points[0].cum_inc, 0.05);
    }

    #[test]
    fn outcomes_nested_through_an_absent_one_still_keep_their_order() {
        // CPP above referral with assessed and CIN not estimated: still nested.
        let mut curves = vec![
            curve(Outcome::Referral, &[0.10], 0.001),
            curve(Outcome::Cpp, &[0.20], 0.001),
        ];
        let crossings = adjust(&mut curves, 0.95);
        assert!(crossings[0].forced);
        assert_eq!(curves[0].1.points[0].cum_inc, curves[1].1.points[0].cum_inc);
    }

    proptest! {
        /// Whatever the estimates, afterwards no nested outcome is above the one it is
        /// nested in, at any age, and every curve still rises with age.
        #[test]
        fn curves_never_cross_after_the_adjustment(
            base in prop::collection::vec(0.0f64..0.5, 5),
            steps in prop::collection::vec(prop::collection::vec(0.0f64..0.05, 4), 5),
            ses in prop::collection::vec(0.001f64..0.05, 5),
        ) {
            let mut curves: Vec<(CurveKey, Curve)> = Outcome::ALL
                .iter()
                .enumerate()
                .map(|(i, &o)| {
                    let mut v = vec![base[i]];
                    for s in &steps[i] {
                        v.push(v.last().unwrap() + s);
                    }
                    curve(o, &v, ses[i])
                })
                .collect();
            adjust(&mut curves, 0.95);
            let at = |o: Outcome, age: usize| {
                curves.iter().find(|c| c.1.outcome == o).unwrap().1.points[age].cum_inc
            };
            for age in 0..5 {
                for (l, u) in NESTED {
                    prop_assert!(at(l, age) <= at(u, age) + 1e-12, "{l:?} {u:?} {age}");
                }
                if age > 0 {
                    for o in Outcome::ALL {
                        prop_assert!(at(o, age) + 1e-12 >= at(o, age - 1));
                    }
                }
            }
        }
    }
}
