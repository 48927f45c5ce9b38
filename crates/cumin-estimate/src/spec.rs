//! What to estimate: the estimators, the splice design, periods, intervals and bootstrap
//! ([`EstimateSpec`]), and the vocabulary a study's configuration names them by.

use crate::strata::Stratification;
use cumin_census::{CensusYear, Outcome};
use cumin_cohort::EventRules;
use serde::{Deserialize, Serialize};

/// Ages in output tables: 0..=17 (pre-birth folded into 0).
pub const OUT_AGES: usize = 18;

/// Estimators cumin offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
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
}

/// The estimator whose estimate of `outcome` the report headlines: the corrected life
/// table for every outcome. Over the validation grid (docs/validation.md: every simulator
/// mechanism, seeds 1-3 at scale 0.1, default flags) it has the smaller worst error
/// before 18 and the narrower intervals; the cohort splice rests on one cohort per age
/// (about a ninth of the data at each age) and on longer extrapolations of the
/// left-censoring correction at older ages. The other estimators stay in the outputs.
pub fn recommended(outcome: Outcome) -> Estimator {
    match outcome {
        Outcome::Referral | Outcome::Assessed | Outcome::Cin | Outcome::S47 | Outcome::Cpp => {
            Estimator::LifeTable
        }
    }
}

/// Which cohort supplies each age of the cohort splice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
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
    #[cfg_attr(feature = "clap", value(name = "jay2025"))]
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

/// Everything [`crate::estimate`] needs to know besides the data.
#[derive(Clone, Debug, PartialEq)]
pub struct EstimateSpec {
    /// Outcomes, in output order.
    pub outcomes: Vec<Outcome>,
    /// Stratifications, `all` first.
    pub strata: Vec<Stratification>,
    /// Estimators, in output order.
    pub estimators: Vec<Estimator>,
    /// Which cohort supplies each age of the cohort splice.
    pub splice_design: SpliceDesign,
    /// Calendar periods for trend curves.
    pub periods: Vec<Period>,
    /// What counts as an event (the rules the events were found by): the window, the
    /// data's end and the pre-birth months decide which cells are observed.
    pub rules: EventRules,
    /// Confidence level of intervals.
    pub level: f64,
    /// Child-cluster bootstrap replicates for the corrected estimators (0: none).
    pub bootstrap: u32,
    /// Seed of the bootstrap and of the SII simulation.
    pub seed: u64,
    /// Simulated samples for the SII and RII intervals.
    pub sii_repetitions: u32,
}
