//! Statistical disclosure control: nothing leaves cumin without it.
//!
//! Output writers accept only [`Released`] tables, and only [`release`] makes them, so
//! every table written has passed the profile chosen for the run (invariant in
//! `docs/ARCHITECTURE.md`).

use crate::tables::{
    BackwardHazardRow, CiRow, CorrectionRow, InequalityRow, RecurrenceRow, SensitivityRow, TrendRow,
};
use serde::{Deserialize, Serialize};

/// Disclosure-control profiles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SdcProfile {
    /// No control: for synthetic data only.
    None,
    /// Jay et al. 2025: counts rounded to the nearest 10.
    #[default]
    Jay2025,
}

impl SdcProfile {
    /// Name used on the command line and in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            SdcProfile::None => "none",
            SdcProfile::Jay2025 => "jay2025",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<SdcProfile> {
        match s.trim() {
            "none" => Some(SdcProfile::None),
            "jay2025" => Some(SdcProfile::Jay2025),
            _ => None,
        }
    }

    /// What the profile does, for the manifest and report.
    pub fn description(self) -> &'static str {
        match self {
            SdcProfile::None => "no disclosure control (synthetic data only)",
            SdcProfile::Jay2025 => {
                "counts rounded to the nearest 10 (half to even, as R's round); rates from unrounded counts"
            }
        }
    }

    /// Rounds a count as the profile requires.
    pub fn round_count(self, x: f64) -> f64 {
        match self {
            SdcProfile::None => x,
            SdcProfile::Jay2025 => round_half_even(x / 10.0) * 10.0,
        }
    }
}

/// Rounds to the nearest integer, halves to even (IEC 60559, as R's `round`).
// An exact half is exactly representable; comparing to 0.5 exactly is the point.
#[allow(clippy::float_cmp)]
pub fn round_half_even(x: f64) -> f64 {
    let r = x.round();
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
    /// The released table.
    pub fn get(&self) -> &T {
        &self.inner
    }

    /// The profile applied.
    pub fn profile(&self) -> SdcProfile {
        self.profile
    }
}

/// Applies `profile` to cumulative-incidence rows.
pub fn release(profile: SdcProfile, mut rows: Vec<CiRow>) -> Released<Vec<CiRow>> {
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
    let (ci, periods): (Vec<CiRow>, Vec<String>) = rows.into_iter().map(|r| (r.ci, r.period)).unzip();
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
    rows: Vec<InequalityRow>,
) -> Released<Vec<InequalityRow>> {
    Released {
        inner: rows,
        profile,
    }
}

/// Applies `profile` to recurrence counts (shares come from unrounded counts).
pub fn release_recurrence(
    profile: SdcProfile,
    mut rows: Vec<RecurrenceRow>,
) -> Released<Vec<RecurrenceRow>> {
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
    mut rows: Vec<CorrectionRow>,
) -> Released<Vec<CorrectionRow>> {
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
    mut rows: Vec<BackwardHazardRow>,
) -> Released<Vec<BackwardHazardRow>> {
    for r in &mut rows {
        r.children = profile.round_count(r.children);
        r.with_event = profile.round_count(r.with_event);
    }
    Released {
        inner: rows,
        profile,
    }
}

/// Applies `profile` to correction sensitivities: estimates only, released as they are.
pub fn release_sensitivity(
    profile: SdcProfile,
    rows: Vec<SensitivityRow>,
) -> Released<Vec<SensitivityRow>> {
    Released {
        inner: rows,
        profile,
    }
}

/// Applies `profile` to a table of plain counts (e.g. per-age first events).
pub fn release_counts<T>(
    profile: SdcProfile,
    mut rows: Vec<T>,
    count: impl Fn(&mut T) -> &mut f64,
) -> Released<Vec<T>> {
    for r in &mut rows {
        let c = count(r);
        *c = profile.round_count(*c);
    }
    Released {
        inner: rows,
        profile,
    }
}

/// Applies `profile` to linkage diagnostics: counts are rounded, shares kept.
pub fn release_linkage(
    profile: SdcProfile,
    mut rows: Vec<crate::tables::LinkageRow>,
) -> Released<Vec<crate::tables::LinkageRow>> {
    for r in &mut rows {
        if r.is_count {
            r.value = profile.round_count(r.value);
        }
    }
    Released {
        inner: rows,
        profile,
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn new_tables_round_their_counts_and_keep_their_rates() {
        let r = release_recurrence(
            SdcProfile::Jay2025,
            vec![RecurrenceRow {
                outcome: "referral".to_owned(),
                first_year: 2015,
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
            vec![CorrectionRow {
                outcome: "cin".to_owned(),
                stratum_var: "all".to_owned(),
                stratum: "all".to_owned(),
                birth_year: 2005,
                age: 12,
                entry_age: 6,
                first_observed: 101.0,
                first_in_observed_years: 96.0,
                factor: 0.75,
                extrapolated_factor: 1.0,
                corrected: 72.0,
            }],
        );
        let row = &c.get()[0];
        assert_eq!(
            (row.first_observed, row.first_in_observed_years, row.corrected, row.factor),
            (100.0, 100.0, 70.0, 0.75)
        );
        let t = release_trend(
            SdcProfile::Jay2025,
            vec![TrendRow {
                ci: CiRow {
                    outcome: "cpp".to_owned(),
                    estimator: "life-table".to_owned(),
                    id_mode: "combined".to_owned(),
                    stratum_var: "all".to_owned(),
                    stratum: "all".to_owned(),
                    age: 3,
                    events: Some(13.0),
                    at_risk: Some(1234.0),
                    cum_inc: Some(0.01),
                    lower: Some(0.005),
                    upper: Some(0.02),
                    suppressed: false,
                },
                period: "2012-2015".to_owned(),
            }],
        );
        assert_eq!(t.get()[0].ci.events, Some(10.0));
        assert_eq!(t.get()[0].ci.at_risk, Some(1230.0));
        assert_eq!(t.get()[0].period, "2012-2015");
    }
}
