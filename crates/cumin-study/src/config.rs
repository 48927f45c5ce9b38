//! The study configuration as given: what `cumin run STUDY.toml` reads and
//! `cumin estimate` builds from its flags. It is checked once, before any work starts,
//! into the [`Settings`](crate::settings::Settings) every stage takes its part of.

use cumin_census::{ColumnMap, Date, LsoaLookup, Outcome, ReadOptions, ValueMap};
use cumin_estimate::{Estimator, Period, SpliceDesign, Stratification};
use cumin_jay::{JayRuleSwitches, Preset};
use cumin_link::{ConflictPolicy, IdMode, LinkageMode};
use cumin_report::SdcProfile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A study as written in a TOML file (every field optional but `episodes`,
/// `denominators`, `out`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyConfig {
    /// Episode files: paths or globs.
    pub episodes: Vec<String>,
    /// Population denominators file.
    pub denominators: PathBuf,
    /// Output folder.
    pub out: PathBuf,
    /// Estimators to run.
    #[serde(default = "default_estimators")]
    pub estimators: Vec<Estimator>,
    /// Which cohort supplies each age of the cohort splice.
    #[serde(default)]
    pub splice_design: SpliceDesign,
    /// Identifier mode.
    #[serde(default)]
    pub id_mode: IdMode,
    /// What linkage does with conflicting identifiers.
    #[serde(default)]
    pub conflict_policy: ConflictPolicy,
    /// What is done about split identities: `exact` (the identifier graph only),
    /// `merge` (also join suspected transfers) or `corrected` (merge, then remove the
    /// expected spurious first events; docs/methods.md §2.1). Unset: `corrected` where it
    /// applies, else `exact` (settled by [`StudyConfig::check`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkage: Option<LinkageMode>,
    /// Also estimate under every identifier mode, side by side (`sensitivity.csv`).
    #[serde(default)]
    pub sensitivity: bool,
    /// Strata beside `all`.
    /// Stratifications beside `all` (`idaci_decile`, or crossed: `idaci_decile:sex`).
    #[serde(default)]
    pub by: Vec<Stratification>,
    /// Outcomes; by default referral, assessed, CIN and CPP, and s47 when its columns
    /// are present.
    #[serde(default)]
    pub outcomes: Option<Vec<Outcome>>,
    /// First day of the study window.
    #[serde(default = "default_window_start")]
    pub window_start: Date,
    /// Disclosure control profile.
    #[serde(default)]
    pub sdc: SdcProfile,
    /// Random seed (bootstrap, SII simulation).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Child-cluster bootstrap replicates for the intervals of estimators that use an
    /// estimated left-censoring correction: 200 by default, so that the default intervals
    /// carry the corrections' estimation noise (issue 19); 1000 for tables to publish; 0
    /// for none (their intervals then treat the correction's estimate as known and are
    /// too narrow).
    #[serde(default = "default_bootstrap")]
    pub bootstrap: u32,
    /// Calendar periods for `trend.csv`, each a range of census years named by the year
    /// they end (`2012-2015` = 2011/12 to 2014/15).
    #[serde(default)]
    pub periods: Vec<Period>,
    /// Simulated samples for the SII and RII intervals (PHEindicatormethods' default is
    /// 100,000; cumin's 10,000, see docs/methods.md for the Monte-Carlo error).
    #[serde(default = "default_sii_repetitions")]
    pub sii_repetitions: u32,
    /// Confidence level of intervals.
    #[serde(default = "default_level")]
    pub level: f64,
    /// Extra column names: `LA = "local_authority"`.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Value replacements per column, before any cleaning rule:
    /// `[values.Ethnicity] "White British" = "WBRI"` (`""` makes a value missing).
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// LSOA → IDACI decile lookup (`LSOA,IDACI_Decile`), for rows without a decile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lsoa_lookup: Option<PathBuf>,
    /// First day of usable data: rows referred earlier are excluded (and counted).
    #[serde(default = "cumin_census::normalise::default_data_start")]
    pub data_start: Date,
    /// The census years to use, each named by the year it ends (`2009-2024` = 2008/09 to
    /// 2023/24): rows of other years are excluded and counted. Unset: the extract's own
    /// years, which must be within sense (`cumin_census::years`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub census_years: Option<Period>,
    /// A preset design: `jay2025` (Jay et al. 2025 with the R code's ⚠ behaviours
    /// corrected) or `jay2025-strict` (exactly as their R code counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// With a Jay preset: corrections switched on or off over the preset's default.
    #[serde(default, skip_serializing_if = "JayRuleSwitches::is_empty")]
    pub jay_rules: JayRuleSwitches,
}

impl StudyConfig {
    /// Reads a study TOML file. Relative paths in it (episodes, denominators, out, the
    /// LSOA lookup) are taken from the file's folder, not the current one, so a study
    /// runs the same from anywhere.
    pub fn from_toml_file(path: &Path) -> Result<StudyConfig, crate::error::StudyError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| crate::error::StudyError::ConfigFile {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        let config: StudyConfig =
            toml::from_str(&text).map_err(|e| crate::error::StudyError::ConfigFile {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        Ok(config.relative_to(path.parent().unwrap_or(Path::new(""))))
    }

    /// The configuration with its relative paths taken from `base`.
    #[must_use]
    pub fn relative_to(mut self, base: &Path) -> StudyConfig {
        let join = |p: &Path| {
            if p.is_absolute() {
                p.to_owned()
            } else {
                base.join(p)
            }
        };
        self.episodes = self
            .episodes
            .iter()
            .map(|e| join(Path::new(e)).to_string_lossy().into_owned())
            .collect();
        self.denominators = join(&self.denominators);
        self.out = join(&self.out);
        self.lsoa_lookup = self.lsoa_lookup.as_deref().map(join);
        self
    }

    /// How to read the episode files: the column and value maps, the LSOA lookup (read
    /// here, so a bad lookup stops the run before any episode is read) and the data
    /// start. Required columns are left to the caller.
    pub fn read_options(&self) -> Result<ReadOptions, crate::error::StudyError> {
        let columns =
            ColumnMap::from_pairs(self.columns.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .map_err(crate::error::StudyError::Config)?;
        let values = ValueMap::from_tables(self.values.iter().map(|(column, pairs)| {
            (
                column.as_str(),
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            )
        }))
        .map_err(crate::error::StudyError::Config)?;
        let lsoa = match &self.lsoa_lookup {
            Some(p) => Some(std::sync::Arc::new(LsoaLookup::read(p)?)),
            None => None,
        };
        let mut options = ReadOptions {
            columns,
            values,
            lsoa,
            ..ReadOptions::default()
        };
        options.rules.data_start = self.data_start;
        options.census_years = self.census_years.map(|p| (p.first, p.last));
        Ok(options)
    }
}

impl StudyConfig {
    /// A study of `episodes` with `denominators`, written to `out`, every other setting at
    /// its default (as a TOML file naming only those three would be).
    pub fn new(episodes: Vec<String>, denominators: PathBuf, out: PathBuf) -> StudyConfig {
        StudyConfig {
            episodes,
            denominators,
            out,
            estimators: default_estimators(),
            splice_design: SpliceDesign::default(),
            id_mode: IdMode::default(),
            by: Vec::new(),
            outcomes: None,
            window_start: default_window_start(),
            sdc: SdcProfile::default(),
            seed: default_seed(),
            bootstrap: default_bootstrap(),
            periods: Vec::new(),
            sii_repetitions: default_sii_repetitions(),
            level: default_level(),
            columns: BTreeMap::new(),
            conflict_policy: ConflictPolicy::default(),
            linkage: None,
            sensitivity: false,
            values: BTreeMap::new(),
            lsoa_lookup: None,
            data_start: cumin_census::normalise::default_data_start(),
            census_years: None,
            preset: None,
            jay_rules: JayRuleSwitches::default(),
        }
    }
}

fn default_estimators() -> Vec<Estimator> {
    vec![Estimator::CohortSplice, Estimator::LifeTable]
}

/// The default window start, 1 April 2011 (data before 2011/12 are poor).
pub fn default_window_start() -> Date {
    Date::ymd(2011, 4, 1)
}

fn default_seed() -> u64 {
    1
}

/// Bootstrap replicates by default: enough for 95% percentile limits whose Monte-Carlo
/// error costs about 0.4 points of coverage (docs/methods.md §5.6).
pub fn default_bootstrap() -> u32 {
    200
}

/// 10,000 draws put each SII/RII limit within about 1.4% of the interval's half-width
/// of its limit at infinitely many (Monte-Carlo standard error; docs/methods.md).
fn default_sii_repetitions() -> u32 {
    10_000
}

fn default_level() -> f64 {
    0.95
}

impl StudyConfig {
    /// The linkage mode used: the one set, or by default `corrected` where it applies
    /// (identifiers `combined` or `pmr-school-age`, outside `jay2025-strict`) and `exact`
    /// elsewhere (`jay2025-strict` reproduces the R code; `la-only` and `pmr-only` have no
    /// PMR moves to learn the correction from). Under `jay2025` it applies to the corrected
    /// splice; the R pipeline's counts keep their own linkage.
    pub(crate) fn linkage_mode(&self) -> LinkageMode {
        self.linkage.unwrap_or(
            if self.preset != Some(Preset::Jay2025Strict)
                && matches!(self.id_mode, IdMode::Combined | IdMode::PmrSchoolAge)
            {
                LinkageMode::Corrected
            } else {
                LinkageMode::Exact
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_run_computes_the_recommended_estimator_of_every_outcome() {
        // The report headlines `cumin_estimate::recommended`; a default run must have it.
        for o in Outcome::ALL {
            assert!(
                default_estimators().contains(&cumin_estimate::recommended(o)),
                "{o:?}"
            );
        }
    }
}
