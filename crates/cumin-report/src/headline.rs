//! The headline: one recommended estimate per outcome, in the order of the pathway
//! (referred → assessed → in need → section 47 enquiry → protection plan), from the
//! released `cumulative_incidence.csv` rows, with a plain sentence for each. The report
//! and the terminal both take it from here, so they agree.
//!
//! Which estimator is recommended is decided in one place, [`recommended_estimator`].

use crate::sdc::Released;
use crate::tables::CiRow;
use cumin_census::Outcome;
use cumin_estimate::{CurveEstimator, Stratification};
use cumin_link::IdMode;

/// The outcomes in the order a child meets them on the pathway.
pub const PATHWAY: [Outcome; 5] = [
    Outcome::Referral,
    Outcome::Assessed,
    Outcome::Cin,
    Outcome::S47,
    Outcome::Cpp,
];

/// The estimator the report and the terminal recommend for `outcome`, of those a run
/// estimated (`available`): the corrected form of [`cumin_estimate::recommended`] (the
/// methods' choice, from the validation grid), else the other corrected estimator, else
/// the first unadjusted one. **The one place the report makes this choice.**
pub fn recommended_estimator(
    outcome: Outcome,
    available: &[CurveEstimator],
) -> Option<CurveEstimator> {
    [
        CurveEstimator::new(cumin_estimate::recommended(outcome), true),
        CurveEstimator::LifeTable,
        CurveEstimator::CohortSplice,
        CurveEstimator::CohortSpliceUnadjusted,
        CurveEstimator::LifeTableUnadjusted,
    ]
    .into_iter()
    .find(|e| available.contains(e))
}

/// [`recommended_estimator`] among the estimators of some rows (repeats allowed).
pub fn recommended_among(
    outcome: Outcome,
    estimators: impl Iterator<Item = CurveEstimator>,
) -> Option<CurveEstimator> {
    let mut available: Vec<CurveEstimator> = Vec::new();
    for e in estimators {
        if !available.contains(&e) {
            available.push(e);
        }
    }
    recommended_estimator(outcome, &available)
}

/// The outcome in a few words, for table rows and chart titles.
pub fn outcome_label(o: Outcome) -> &'static str {
    match o {
        Outcome::Referral => "Referred to children's social care",
        Outcome::Assessed => "Assessed by children's social care",
        Outcome::Cin => "Child in need",
        Outcome::S47 => "Section 47 enquiry",
        Outcome::Cpp => "Child protection plan",
    }
}

/// What happens to the children, completing "About 38 in every 100 children …".
fn outcome_phrase(o: Outcome) -> &'static str {
    match o {
        Outcome::Referral => "are referred to children's social care",
        Outcome::Assessed => "are assessed by children's social care",
        Outcome::Cin => "are found to be children in need",
        Outcome::S47 => "are the subject of a section 47 child protection enquiry",
        Outcome::Cpp => "are placed on a child protection plan",
    }
}

/// An estimate of one curve at the oldest age it reaches (stratum `all`).
#[derive(Clone, Debug, PartialEq)]
pub struct HeadlineEstimate {
    /// Outcome.
    pub outcome: Outcome,
    /// Estimator.
    pub estimator: CurveEstimator,
    /// Identifier mode of the curve.
    pub id_mode: IdMode,
    /// Whether [`recommended_estimator`] chose it.
    pub recommended: bool,
    /// The oldest age shown (17: before the 18th birthday); `None` when the curve is
    /// withheld whole.
    pub age: Option<u8>,
    /// Cumulative incidence, as released.
    pub cum_inc: Option<f64>,
    /// Lower limit, as released.
    pub lower: Option<f64>,
    /// Upper limit, as released.
    pub upper: Option<f64>,
}

/// The identifier mode of the run's main curves: that of the first row (a Jay preset
/// releases its sensitivity mode after its main one).
pub fn main_mode(rows: &[CiRow]) -> Option<IdMode> {
    rows.first().map(|r| r.id_mode)
}

/// Every curve of stratum `all` at its oldest shown age: outcomes in pathway order,
/// the recommended estimator of the main identifier mode first, then the others in the
/// order of the rows.
pub fn estimates(ci: &Released<Vec<CiRow>>) -> Vec<HeadlineEstimate> {
    let rows = ci.get();
    let Some(main) = main_mode(rows) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for outcome in PATHWAY {
        let mut curves: Vec<(IdMode, CurveEstimator)> = Vec::new();
        for r in rows
            .iter()
            .filter(|r| r.outcome == outcome && r.by == Stratification::ALL)
        {
            if !curves.contains(&(r.id_mode, r.estimator)) {
                curves.push((r.id_mode, r.estimator));
            }
        }
        let available: Vec<CurveEstimator> =
            curves.iter().filter(|c| c.0 == main).map(|c| c.1).collect();
        let best = recommended_estimator(outcome, &available);
        curves.sort_by_key(|&(mode, e)| (mode != main, Some(e) != best));
        for (id_mode, estimator) in curves {
            let last = rows
                .iter()
                .filter(|r| {
                    r.outcome == outcome
                        && r.by == Stratification::ALL
                        && r.id_mode == id_mode
                        && r.estimator == estimator
                        && r.cum_inc.is_some()
                })
                .max_by_key(|r| r.age);
            out.push(HeadlineEstimate {
                outcome,
                estimator,
                id_mode,
                recommended: id_mode == main && Some(estimator) == best,
                age: last.map(|r| r.age.0 as u8),
                cum_inc: last.and_then(|r| r.cum_inc),
                lower: last.and_then(|r| r.lower),
                upper: last.and_then(|r| r.upper),
            });
        }
    }
    out
}

/// The recommended estimate of every outcome, in pathway order.
pub fn headline(ci: &Released<Vec<CiRow>>) -> Vec<HeadlineEstimate> {
    estimates(ci)
        .into_iter()
        .filter(|h| h.recommended)
        .collect()
}

/// "18th", "1st", "2nd", "3rd", "11th".
pub fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The birthday an estimate is "before": the 18th for age 17.
pub fn birthday(age: u8) -> String {
    ordinal(u32::from(age) + 1)
}

/// How a share is put in words: per hundred from 10%, else per thousand.
pub fn per(cum_inc: f64) -> crate::cell::Shown {
    if cum_inc >= 0.095 {
        crate::cell::Shown::PerHundred
    } else {
        crate::cell::Shown::PerThousand
    }
}

/// The plain sentence of an estimate, with `count` the way the number is written (the
/// report wraps it in a `<data>` element; the terminal prints it).
pub fn sentence_with(h: &HeadlineEstimate, count: impl Fn(f64) -> String) -> String {
    match (h.cum_inc, h.age) {
        (Some(v), Some(age)) => {
            let whole = if per(v) == crate::cell::Shown::PerHundred {
                "100"
            } else {
                "1,000"
            };
            format!(
                "About {} in every {whole} children {} before their {} birthday.",
                count(v),
                outcome_phrase(h.outcome),
                birthday(age)
            )
        }
        _ => format!(
            "How many children {} before their 18th birthday is withheld by disclosure \
             control (c).",
            outcome_phrase(h.outcome)
        ),
    }
}

/// The plain sentence as text.
pub fn sentence(h: &HeadlineEstimate) -> String {
    sentence_with(h, |v| crate::cell::text(v, per(v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdc::SdcProfile;
    use crate::testing::released;
    use cumin_estimate::Curve;

    fn curve(outcome: Outcome, estimator: CurveEstimator, step: f64) -> Curve {
        crate::testing::curve(outcome, estimator, "all", "all", step)
    }

    #[test]
    fn the_recommended_estimator_is_the_methods_choice_then_the_other_corrected_one() {
        use CurveEstimator::*;
        for o in PATHWAY {
            let chosen = CurveEstimator::new(cumin_estimate::recommended(o), true);
            assert_eq!(
                recommended_estimator(o, &[LifeTableUnadjusted, LifeTable, CohortSplice]),
                Some(chosen)
            );
        }
        let o = Outcome::Referral;
        assert_eq!(
            recommended_estimator(o, &[LifeTableUnadjusted, CohortSplice]),
            Some(CohortSplice)
        );
        assert_eq!(
            recommended_estimator(o, &[LifeTableUnadjusted, LifeTable]),
            Some(LifeTable)
        );
        assert_eq!(
            recommended_estimator(o, &[LifeTableUnadjusted]),
            Some(LifeTableUnadjusted)
        );
        assert_eq!(recommended_estimator(o, &[]), None);
    }

    #[test]
    fn the_headline_is_in_pathway_order_with_one_recommended_estimate_each() {
        // Rows arrive in alphabetical and estimator order; the headline reorders them.
        let curves = [
            curve(Outcome::Cpp, CurveEstimator::LifeTableUnadjusted, 0.004),
            curve(Outcome::Cpp, CurveEstimator::LifeTable, 0.004),
            curve(Outcome::Assessed, CurveEstimator::LifeTable, 0.015),
            curve(Outcome::Referral, CurveEstimator::LifeTableUnadjusted, 0.03),
            curve(Outcome::Referral, CurveEstimator::LifeTable, 0.02),
            curve(Outcome::S47, CurveEstimator::LifeTable, 0.006),
            curve(Outcome::Cin, CurveEstimator::LifeTable, 0.01),
        ];
        let ci = released(SdcProfile::None, &curves);
        let h = headline(&ci);
        let order: Vec<Outcome> = h.iter().map(|h| h.outcome).collect();
        assert_eq!(order, PATHWAY.to_vec());
        assert!(h.iter().all(|h| h.estimator == CurveEstimator::LifeTable));
        assert_eq!(h[0].age, Some(17));
        let all = estimates(&ci);
        assert_eq!(all.len(), curves.len());
        assert_eq!(
            (all[0].estimator, all[1].estimator),
            (
                CurveEstimator::LifeTable,
                CurveEstimator::LifeTableUnadjusted
            ),
            "the recommended estimator comes first"
        );
    }

    #[test]
    fn the_sentence_says_it_plainly() {
        let mut h = HeadlineEstimate {
            outcome: Outcome::Referral,
            estimator: CurveEstimator::CohortSplice,
            id_mode: IdMode::Combined,
            recommended: true,
            age: Some(17),
            cum_inc: Some(0.3821),
            lower: Some(0.31),
            upper: Some(0.40),
        };
        assert_eq!(
            sentence(&h),
            "About 38 in every 100 children are referred to children's social care before \
             their 18th birthday."
        );
        h.outcome = Outcome::Cpp;
        h.cum_inc = Some(0.0682);
        h.age = Some(15);
        assert_eq!(
            sentence(&h),
            "About 68 in every 1,000 children are placed on a child protection plan before \
             their 16th birthday."
        );
        h.cum_inc = None;
        assert!(sentence(&h).contains("withheld"));
        assert_eq!(ordinal(1), "1st");
        assert_eq!(ordinal(12), "12th");
        assert_eq!(ordinal(22), "22nd");
    }

    #[test]
    fn no_headline_shows_a_stage_above_one_before_it() {
        // Assessed estimated above referral: the release caps it at referral's figure
        // (crate::curve's notes), so the headline never says more children were assessed
        // than referred.
        let curves = [
            curve(Outcome::Referral, CurveEstimator::LifeTable, 0.010),
            curve(Outcome::Assessed, CurveEstimator::LifeTable, 0.012),
        ];
        for profile in [SdcProfile::None, SdcProfile::Jay2025, SdcProfile::OnsSrs] {
            let h = headline(&released(profile, &curves));
            let of = |o: Outcome| h.iter().find(|h| h.outcome == o).unwrap().cum_inc;
            let (referred, assessed) = (of(Outcome::Referral), of(Outcome::Assessed));
            assert!(referred.is_some() && assessed <= referred, "{profile:?}");
        }
    }
}
