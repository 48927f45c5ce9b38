//! The study configuration: what `cumin run STUDY.toml` reads and `cumin estimate` builds
//! from its flags. Raw values are checked into a [`Study`] before any work starts.

use crate::strata::Stratification;
use cumin_census::{
    CensusYear, Column, ColumnMap, Date, LsoaLookup, Outcome, ReadOptions, ValueMap,
};
use cumin_link::{ConflictPolicy, IdMode, LinkOptions, LinkageMode};
use cumin_report::SdcProfile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Estimators cumin offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Estimator {
    /// Fixed cohorts per age band (Jay et al. 2025), or by default the cohort with the
    /// longest lookback at each age.
    CohortSplice,
    /// All cohorts × ages in the window, pooled into age-specific hazards.
    LifeTable,
}

impl Estimator {
    /// Name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Estimator::CohortSplice => "cohort-splice",
            Estimator::LifeTable => "life-table",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Estimator> {
        match s.trim() {
            "cohort-splice" => Some(Estimator::CohortSplice),
            "life-table" => Some(Estimator::LifeTable),
            _ => None,
        }
    }
}

/// Which cohort supplies each age of the cohort splice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpliceDesign {
    /// At each age the latest cohort observed at that age: the longest lookback before
    /// it, so the smallest left-censoring correction.
    #[default]
    LongestLookback,
    /// Jay et al. 2025's bands: born 2012/13 at ages 0-5 (with the pre-birth months),
    /// 2005/06 at 6-12, 2000/01 at 13-17 (`cohort-splice` is then the left-censoring
    /// corrected version of their design).
    #[serde(rename = "jay2025")]
    Jay2025,
}

impl SpliceDesign {
    /// Name on the command line and in the study file.
    pub fn as_str(self) -> &'static str {
        match self {
            SpliceDesign::LongestLookback => "longest-lookback",
            SpliceDesign::Jay2025 => "jay2025",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<SpliceDesign> {
        [SpliceDesign::LongestLookback, SpliceDesign::Jay2025]
            .into_iter()
            .find(|d| d.as_str() == s.trim())
    }
}

/// A variable to stratify by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StratumVar {
    /// Everyone.
    All,
    /// IDACI decile at the event (1 = most deprived).
    IdaciDecile,
    /// Sex (the child's modal value).
    Sex,
    /// Major ethnic group (the child's modal value).
    Ethnicity,
    /// Local authority at the event.
    La,
}

impl StratumVar {
    /// Name in outputs (`stratum_var`).
    pub fn as_str(self) -> &'static str {
        match self {
            StratumVar::All => "all",
            StratumVar::IdaciDecile => "idaci_decile",
            StratumVar::Sex => "sex",
            StratumVar::Ethnicity => "ethnicity",
            StratumVar::La => "la",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<StratumVar> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Some(StratumVar::All),
            "idaci_decile" | "idaci" | "decile" => Some(StratumVar::IdaciDecile),
            "sex" | "gender" => Some(StratumVar::Sex),
            "ethnicity" => Some(StratumVar::Ethnicity),
            "la" => Some(StratumVar::La),
            _ => None,
        }
    }

    /// The episode column this stratum needs.
    pub fn column(self) -> Option<Column> {
        match self {
            StratumVar::All => None,
            StratumVar::IdaciDecile => Some(Column::IdaciDecile),
            StratumVar::Sex => Some(Column::Gender),
            StratumVar::Ethnicity => Some(Column::Ethnicity),
            StratumVar::La => Some(Column::La),
        }
    }

    /// The denominator column this stratum needs.
    pub fn denominator_column(self) -> Option<&'static str> {
        match self {
            StratumVar::All => None,
            StratumVar::IdaciDecile => Some("IDACI_Decile"),
            StratumVar::Sex => Some("sex"),
            StratumVar::Ethnicity => Some("ethnicity"),
            StratumVar::La => Some("LA"),
        }
    }
}

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
    /// expected spurious first events; docs/methods.md §2.1). Unset: see
    /// [`StudyConfig::linkage_mode`].
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
    /// estimated left-censoring correction (0: none; their intervals then treat the
    /// correction as known).
    #[serde(default)]
    pub bootstrap: u32,
    /// Calendar periods for `trend.csv`, each a range of census years named by the year
    /// they end (`2012-2015` = 2011/12 to 2014/15).
    #[serde(default)]
    pub periods: Vec<Period>,
    /// Simulated samples for the SII and RII intervals (PHEindicatormethods' default).
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
    pub preset: Option<crate::jay::Preset>,
    /// With a Jay preset: corrections switched on or off over the preset's default.
    #[serde(default, skip_serializing_if = "crate::jay::JayRuleSwitches::is_empty")]
    pub jay_rules: crate::jay::JayRuleSwitches,
}

impl StudyConfig {
    /// How to read the episode files: the column and value maps, the LSOA lookup (read
    /// here, so a bad lookup stops the run before any episode is read) and the data
    /// start. Required columns are left to the caller.
    pub fn read_options(&self) -> Result<ReadOptions, crate::StudyError> {
        let columns =
            ColumnMap::from_pairs(self.columns.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .map_err(crate::StudyError::Config)?;
        let values = ValueMap::from_tables(self.values.iter().map(|(column, pairs)| {
            (
                column.as_str(),
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            )
        }))
        .map_err(crate::StudyError::Config)?;
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

    /// Whether the estimators use every cohort × age the window and data observe (the
    /// life table, the longest-lookback splice), so the denominators must give each.
    pub fn uses_every_cell(&self) -> bool {
        self.estimators.contains(&Estimator::LifeTable)
            || self.splice_design == SpliceDesign::LongestLookback
    }
}

impl StudyConfig {
    /// How to link under identifier mode `mode` (the study's own mode, or another for
    /// the sensitivity analysis).
    pub fn link_options(&self, mode: IdMode) -> LinkOptions {
        LinkOptions {
            mode,
            policy: self.conflict_policy,
            ..LinkOptions::default()
        }
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
            bootstrap: 0,
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
            jay_rules: crate::jay::JayRuleSwitches::default(),
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

fn default_sii_repetitions() -> u32 {
    100_000
}

/// A range of census years, named by the years they end (`2012-2015`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    /// First census year.
    pub first: CensusYear,
    /// Last census year.
    pub last: CensusYear,
}

impl Period {
    /// Parses `2012-2015` or a single year `2014`.
    pub fn parse(s: &str) -> Option<Period> {
        let year = |t: &str| {
            t.trim()
                .parse::<i16>()
                .ok()
                .filter(|y| (1990..=2100).contains(y))
                .map(CensusYear)
        };
        let (first, last) = match s.split_once('-') {
            Some((a, b)) => (year(a)?, year(b)?),
            None => (year(s)?, year(s)?),
        };
        (first <= last).then_some(Period { first, last })
    }

    /// Whether census year `y` falls in the period.
    pub fn contains(self, y: CensusYear) -> bool {
        self.first <= y && y <= self.last
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.first.0, self.last.0)
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Period, D::Error> {
        let text = String::deserialize(d)?;
        Period::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "period {text:?}: expected census years first-last, e.g. 2012-2015"
            ))
        })
    }
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
    pub fn linkage_mode(&self) -> LinkageMode {
        self.linkage.unwrap_or(
            if self.preset != Some(crate::Preset::Jay2025Strict)
                && matches!(self.id_mode, IdMode::Combined | IdMode::PmrSchoolAge)
            {
                LinkageMode::Corrected
            } else {
                LinkageMode::Exact
            },
        )
    }
}
