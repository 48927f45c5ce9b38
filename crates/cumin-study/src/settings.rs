//! The checked study: [`StudyConfig::check`] turns the configuration as given into
//! [`Settings`], with every default settled and nothing left to re-derive, and each
//! stage takes the narrow part it needs ([`IdentitySpec`], [`EstimateSpec`], the read
//! options, the disclosure profile).

use crate::config::StudyConfig;
use crate::error::StudyError;
use cumin_census::{Column, Date, Extract, Outcome, ReadOptions};
use cumin_cohort::{BirthRules, EventRules, IdentitySpec};
use cumin_estimate::{EstimateSpec, Estimator, Period, SpliceDesign, Stratification};
use cumin_jay::{JayRules, Preset};
use cumin_link::{IdMode, LinkOptions, LinkageMode};
use cumin_report::SdcProfile;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What a run estimates: cumin's own design, or a Jay et al. 2025 preset.
#[derive(Clone, Debug, PartialEq)]
pub enum Design {
    /// Every estimator, stratum and period the study asks for.
    Cumin,
    /// A Jay preset with the corrections in force.
    Jay {
        /// The preset.
        preset: Preset,
        /// Its corrections, after the study's switches.
        rules: JayRules,
    },
}

/// Which outcomes are estimated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcomes {
    /// Those listed.
    Listed(Vec<Outcome>),
    /// Referral, assessed, CIN and CPP, and s47 when every file has its columns.
    Present,
}

impl Outcomes {
    /// The outcomes of a run on `extract`.
    pub fn resolve(&self, extract: &Extract) -> Vec<Outcome> {
        match self {
            Outcomes::Listed(o) => o.clone(),
            Outcomes::Present => {
                let has_s47 = extract.files.iter().all(|f| {
                    f.columns.contains(&Column::Section47Start)
                        || f.columns.contains(&Column::InitialCpc)
                });
                Outcome::ALL
                    .into_iter()
                    .filter(|o| *o != Outcome::S47 || has_s47)
                    .collect()
            }
        }
    }

    /// The columns the outcomes need, each with the outcomes that need it. Without a list,
    /// those of the outcomes every run estimates (referral, assessed, CIN, CPP; s47 only
    /// when its columns are present), so that a missing `ReferralNFA`, say, stops the run
    /// rather than count every referral as assessed.
    pub fn required_columns(&self) -> BTreeMap<Column, String> {
        match self {
            Outcomes::Listed(outcomes) => outcome_columns(outcomes, ""),
            Outcomes::Present => outcome_columns(
                &[
                    Outcome::Referral,
                    Outcome::Assessed,
                    Outcome::Cin,
                    Outcome::Cpp,
                ],
                ", estimated by default: name the outcomes the extract can give (--outcome, or \
                 outcomes in the study file)",
            ),
        }
    }
}

/// Stops a run whose extract holds no s47 event date in any row of any file: with
/// `Section47ActualStartDate` and `DateOfInitialCPC` both present but empty throughout,
/// s47 would be estimated as no child ever enquired into (a curve of zeros, withheld as
/// too few events), not reported as unknown. An event is either date, so this is checked
/// here rather than column by column; single columns that may not be empty in the whole
/// extract (`ReferralNFA`, `ReasonForClosure`, `CPPstartDate`) are checked as the files are
/// read (`cumin_census`'s `EmptyInExtract`).
pub fn check_outcome_events(outcomes: &[Outcome], extract: &Extract) -> Result<(), StudyError> {
    let e = &extract.episodes;
    if !outcomes.contains(&Outcome::S47) || e.is_empty() {
        return Ok(());
    }
    let has_event =
        e.s47_start.iter().any(Option::is_some) || e.initial_cpc.iter().any(Option::is_some);
    if has_event {
        return Ok(());
    }
    let rest: Vec<&str> = outcomes
        .iter()
        .filter(|x| **x != Outcome::S47)
        .map(|x| x.as_str())
        .collect();
    Err(StudyError::OutcomeWithoutEvents {
        outcome: Outcome::S47.as_str(),
        columns: "Section47ActualStartDate and DateOfInitialCPC",
        rows: e.len() as u64,
        files: extract
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect(),
        rest: rest.join(","),
    })
}

/// Stops a run whose extract begins after the study window does: a referral before the
/// first census year is seen only while its episode is still open, so a child's first
/// referral would be missed or dated late, and the first events of the window's early
/// years with it (an extract of 2023/24 alone estimated 9% referred before 18 by the life
/// table and 94% by the splice, against a truth of 35%).
pub fn check_window_observed(window_start: Date, extract: &Extract) -> Result<(), StudyError> {
    let Some(first) = extract.episodes.census_year.iter().min() else {
        return Ok(());
    };
    if first.start() > window_start {
        return Err(StudyError::WindowBeforeData {
            first: first.to_string(),
            first_start: first.start().to_string(),
            window_start: window_start.to_string(),
        });
    }
    Ok(())
}

/// The columns `outcomes` need, each with the outcomes that need it (`outcomes assessed,
/// cin`) and `note`. An s47 event is an enquiry or a conference: only the enquiry column
/// must exist.
pub fn outcome_columns(outcomes: &[Outcome], note: &str) -> BTreeMap<Column, String> {
    let mut by_column: BTreeMap<Column, Vec<&str>> = BTreeMap::new();
    for o in outcomes {
        for c in Column::needed_for(*o) {
            if *o != Outcome::S47 || *c == Column::Section47Start {
                by_column.entry(*c).or_default().push(o.as_str());
            }
        }
    }
    by_column
        .into_iter()
        .map(|(c, names)| {
            let noun = if names.len() == 1 {
                "outcome"
            } else {
                "outcomes"
            };
            (c, format!("{noun} {}{note}", names.join(", ")))
        })
        .collect()
}

/// A checked study, ready to run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The configuration as given, with its linkage mode settled: what the manifest
    /// records.
    pub config: StudyConfig,
    /// Episode files, globs expanded.
    pub inputs: Vec<PathBuf>,
    /// How to read the episode files (maps, lookup, data start; the run adds the columns
    /// it requires).
    pub read: ReadOptions,
    /// Population denominators file.
    pub denominators: PathBuf,
    /// Output folder.
    pub out: PathBuf,
    /// The design.
    pub design: Design,
    /// Who is who: identifier mode, conflict policy, linkage mode, birth rules.
    pub identity: IdentitySpec,
    /// First day of the study window.
    pub window_start: Date,
    /// Outcomes.
    pub outcomes: Outcomes,
    /// Stratifications: `all` first, then those asked for.
    pub strata: Vec<Stratification>,
    /// Estimators.
    pub estimators: Vec<Estimator>,
    /// Which cohort supplies each age of the cohort splice.
    pub splice_design: SpliceDesign,
    /// Calendar periods for `trend.csv`.
    pub periods: Vec<Period>,
    /// Confidence level.
    pub level: f64,
    /// Bootstrap replicates (0: none).
    pub bootstrap: u32,
    /// Seed of the bootstrap and the SII simulation.
    pub seed: u64,
    /// SII simulation samples.
    pub sii_repetitions: u32,
    /// Whether every identifier mode is estimated side by side.
    pub sensitivity: bool,
    /// Disclosure control.
    pub sdc: SdcProfile,
    /// Whether an output folder holding other files may be cleared (`--force`; not part
    /// of the study's configuration).
    pub force: bool,
}

impl Settings {
    /// Who is who under identifier mode `mode` and linkage mode `linkage`, with the
    /// study's conflict policy and birth rules.
    pub fn identity_under(&self, mode: IdMode, linkage: LinkageMode) -> IdentitySpec {
        IdentitySpec {
            link: LinkOptions {
                mode,
                ..self.identity.link
            },
            linkage,
            ..self.identity
        }
    }

    /// Whether the estimators use every cohort × age the window and data observe (the
    /// life table, the longest-lookback splice), so the denominators must give each.
    pub fn uses_every_cell(&self) -> bool {
        self.estimators.contains(&Estimator::LifeTable)
            || self.splice_design == SpliceDesign::LongestLookback
    }

    /// What to estimate for `outcomes`, events being counted by `rules`.
    pub fn estimate_spec(&self, outcomes: Vec<Outcome>, rules: EventRules) -> EstimateSpec {
        EstimateSpec {
            outcomes,
            strata: self.strata.clone(),
            estimators: self.estimators.clone(),
            splice_design: self.splice_design,
            periods: self.periods.clone(),
            rules,
            level: self.level,
            bootstrap: self.bootstrap,
            seed: self.seed,
            sii_repetitions: self.sii_repetitions,
        }
    }
}

fn config_error(message: impl Into<String>) -> StudyError {
    StudyError::Config(message.into())
}

impl StudyConfig {
    /// Checks the configuration and expands the inputs, before any work.
    pub fn check(&self) -> Result<Settings, StudyError> {
        self.check_values()?;
        let inputs = cumin_census::expand_inputs(&self.episodes)?;
        let read = self.read_options()?;
        self.check_sampling()?;
        let design = self.design()?;
        let mut strata = vec![Stratification::ALL];
        for v in &self.by {
            if !strata.contains(v) {
                strata.push(*v);
            }
        }
        let linkage = self.linkage_mode();
        Ok(Settings {
            config: StudyConfig {
                linkage: Some(linkage),
                ..self.clone()
            },
            inputs,
            read,
            denominators: self.denominators.clone(),
            out: self.out.clone(),
            design,
            identity: IdentitySpec {
                link: LinkOptions {
                    mode: self.id_mode,
                    policy: self.conflict_policy,
                    ..LinkOptions::default()
                },
                linkage,
                birth: BirthRules::default(),
            },
            window_start: self.window_start,
            outcomes: match &self.outcomes {
                Some(o) => Outcomes::Listed(o.clone()),
                None => Outcomes::Present,
            },
            strata,
            estimators: self.estimators.clone(),
            splice_design: self.splice_design,
            periods: self.periods.clone(),
            level: self.level,
            bootstrap: self.bootstrap,
            seed: self.seed,
            sii_repetitions: self.sii_repetitions,
            sensitivity: self.sensitivity,
            sdc: self.sdc,
            force: false,
        })
    }

    /// The level, the linkage mode against the identifiers, the Jay switches and the
    /// estimators.
    fn check_values(&self) -> Result<(), StudyError> {
        if !(self.level > 0.5 && self.level < 1.0) {
            return Err(config_error(format!(
                "level = {} must be a confidence level between 0.5 and 1",
                self.level
            )));
        }
        if self.linkage == Some(LinkageMode::Corrected)
            && !matches!(self.id_mode, IdMode::Combined | IdMode::PmrSchoolAge)
        {
            return Err(config_error(format!(
                "linkage = \"corrected\" needs id_mode combined or pmr-school-age (it corrects the splits PMR linkage leaves), not {}",
                self.id_mode
            )));
        }
        if self.preset.is_none() && !self.jay_rules.is_empty() {
            return Err(config_error(
                "[jay_rules] switches the corrections of a Jay preset; set preset = \"jay2025\" or \"jay2025-strict\"",
            ));
        }
        if self.estimators.is_empty() {
            return Err(config_error("no estimator asked for"));
        }
        Ok(())
    }

    /// The bootstrap and the SII simulation have enough samples.
    fn check_sampling(&self) -> Result<(), StudyError> {
        if self.bootstrap > 0 && self.bootstrap < 20 {
            return Err(config_error(format!(
                "bootstrap = {}: a percentile interval needs at least 20 replicates (200 or more is usual)",
                self.bootstrap
            )));
        }
        if self.sii_repetitions < 1000 {
            return Err(config_error(format!(
                "sii_repetitions = {}: PHEindicatormethods requires at least 1000",
                self.sii_repetitions
            )));
        }
        Ok(())
    }

    /// The design, checked against what a preset fixes.
    fn design(&self) -> Result<Design, StudyError> {
        let Some(preset) = self.preset else {
            return Ok(Design::Cumin);
        };
        if !self.by.is_empty() {
            return Err(config_error(format!(
                "preset {preset} reports everyone together (stratum all); drop by = {:?}",
                self.by.iter().map(ToString::to_string).collect::<Vec<_>>()
            )));
        }
        if let (Preset::Jay2025Strict, Some(linkage)) =
            (preset, self.linkage.filter(|l| *l != LinkageMode::Exact))
        {
            return Err(config_error(format!(
                "preset jay2025-strict reproduces the R code, which links by the identifiers \
                 alone (linkage = exact); drop linkage = {} (preset jay2025 applies it to its \
                 corrected splice)",
                linkage.as_str()
            )));
        }
        Ok(Design::Jay {
            preset,
            rules: preset.rules(&self.jay_rules),
        })
    }
}
