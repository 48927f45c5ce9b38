//! The whole path of one study: read → link → cohort → estimate → release → write.

use crate::config::StudyConfig;
use crate::denominators::Denominators;
use crate::error::StudyError;
use crate::linkage_report::{self, LinkageSection};
use crate::sensitivity::{self, SensitivityLine};
use crate::strata::Stratification;
use cumin_census::{
    CensusYear, Column, Date, EntryKind, Episodes, Extract, Outcome, Progress, ReadOptions,
    read_extract,
};
use cumin_cohort::{BirthCohort, BirthRules, ChildTable, CppEventDate, EventRules, Events};
use cumin_link::{DedupStats, EpisodeSet, IdMode, Linkage, LinkageMode, TransferStats};
use cumin_report::{CiRow, write};
use ndarray::Array2;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use crate::estimators::OUT_AGES;

/// About the tool, for the manifest.
#[derive(Clone, Debug, Serialize)]
pub struct ToolInfo {
    /// Crate version.
    pub version: String,
    /// Git commit the binary was built from, if known.
    pub commit: Option<String>,
    /// The subcommand that ran.
    pub command: String,
}

/// A checked study, ready to run.
#[derive(Clone, Debug)]
pub struct Study {
    /// The configuration as given.
    pub config: StudyConfig,
    /// Episode files, globs expanded.
    pub inputs: Vec<PathBuf>,
    /// How to read the episode files (maps, lookup, data start; required columns are
    /// added by the run).
    pub read: ReadOptions,
    /// Stratifications to report: `all` first, then those asked for.
    pub strata: Vec<Stratification>,
}

impl StudyConfig {
    /// Reads a study TOML file.
    pub fn from_toml_file(path: &Path) -> Result<StudyConfig, StudyError> {
        let text = std::fs::read_to_string(path).map_err(|e| StudyError::ConfigFile {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        toml::from_str(&text).map_err(|e| StudyError::ConfigFile {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    /// Checks the configuration and expands inputs, before any work.
    pub fn check(&self) -> Result<Study, StudyError> {
        if !(self.level > 0.5 && self.level < 1.0) {
            return Err(StudyError::Config(format!(
                "level = {} must be a confidence level between 0.5 and 1",
                self.level
            )));
        }
        if self.linkage == Some(LinkageMode::Corrected)
            && !matches!(self.id_mode, IdMode::Combined | IdMode::PmrSchoolAge)
        {
            return Err(StudyError::Config(format!(
                "linkage = \"corrected\" needs id_mode combined or pmr-school-age (it corrects the splits PMR linkage leaves), not {}",
                self.id_mode
            )));
        }
        if self.preset.is_none() && !self.jay_rules.is_empty() {
            return Err(StudyError::Config(
                "[jay_rules] switches the corrections of a Jay preset; set preset = \"jay2025\" or \"jay2025-strict\"".to_owned(),
            ));
        }
        if self.estimators.is_empty() {
            return Err(StudyError::Config("no estimator asked for".to_owned()));
        }
        let inputs = cumin_census::expand_inputs(&self.episodes)?;
        let read = self.read_options()?;
        if self.bootstrap > 0 && self.bootstrap < 20 {
            return Err(StudyError::Config(format!(
                "bootstrap = {}: a percentile interval needs at least 20 replicates (200 or more is usual)",
                self.bootstrap
            )));
        }
        if self.sii_repetitions < 1000 {
            return Err(StudyError::Config(format!(
                "sii_repetitions = {}: PHEindicatormethods requires at least 1000",
                self.sii_repetitions
            )));
        }
        let mut strata = vec![Stratification::ALL];
        for v in &self.by {
            if !strata.contains(v) {
                strata.push(*v);
            }
        }
        Ok(Study {
            // The linkage mode is settled here, so the manifest records the one used.
            config: StudyConfig {
                linkage: Some(self.linkage_mode()),
                ..self.clone()
            },
            inputs,
            read,
            strata,
        })
    }
}

/// One line of the headline table.
#[derive(Clone, Debug, Serialize)]
pub struct Headline {
    /// Outcome.
    pub outcome: Outcome,
    /// Estimator name.
    pub estimator: String,
    /// Oldest age estimated (17 when the curve reaches "before 18").
    pub age: u8,
    /// Cumulative incidence.
    pub cum_inc: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// Output folder.
    pub out: PathBuf,
    /// Files written, in order.
    pub files: Vec<PathBuf>,
    /// Cumulative incidence before 18 per outcome and estimator (stratum `all`).
    pub headline: Vec<Headline>,
    /// Last day of data in the extract.
    pub data_end: Date,
    /// Rows read, used, quarantined and excluded over all files.
    pub rows: [u64; 4],
    /// The linkage section of the report (released figures).
    pub linkage: LinkageSection,
    /// Headlines under every identifier mode, when asked for.
    pub sensitivity: Option<Vec<SensitivityLine>>,
    /// With a Jay preset: the paper-like table and what each correction changes.
    pub jay: Option<crate::jay::JaySummary>,
}

/// A whole run: estimates and files.
pub fn run(
    study: &Study,
    tool: &ToolInfo,
    progress: &dyn Progress,
) -> Result<RunOutput, StudyError> {
    let cfg = &study.config;
    if let Some(preset) = cfg.preset {
        return crate::jay::run::run(study, preset, tool, progress);
    }
    let mut timings: BTreeMap<&'static str, f64> = BTreeMap::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, t: &mut BTreeMap<&'static str, f64>| {
        t.insert(name, clock.elapsed().as_secs_f64());
        clock = Instant::now();
    };

    let mut required: BTreeSet<Column> = BTreeSet::new();
    if let Some(outcomes) = &cfg.outcomes {
        for o in outcomes {
            // An s47 event is an enquiry or a conference; the enquiry column must exist.
            let needed = Column::needed_for(*o).iter().copied();
            required.extend(needed.filter(|c| *o != Outcome::S47 || *c == Column::Section47Start));
        }
    }
    required.extend(
        study
            .strata
            .iter()
            .flat_map(|s| s.vars())
            .filter_map(crate::config::StratumVar::column),
    );
    let options = ReadOptions {
        required,
        ..study.read.clone()
    };
    let denominators = Denominators::read(&cfg.denominators, &study.strata)?;
    let mut extract = read_extract(&study.inputs, &options, progress)?;
    lap("read", &mut timings);
    let outcomes = resolve_outcomes(cfg, &extract);

    let rules = event_rules(cfg, extract.data_end);
    denominators.check_cells(&rules, cfg.uses_every_cell())?;
    progress.begin("linking", None);
    let linkage = cumin_link::link(&extract.episodes, &cfg.link_options(cfg.id_mode));
    let (set, dedup) = cumin_link::deduplicate(&extract.episodes, &linkage);
    let children = cumin_cohort::build_children(&extract.episodes, &linkage, &set, &rules.birth);
    progress.end();
    lap("link", &mut timings);
    // The transfer rule runs in every mode (its counts are diagnostics); `merge` and
    // `corrected` act on its pairs.
    let ((linkage, set, dedup, children), transfers) = transfers(
        cfg.linkage_mode(),
        &extract.episodes,
        (linkage, set, dedup, children),
        &rules,
    );
    lap("transfer_merge", &mut timings);

    let events = cumin_cohort::find_events(&set, &children, &rules);
    account_rows(&mut extract, &linkage, &set, &events)?;
    lap("cohort", &mut timings);

    let split = (cfg.linkage_mode() == LinkageMode::Corrected).then(|| {
        crate::split::SplitCorrection::build(
            &extract.episodes,
            &linkage,
            &set,
            &children,
            &events,
            &outcomes,
            &transfers,
        )
    });
    let split_summary = split.as_ref().map(crate::split::SplitCorrection::summary);
    lap("split_correction", &mut timings);

    progress.begin("estimating", None);
    let estimates = crate::analysis::estimate(
        cfg,
        &study.strata,
        &outcomes,
        &denominators,
        &rules,
        &set,
        &children,
        &events,
        split,
    )?;
    let last_year = CensusYear::containing(extract.data_end);
    let recurrence: Vec<_> = outcomes
        .iter()
        .flat_map(|o| crate::recurrence::rows(*o, &events.all[o.index()], last_year))
        .collect();
    progress.end();
    lap("estimate", &mut timings);

    progress.begin("linkage under every identifier mode", None);
    let sensitivity = cfg
        .sensitivity
        .then(|| sensitivity::run_modes(cfg, &outcomes, &denominators, &rules, &extract.episodes))
        .transpose()?;
    let main = linkage_report::ModeRun {
        linkage: &linkage,
        dedup: &dedup,
        set: &set,
        events: &events,
        children: &children,
    };
    let mut linkage_rows =
        linkage_report::study_rows(cfg, &extract.episodes, &main, sensitivity.as_ref());
    linkage_rows.extend(linkage_report::split_rows(
        cfg.id_mode,
        &main,
        &transfers,
        split_summary.as_ref(),
    ));
    progress.end();
    lap("linkage_modes", &mut timings);

    let out = &cfg.out;
    std::fs::create_dir_all(out).map_err(|source| {
        StudyError::Report(cumin_report::ReportError::Io {
            path: out.clone(),
            source,
        })
    })?;
    let headline = headline(&estimates.ci, &outcomes);
    let released = cumin_report::release(cfg.sdc, estimates.ci);
    let released_linkage = cumin_report::release_linkage(cfg.sdc, linkage_rows);
    let sdc = cfg.sdc;
    let mut files = Vec::new();
    let mut put = |name: &str| {
        let p = out.join(name);
        files.push(p.clone());
        p
    };
    write::write_ci_csv(&put("cumulative_incidence.csv"), &released)?;
    write::write_ci_parquet(&put("cumulative_incidence.parquet"), &released)?;
    write::write_linkage_csv(&put("linkage.csv"), &released_linkage)?;
    if let Some(s) = &sensitivity {
        let curves = cumin_report::release(cfg.sdc, s.curves.clone());
        write::write_ci_csv(&put("sensitivity.csv"), &curves)?;
    }
    if !cfg.periods.is_empty() {
        write::write_trend_csv(
            &put("trend.csv"),
            &cumin_report::release_trend(sdc, estimates.trend),
        )?;
    }
    if !estimates.inequality.is_empty() {
        write::write_inequality_csv(
            &put("inequality.csv"),
            &cumin_report::release_inequality(sdc, estimates.inequality),
        )?;
    }
    write::write_recurrence_csv(
        &put("recurrence.csv"),
        &cumin_report::release_recurrence(sdc, recurrence),
    )?;
    write::write_corrections_csv(
        &put("corrections.csv"),
        &cumin_report::release_corrections(sdc, estimates.corrections),
    )?;
    write::write_backward_hazards_csv(
        &put("correction_model.csv"),
        &cumin_report::release_backward_hazards(sdc, estimates.hazards),
    )?;
    write::write_sensitivity_csv(
        &put("correction_sensitivity.csv"),
        &cumin_report::release_sensitivity(sdc, estimates.sensitivity),
    )?;
    if study.strata.len() > 1 {
        let unplaced =
            cumin_report::release_counts(sdc, estimates.unplaced, |r| &mut r.event_years);
        write::write_unplaced_csv(&put("strata.csv"), &unplaced)?;
    }
    write::write_ledger_csv(&put("ledger.csv"), &extract.ledger)?;
    write::write_quarantine_csv(&put("quarantine.csv"), &extract.ledger)?;
    let report = cumin_report::html::ReportInput {
        title: "cumin: cumulative incidence of children's social care contact".to_owned(),
        context: vec![
            format!("cumin {} ({})", tool.version, tool.command),
            format!(
                "inputs: {}; data end {}; window from {}; identifiers: {}; linkage: {}",
                extract
                    .files
                    .iter()
                    .map(|f| f.path.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                extract.data_end,
                cfg.window_start,
                cfg.id_mode,
                cfg.linkage_mode()
            ),
        ],
        ci: &released,
        linkage: &released_linkage,
        ledger: Vec::new(),
    };
    let (files, rows) = finish(
        tool,
        cfg,
        &extract,
        &denominators.path,
        report,
        files,
        timings,
        lap,
    )?;
    Ok(RunOutput {
        out: out.clone(),
        files,
        headline,
        data_end: extract.data_end,
        rows,
        linkage: linkage_report::linkage_section(&released_linkage),
        sensitivity: sensitivity.map(|s| s.lines),
        jay: None,
    })
}

/// The identity (linkage, episodes, their counts, children) of an identifier linkage.
pub(crate) type Identity = (Linkage, EpisodeSet, DedupStats, ChildTable);

/// The transfer rule's pairs and counts and, under `merge` and `corrected`, the identity
/// with the pairs joined (`exact`: unchanged).
pub(crate) fn transfers(
    mode: LinkageMode,
    episodes: &Episodes,
    identity: Identity,
    rules: &EventRules,
) -> (Identity, TransferStats) {
    let traits = crate::split::child_traits(episodes, &identity.0, &identity.3);
    let (pairs, stats) = cumin_link::transfer_pairs(&identity.1, &traits);
    if mode.merges_transfers() {
        (join_transfers(episodes, identity, &pairs, rules), stats)
    } else {
        (identity, stats)
    }
}

/// The linkage, episodes and children with the transfer pairs joined. Joined children
/// alone are de-duplicated and built again; the rest are renumbered. The identifier
/// linkage's tables are dropped as soon as the joined ones exist.
fn join_transfers(
    episodes: &Episodes,
    (linkage, set, dedup, children): Identity,
    pairs: &[cumin_link::TransferPair],
    rules: &EventRules,
) -> Identity {
    if pairs.is_empty() {
        return (linkage, set, dedup, children);
    }
    let merged = cumin_link::merge_pairs(&linkage, pairs);
    let (merged_set, merged_dedup) =
        cumin_link::rededuplicate(episodes, &linkage, &set, &dedup, &merged);
    drop(set);
    let merged_children = cumin_cohort::rebuild_children(
        episodes,
        &linkage,
        &children,
        &merged,
        &merged_set,
        &rules.birth,
    );
    (merged, merged_set, merged_dedup, merged_children)
}

/// What counts as an event in a study of an extract ending `data_end`, under the
/// study's identifier mode.
pub(crate) fn event_rules(cfg: &StudyConfig, data_end: Date) -> EventRules {
    EventRules {
        window_start: cfg.window_start,
        data_end,
        birth: BirthRules::default(),
        cpp_date: CppEventDate::PlanStart,
        school_age_needs_pmr: cfg.id_mode == IdMode::PmrSchoolAge,
    }
}

/// The last steps every run shares: the report page (with the ledger), the manifest
/// listing every file, and the ledger's totals (read, used, quarantined, excluded).
#[allow(clippy::too_many_arguments)]
pub(crate) fn finish(
    tool: &ToolInfo,
    cfg: &StudyConfig,
    extract: &Extract,
    denominators: &Path,
    mut report: cumin_report::html::ReportInput<'_>,
    mut files: Vec<PathBuf>,
    mut timings: BTreeMap<&'static str, f64>,
    mut lap: impl FnMut(&'static str, &mut BTreeMap<&'static str, f64>),
) -> Result<(Vec<PathBuf>, [u64; 4]), StudyError> {
    let out = &cfg.out;
    report.ledger = extract
        .ledger
        .lines()
        .map(|(f, e, n)| (f.to_owned(), e.to_string(), n))
        .collect();
    files.extend(cumin_report::html::write_report(out, &report)?);
    lap("write", &mut timings);
    let manifest = crate::manifest::build(tool, cfg, extract, denominators, &files, &timings)?;
    let manifest_path = out.join("manifest.json");
    write::write_json(&manifest_path, &manifest)?;
    files.push(manifest_path);
    let ledger = &extract.ledger;
    let total = |k| {
        (0..ledger.files().len())
            .map(|f| ledger.total(f as u16, k))
            .sum::<u64>()
    };
    let rows = [
        total(EntryKind::Read),
        total(EntryKind::Used),
        total(EntryKind::Quarantined),
        total(EntryKind::Excluded),
    ];
    Ok((files, rows))
}

fn resolve_outcomes(cfg: &StudyConfig, extract: &Extract) -> Vec<Outcome> {
    if let Some(o) = &cfg.outcomes {
        return o.clone();
    }
    let has_s47 = extract.files.iter().all(|f| {
        f.columns.contains(&Column::Section47Start) || f.columns.contains(&Column::InitialCpc)
    });
    Outcome::ALL
        .into_iter()
        .filter(|o| *o != Outcome::S47 || has_s47)
        .collect()
}

/// Gives every row read a final place in the ledger and checks it balances.
fn account_rows(
    extract: &mut Extract,
    linkage: &Linkage,
    set: &EpisodeSet,
    events: &Events,
) -> Result<(), StudyError> {
    let e = &extract.episodes;
    let mut tally: BTreeMap<(u16, &'static str), u64> = BTreeMap::new();
    for i in 0..e.len() {
        let reason = match (linkage.unlinked_reason(i), set.episode_of_row[i]) {
            (Some(why), _) => why,
            (None, None) => "unidentified_in_id_mode",
            (None, Some(ep)) => events.episode_fate[ep as usize].reason(),
        };
        *tally.entry((e.file[i], reason)).or_insert(0) += 1;
    }
    for ((file, reason), n) in tally {
        if reason.is_empty() {
            extract.ledger.add(file, EntryKind::Used, "", n);
        } else {
            extract.ledger.add(file, EntryKind::Excluded, reason, n);
        }
    }
    extract.ledger.check()?;
    Ok(())
}

/// Folds age −1 into age 0: cohort × 19 → cohort × 18.
pub fn fold_prebirth(counts: &Array2<f64>) -> Array2<f64> {
    let (n, _) = counts.dim();
    let mut out = Array2::zeros((n, OUT_AGES));
    for b in 0..n {
        out[[b, 0]] = counts[[b, 0]] + counts[[b, 1]];
        for a in 1..OUT_AGES {
            out[[b, a]] = counts[[b, a + 1]];
        }
    }
    out
}

/// Whether each cohort × age (0..=17, age 0 including the pre-birth months) lies wholly
/// inside the window and the data.
pub fn observed_cells(first: BirthCohort, n: usize, rules: &EventRules) -> Array2<bool> {
    let days = rules.birth.prebirth_days;
    Array2::from_shape_fn((n, OUT_AGES), |(b, a)| {
        let c = BirthCohort(first.0 + b as i16);
        let ok = |age: i8| c.age_observed(age, rules.window_start, rules.data_end, days);
        ok(a as i8) && (a > 0 || ok(-1))
    })
}

/// The cohort supplying each age in the default splice: the latest cohort observed at
/// that age, i.e. the one with the longest lookback before it.
pub fn longest_lookback_design(
    observed: &Array2<bool>,
    population: &Array2<f64>,
) -> Vec<Option<usize>> {
    (0..OUT_AGES)
        .map(|a| {
            (0..observed.nrows())
                .rev()
                .find(|&b| observed[[b, a]] && population[[b, a]] > 0.0)
        })
        .collect()
}

pub(crate) fn headline(rows: &[CiRow], outcomes: &[Outcome]) -> Vec<Headline> {
    let mut out = Vec::new();
    for o in outcomes {
        let mut estimators: Vec<&str> = rows
            .iter()
            .filter(|r| r.outcome == o.as_str() && r.stratum_var == "all")
            .map(|r| r.estimator.as_str())
            .collect();
        estimators.dedup();
        for est in estimators {
            if let Some(r) = rows
                .iter()
                .filter(|r| r.outcome == o.as_str() && r.stratum_var == "all" && r.estimator == est)
                .max_by_key(|r| r.age)
            {
                out.push(Headline {
                    outcome: *o,
                    estimator: est.to_owned(),
                    age: r.age,
                    cum_inc: r.cum_inc.unwrap_or(f64::NAN),
                    lower: r.lower.unwrap_or(f64::NAN),
                    upper: r.upper.unwrap_or(f64::NAN),
                });
            }
        }
    }
    out
}
