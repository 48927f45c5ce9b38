//! The two presets (strict and corrected) and the two identifier modes of the design.

use crate::rules::{JayRuleSwitches, JayRules};
use cumin_census::JAY_BANDS;
use cumin_link::IdMode;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A study preset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Preset {
    /// Jay et al. 2025's design with each ⚠ behaviour of their code corrected.
    #[serde(rename = "jay2025")]
    #[cfg_attr(feature = "clap", value(name = "jay2025"))]
    Jay2025,
    /// Jay et al. 2025's design exactly as their published R code computes it.
    #[serde(rename = "jay2025-strict")]
    #[cfg_attr(feature = "clap", value(name = "jay2025-strict"))]
    Jay2025Strict,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 2] = [Preset::Jay2025, Preset::Jay2025Strict];

    /// Name on the command line and in the study file.
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Jay2025 => "jay2025",
            Preset::Jay2025Strict => "jay2025-strict",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }

    /// The corrections in force by default.
    pub fn default_rules(self) -> JayRules {
        match self {
            Preset::Jay2025 => JayRules::corrected(),
            Preset::Jay2025Strict => JayRules::strict(),
        }
    }

    /// The corrections in force with a study's `[jay_rules]` switches.
    pub fn rules(self, switches: &JayRuleSwitches) -> JayRules {
        switches.apply(self.default_rules())
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identifier rules of the paper's two analyses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JayMode {
    /// Main analysis (J3): from age 5, only rows identified by a PMR count.
    Main,
    /// Sensitivity analysis (J3_1): every row counts.
    Sensitivity,
}

impl JayMode {
    /// Both, in output order.
    pub const ALL: [JayMode; 2] = [JayMode::Main, JayMode::Sensitivity];

    /// Name in `jay_counts.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            JayMode::Main => "main",
            JayMode::Sensitivity => "sensitivity",
        }
    }

    /// The cumin identifier mode it corresponds to (`id_mode` in
    /// `cumulative_incidence.csv`).
    pub fn id_mode(self) -> IdMode {
        match self {
            JayMode::Main => IdMode::PmrSchoolAge,
            JayMode::Sensitivity => IdMode::Combined,
        }
    }

    /// Position in [`JayMode::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The band (index into [`JAY_BANDS`]) that counts cohort `birth_year` at `age`, if any.
pub fn band_of(birth_year: i32, age: i8) -> Option<usize> {
    JAY_BANDS
        .iter()
        .position(|&(b, lo, hi)| i32::from(b) == birth_year && (lo..=hi).contains(&age))
}

/// The band (index into [`JAY_BANDS`]) of a cohort.
pub fn cohort_band(birth_year: i32) -> Option<usize> {
    JAY_BANDS
        .iter()
        .position(|&(b, _, _)| i32::from(b) == birth_year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_bands() {
        for p in Preset::ALL {
            assert_eq!(Preset::parse(p.as_str()), Some(p));
        }
        assert!(Preset::Jay2025Strict.default_rules().is_strict());
        assert_eq!(band_of(2013, -1), Some(0));
        assert_eq!(band_of(2013, 6), None);
        assert_eq!(band_of(2006, 5), None);
        assert_eq!(band_of(2006, 12), Some(1));
        assert_eq!(band_of(2001, 17), Some(2));
        assert_eq!(cohort_band(2002), None);
        assert_eq!(JayMode::Main.id_mode(), IdMode::PmrSchoolAge);
    }
}
