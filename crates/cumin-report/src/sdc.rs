//! Statistical disclosure control: nothing leaves cumin without it.
//!
//! Output writers accept only [`Released`] tables, and only [`release`] makes them, so
//! every table written has passed the profile chosen for the run (invariant in
//! `docs/ARCHITECTURE.md`).

use crate::tables::CiRow;
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
}
