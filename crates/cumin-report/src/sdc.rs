//! Statistical disclosure control: nothing leaves cumin without it.
//!
//! Output writers accept only [`Released`] tables, and only the `release*` functions here
//! make them, so every table written has passed the profile chosen for the run (invariant
//! in `docs/ARCHITECTURE.md`).
//!
//! For cumulative-incidence curves, suppressing a small count is not enough: the count
//! can be recovered by differencing neighbouring ages of the curve, or from the margin
//! (the `all` row minus the other strata). So, under a profile with a threshold:
//! 1. an age's events below the threshold (or zero, where zeros are disclosive) are
//!    withheld;
//! 2. a curve is released only in steps: the cumulative figures of an age are shown only
//!    when at least `threshold` events have accrued since the last age shown, so no
//!    difference of two shown values rests on fewer events than the threshold; rates and
//!    limits of the ages in between are withheld;
//! 3. secondary suppression: among the strata of one variable at one age (and their
//!    `all` total), a lone withheld events cell is joined by the next smallest, so it
//!    cannot be recovered by subtraction;
//! 4. every count shown is rounded (at-risk counts too, so differences of at-risk counts
//!    do not reveal events).

use crate::tables::{CiRow, LinkageRow, TrendRow};
use cumin_census::{Age, Outcome};
use cumin_estimate::{
    BackwardHazard, CorrectionBound, CorrectionCell, CurveEstimator, InequalityMeasure, Recurrence,
    Stratification, Stratum, Unplaced,
};
use cumin_link::IdMode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Disclosure-control profiles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum SdcProfile {
    /// No control: for synthetic data only.
    None,
    /// Jay et al. 2025: counts rounded to the nearest 10.
    #[default]
    #[cfg_attr(feature = "clap", value(name = "jay2025"))]
    Jay2025,
    /// DfE statistics practice: counts of 1–5 withheld (`c`), counts rounded to the
    /// nearest 10.
    Dfe,
    /// ONS Secure Research Service: threshold 10, zeros disclosive, counts rounded to 5.
    OnsSrs,
    /// UK Longitudinal Linkage Collaboration: as ONS SRS (threshold 10, zeros
    /// disclosive, rounding to 5).
    Ukllc,
}

/// The numbers behind a profile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SdcRules {
    /// Smallest count that may be shown (0: no suppression).
    pub threshold: f64,
    /// Whether a zero count is withheld too.
    pub zeros_disclosive: bool,
    /// Base to which shown counts are rounded (1: no rounding).
    pub round_to: f64,
}

impl SdcProfile {
    /// Every profile.
    pub const ALL: [SdcProfile; 5] = [
        SdcProfile::None,
        SdcProfile::Jay2025,
        SdcProfile::Dfe,
        SdcProfile::OnsSrs,
        SdcProfile::Ukllc,
    ];

    /// Name used on the command line and in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            SdcProfile::None => "none",
            SdcProfile::Jay2025 => "jay2025",
            SdcProfile::Dfe => "dfe",
            SdcProfile::OnsSrs => "ons-srs",
            SdcProfile::Ukllc => "ukllc",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<SdcProfile> {
        SdcProfile::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }

    /// The profile's numbers.
    pub fn rules(self) -> SdcRules {
        match self {
            SdcProfile::None => SdcRules {
                threshold: 0.0,
                zeros_disclosive: false,
                round_to: 1.0,
            },
            SdcProfile::Jay2025 => SdcRules {
                threshold: 0.0,
                zeros_disclosive: false,
                round_to: 10.0,
            },
            SdcProfile::Dfe => SdcRules {
                threshold: 6.0,
                zeros_disclosive: false,
                round_to: 10.0,
            },
            SdcProfile::OnsSrs | SdcProfile::Ukllc => SdcRules {
                threshold: 10.0,
                zeros_disclosive: true,
                round_to: 5.0,
            },
        }
    }

    /// What the profile does, for the manifest and report.
    pub fn description(self) -> &'static str {
        match self {
            SdcProfile::None => "no disclosure control (synthetic data only)",
            SdcProfile::Jay2025 => {
                "counts rounded to the nearest 10 (half to even, as R's round); rates from unrounded counts"
            }
            SdcProfile::Dfe => {
                "counts 1-5 withheld, curves shown in steps of at least 6 events, secondary suppression across strata, counts rounded to 10"
            }
            SdcProfile::OnsSrs | SdcProfile::Ukllc => {
                "counts under 10 and zeros withheld, curves shown in steps of at least 10 events, secondary suppression across strata, counts rounded to 5"
            }
        }
    }

    /// Rounds a count as the profile requires.
    pub fn round_count(self, x: f64) -> f64 {
        let base = self.rules().round_to;
        if base <= 1.0 {
            x
        } else {
            round_half_even(x / base) * base
        }
    }

    /// Whether a count may not be shown on its own.
    pub fn is_disclosive(self, x: f64) -> bool {
        let r = self.rules();
        (x > 0.0 && x < r.threshold) || (x == 0.0 && r.zeros_disclosive && r.threshold > 0.0)
    }
}

/// Rounds to the nearest integer, halves to even (IEC 60559, as R's `round`).
pub fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    // An exact half is exactly representable; comparing to 0.5 exactly is the point.
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    }
}

/// A table that has passed disclosure control.
#[derive(Clone, Debug, PartialEq)]
pub struct Released<T> {
    inner: T,
    profile: SdcProfile,
}

impl<T> Released<T> {
    /// Wraps a table that has passed `profile` (only this crate's `release*` functions
    /// call it).
    pub(crate) fn new(inner: T, profile: SdcProfile) -> Released<T> {
        Released { inner, profile }
    }

    /// The released table.
    pub fn get(&self) -> &T {
        &self.inner
    }

    /// The profile applied.
    pub fn profile(&self) -> SdcProfile {
        self.profile
    }
}

/// A curve: outcome, estimator, identifier mode, stratification, stratum.
type CurveKey = (Outcome, CurveEstimator, IdMode, Stratification, Stratum);

fn curve_key(r: &CiRow) -> CurveKey {
    (r.outcome, r.estimator, r.id_mode, r.by, r.stratum.clone())
}

/// The strata of one stratification at one age of a curve, and their `all` total.
type MarginKey = (Outcome, CurveEstimator, IdMode, Stratification, Age);

fn withhold_rate(r: &mut CiRow) {
    r.cum_inc = None;
    r.lower = None;
    r.upper = None;
    r.suppressed = true;
}

/// Applies `profile` to cumulative-incidence rows (see the module notes for the rules).
pub fn release(profile: SdcProfile, mut rows: Vec<CiRow>) -> Released<Vec<CiRow>> {
    let rules = profile.rules();
    if rules.threshold > 0.0 {
        // 1 and 2: per curve, withhold small age counts and release the curve in steps.
        let mut curves: BTreeMap<CurveKey, Vec<usize>> = BTreeMap::new();
        for (i, r) in rows.iter().enumerate() {
            curves.entry(curve_key(r)).or_default().push(i);
        }
        for idx in curves.values_mut() {
            idx.sort_by_key(|&i| rows[i].age);
            let mut pending = 0.0;
            for &i in idx.iter() {
                let e = rows[i].events.unwrap_or(0.0);
                pending += e;
                if profile.is_disclosive(e) {
                    rows[i].events = None;
                    rows[i].suppressed = true;
                }
                if pending >= rules.threshold {
                    pending = 0.0;
                } else {
                    withhold_rate(&mut rows[i]);
                }
            }
        }
        // 3: secondary suppression within each margin group.
        let mut groups: BTreeMap<MarginKey, Vec<usize>> = BTreeMap::new();
        for (i, r) in rows.iter().enumerate() {
            if r.by == Stratification::ALL {
                continue;
            }
            groups
                .entry((r.outcome, r.estimator, r.id_mode, r.by, r.age))
                .or_default()
                .push(i);
        }
        for ((outcome, estimator, id_mode, _, age), members) in groups {
            let withheld = members
                .iter()
                .filter(|&&i| rows[i].events.is_none())
                .count();
            if withheld != 1 {
                continue;
            }
            // The lone withheld cell could be recovered from the total: withhold the
            // smallest shown cell of the group as well (or the total if there is none).
            let next = members
                .iter()
                .copied()
                .filter(|&i| rows[i].events.is_some())
                .min_by(|&a, &b| {
                    rows[a]
                        .events
                        .partial_cmp(&rows[b].events)
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then(a.cmp(&b))
                });
            let target = next.or_else(|| {
                rows.iter().position(|r| {
                    r.by == Stratification::ALL
                        && r.outcome == outcome
                        && r.estimator == estimator
                        && r.id_mode == id_mode
                        && r.age == age
                })
            });
            if let Some(t) = target {
                rows[t].events = None;
                rows[t].suppressed = true;
            }
        }
    }
    // 4: round what is shown.
    for r in &mut rows {
        r.events = r.events.map(|x| profile.round_count(x));
        r.at_risk = r.at_risk.map(|x| profile.round_count(x));
    }
    Released {
        inner: rows,
        profile,
    }
}

/// Applies `profile` to the rows of `trend.csv`, as to `cumulative_incidence.csv`.
pub fn release_trend(profile: SdcProfile, rows: Vec<TrendRow>) -> Released<Vec<TrendRow>> {
    let (ci, periods): (Vec<CiRow>, Vec<cumin_estimate::Period>) =
        rows.into_iter().map(|r| (r.ci, r.period)).unzip();
    let ci = release(profile, ci).inner;
    Released {
        inner: ci
            .into_iter()
            .zip(periods)
            .map(|(ci, period)| TrendRow { ci, period })
            .collect(),
        profile,
    }
}

/// Applies `profile` to inequality measures. They hold no counts: each is computed from
/// unrounded estimates, as rates are, so every profile releases them as they are.
pub fn release_inequality(
    profile: SdcProfile,
    rows: Vec<InequalityMeasure>,
) -> Released<Vec<InequalityMeasure>> {
    Released {
        inner: rows,
        profile,
    }
}

/// Applies `profile` to recurrence counts (shares come from unrounded counts).
pub fn release_recurrence(
    profile: SdcProfile,
    mut rows: Vec<Recurrence>,
) -> Released<Vec<Recurrence>> {
    for r in &mut rows {
        r.children = profile.round_count(r.children);
        r.recurred = profile.round_count(r.recurred);
    }
    Released {
        inner: rows,
        profile,
    }
}

/// Applies `profile` to correction factors: the counts are rounded, factors kept.
pub fn release_corrections(
    profile: SdcProfile,
    mut rows: Vec<CorrectionCell>,
) -> Released<Vec<CorrectionCell>> {
    for r in &mut rows {
        r.first_observed = profile.round_count(r.first_observed);
        r.first_in_observed_years = profile.round_count(r.first_in_observed_years);
        r.corrected = profile.round_count(r.corrected);
    }
    Released {
        inner: rows,
        profile,
    }
}

/// Applies `profile` to the correction model's cells: counts rounded, hazards kept.
pub fn release_backward_hazards(
    profile: SdcProfile,
    mut rows: Vec<BackwardHazard>,
) -> Released<Vec<BackwardHazard>> {
    for r in &mut rows {
        r.children = profile.round_count(r.children);
        r.with_event = profile.round_count(r.with_event);
    }
    Released {
        inner: rows,
        profile,
    }
}

/// Applies `profile` to correction bounds: estimates only, released as they are.
pub fn release_bounds(
    profile: SdcProfile,
    rows: Vec<CorrectionBound>,
) -> Released<Vec<CorrectionBound>> {
    Released {
        inner: rows,
        profile,
    }
}

/// A count as `profile` shows it: withheld (NaN) where disclosive, else rounded.
pub fn released_count(profile: SdcProfile, x: f64) -> f64 {
    if profile.is_disclosive(x) {
        f64::NAN
    } else {
        profile.round_count(x)
    }
}

/// Applies `profile` to the event years without a stratum: counts withheld where
/// disclosive, else rounded.
pub fn release_unplaced(profile: SdcProfile, mut rows: Vec<Unplaced>) -> Released<Vec<Unplaced>> {
    for r in &mut rows {
        r.event_years = released_count(profile, r.event_years);
    }
    Released {
        inner: rows,
        profile,
    }
}

/// Applies `profile` to linkage diagnostics: counts are rounded (withheld where
/// disclosive), shares kept.
pub fn release_linkage(
    profile: SdcProfile,
    mut rows: Vec<LinkageRow>,
) -> Released<Vec<LinkageRow>> {
    for r in &mut rows {
        if r.measure.is_count() {
            r.value = released_count(profile, r.value);
        }
    }
    Released {
        inner: rows,
        profile,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounds_like_r() {
        for (x, want) in [
            (15.0, 20.0),
            (25.0, 20.0),
            (24.9, 20.0),
            (5.0, 0.0),
            (35.0, 40.0),
            (0.0, 0.0),
        ] {
            assert_eq!(SdcProfile::Jay2025.round_count(x), want, "{x}");
        }
        assert_eq!(round_half_even(2.5), 2.0);
        assert_eq!(round_half_even(-2.5), -2.0);
        assert_eq!(round_half_even(3.5), 4.0);
        assert_eq!(SdcProfile::None.round_count(7.0), 7.0);
        assert_eq!(SdcProfile::OnsSrs.round_count(12.0), 10.0);
        assert_eq!(SdcProfile::OnsSrs.round_count(13.0), 15.0);
        for p in SdcProfile::ALL {
            assert_eq!(SdcProfile::parse(p.as_str()), Some(p));
        }
    }

    fn row(stratum_var: &str, stratum: &str, age: u8, events: f64, cum: f64) -> CiRow {
        CiRow {
            outcome: Outcome::Cpp,
            estimator: CurveEstimator::CohortSplice,
            id_mode: IdMode::Combined,
            by: Stratification::parse(stratum_var).unwrap(),
            stratum: Stratum::new(stratum),
            age: Age(age as i8),
            events: Some(events),
            at_risk: Some(1000.0),
            cum_inc: Some(cum),
            lower: Some(cum * 0.9),
            upper: Some(cum * 1.1),
            suppressed: false,
        }
    }

    #[test]
    fn curves_are_released_in_steps_of_the_threshold() {
        let events = [12.0, 3.0, 4.0, 5.0, 20.0];
        let mut cum = 0.0;
        let rows: Vec<CiRow> = events
            .iter()
            .enumerate()
            .map(|(a, e)| {
                cum += e / 1000.0;
                row("all", "all", a as u8, *e, cum)
            })
            .collect();
        let out = release(SdcProfile::OnsSrs, rows);
        let shown: Vec<bool> = out.get().iter().map(|r| r.cum_inc.is_some()).collect();
        // 12 ≥ 10; 3, 3+4 < 10; 3+4+5 = 12 ≥ 10; 20 ≥ 10.
        assert_eq!(shown, [true, false, false, true, true]);
        let ev: Vec<Option<f64>> = out.get().iter().map(|r| r.events).collect();
        assert_eq!(ev, [Some(10.0), None, None, None, Some(20.0)]);
        assert!(out.get()[1].suppressed);
    }

    #[test]
    fn a_lone_withheld_stratum_gets_a_partner() {
        let rows = vec![
            row("all", "all", 3, 60.0, 0.1),
            row("sex", "male", 3, 4.0, 0.1),
            row("sex", "female", 3, 56.0, 0.1),
        ];
        let out = release(SdcProfile::Dfe, rows);
        assert_eq!(out.get()[1].events, None);
        assert_eq!(out.get()[2].events, None, "the partner is withheld too");
        assert_eq!(out.get()[0].events, Some(60.0));
    }

    proptest! {
        #[test]
        fn no_shown_cell_is_under_the_threshold_and_no_lone_cell_is_withheld(
            counts in proptest::collection::vec(0u32..40, 3..12),
            profile in proptest::sample::select(vec![SdcProfile::Dfe, SdcProfile::OnsSrs, SdcProfile::Ukllc]),
        ) {
            // Two strata per age and their total.
            let mut rows = Vec::new();
            for (a, pair) in counts.chunks(2).enumerate() {
                let m = f64::from(pair[0]);
                let f = f64::from(*pair.get(1).unwrap_or(&0));
                rows.push(row("all", "all", a as u8, m + f, 0.1));
                rows.push(row("sex", "male", a as u8, m, 0.1));
                rows.push(row("sex", "female", a as u8, f, 0.1));
            }
            let raw = rows.clone();
            let out = release(profile, rows);
            let rules = profile.rules();
            for (r, orig) in out.get().iter().zip(&raw) {
                if r.events.is_some() {
                    prop_assert!(!profile.is_disclosive(orig.events.unwrap()));
                    prop_assert_eq!(r.events.unwrap() % rules.round_to, 0.0);
                }
            }
            for a in 0..counts.len().div_ceil(2) {
                let strata: Vec<&CiRow> = out.get().iter()
                    .filter(|r| r.by != Stratification::ALL && r.age == Age(a as i8)).collect();
                let withheld = strata.iter().filter(|r| r.events.is_none()).count();
                let total_withheld = out.get().iter()
                    .any(|r| r.by == Stratification::ALL && r.age == Age(a as i8) && r.events.is_none());
                prop_assert!(withheld != 1 || total_withheld, "age {}: a lone withheld cell", a);
            }
            // Curves: between two shown ages, at least `threshold` events accrued.
            for stratum in ["all", "male", "female"] {
                let mut acc = 0.0;
                for (r, orig) in out.get().iter().zip(&raw).filter(|(r, _)| r.stratum.as_str() == stratum) {
                    acc += orig.events.unwrap();
                    if r.cum_inc.is_some() {
                        prop_assert!(acc >= rules.threshold);
                        acc = 0.0;
                    }
                }
            }
        }
    }

    #[test]
    fn new_tables_round_their_counts_and_keep_their_rates() {
        let r = release_recurrence(
            SdcProfile::Jay2025,
            vec![Recurrence {
                outcome: Outcome::Referral,
                first_year: cumin_census::CensusYear(2015),
                years_after: 1,
                children: 137.0,
                recurred: 44.0,
                share: Some(44.0 / 137.0),
            }],
        );
        let row = &r.get()[0];
        assert_eq!((row.children, row.recurred), (140.0, 40.0));
        assert_eq!(row.share, Some(44.0 / 137.0));
        let c = release_corrections(
            SdcProfile::Jay2025,
            vec![CorrectionCell {
                outcome: Outcome::Cin,
                by: Stratification::ALL,
                stratum: Stratum::all(),
                cohort: cumin_cohort::BirthCohort(2005),
                age: Age(12),
                entry_age: Age(6),
                first_observed: 101.0,
                first_in_observed_years: 96.0,
                factor: 0.75,
                extrapolated_factor: 1.0,
                corrected: 72.0,
            }],
        );
        let row = &c.get()[0];
        assert_eq!(
            (
                row.first_observed,
                row.first_in_observed_years,
                row.corrected,
                row.factor
            ),
            (100.0, 100.0, 70.0, 0.75)
        );
        let t = release_trend(
            SdcProfile::Jay2025,
            vec![TrendRow {
                ci: CiRow {
                    outcome: Outcome::Cpp,
                    estimator: CurveEstimator::LifeTable,
                    id_mode: IdMode::Combined,
                    by: Stratification::ALL,
                    stratum: Stratum::all(),
                    age: Age(3),
                    events: Some(13.0),
                    at_risk: Some(1234.0),
                    cum_inc: Some(0.01),
                    lower: Some(0.005),
                    upper: Some(0.02),
                    suppressed: false,
                },
                period: cumin_estimate::Period::parse("2012-2015").unwrap(),
            }],
        );
        assert_eq!(t.get()[0].ci.events, Some(10.0));
        assert_eq!(t.get()[0].ci.at_risk, Some(1230.0));
        assert_eq!(t.get()[0].period.to_string(), "2012-2015");
    }
}
