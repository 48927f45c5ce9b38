//! A whole run of a Jay et al. 2025 preset: read → the R pipeline's steps → counts →
//! release → files, with the manifest.

use super::counts::JayCounts;
use super::engine::{Evaluation, evaluate};
use super::mode::{BANDS, JayMode, Preset};
use super::prepare::{Fate, JayInput};
use super::rules::JayRules;
use crate::config::{Estimator, SpliceDesign, StudyConfig};
use crate::denominators::Denominators;
use crate::error::StudyError;
use crate::pipeline::{Headline, RunOutput, Study, ToolInfo};
use crate::strata::Stratification;
use cumin_census::{Column, EntryKind, Extract, Outcome, Progress, ReasonSpelling, read_extract};
use cumin_link::LinkageMode;
use cumin_report::{CiRow, JayCorrectionRow, JayCountRow, write};
use cumin_stats::AgeEstimate;
use ndarray::Array2;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// Estimator name of the spliced, unadjusted per-age counts.
pub const ESTIMATOR: &str = "cohort-splice-unadjusted";

/// Estimator name of the design's left-censoring corrected splice.
pub const CORRECTED_ESTIMATOR: &str = "cohort-splice";

/// One line of the paper-like table: an outcome before 18 under one identifier mode.
#[derive(Clone, Debug, Serialize)]
pub struct JayLine {
    /// `main` or `sensitivity`.
    pub mode: &'static str,
    /// Outcome.
    pub outcome: Outcome,
    /// Spliced cumulative incidence before 18 (unadjusted).
    pub cum_inc: f64,
    /// Lower 95% limit.
    pub lower: f64,
    /// Upper 95% limit.
    pub upper: f64,
}

/// What one correction changes: the estimate before 18 without and with it.
#[derive(Clone, Debug, Serialize)]
pub struct CorrectionLine {
    /// Rule name, or `preset` for the run's own rules.
    pub rule: String,
    /// `main` or `sensitivity`.
    pub mode: &'static str,
    /// Outcome.
    pub outcome: Outcome,
    /// Before 18 with no correction.
    pub strict: f64,
    /// Before 18 with the correction.
    pub corrected: f64,
}

/// The summary of a Jay run, for the terminal.
#[derive(Clone, Debug, Serialize)]
pub struct JaySummary {
    /// The preset.
    pub preset: Preset,
    /// Names of the corrections in force.
    pub rules: Vec<String>,
    /// Before 18, main and sensitivity, every outcome (unadjusted splice of the counts).
    pub table: Vec<JayLine>,
    /// Before 18, the same design with cumin's left-censoring correction
    /// (`cohort-splice`).
    pub corrected_table: Vec<JayLine>,
    /// Why the corrected splice could not be computed, if it could not.
    pub corrected_missing: Option<String>,
    /// The linkage mode of the corrected splice (`corrected` by default under `jay2025`,
    /// `exact` under `jay2025-strict`).
    pub corrected_linkage: LinkageMode,
    /// Each correction's effect on the estimate before 18.
    pub corrections: Vec<CorrectionLine>,
}

/// Populations of the three cohorts by age (rows in [`BANDS`] order, ages 0..=17).
struct Population {
    table: Array2<f64>,
}

impl Population {
    fn read(d: &Denominators) -> Result<Population, StudyError> {
        let all = d
            .tables(Stratification::ALL)
            .remove("all")
            .unwrap_or_else(|| Array2::zeros((d.n_cohorts(), 18)));
        let mut table = Array2::zeros((BANDS.len(), 18));
        for (i, &(cohort, lo, hi)) in BANDS.iter().enumerate() {
            let row = cohort - d.first_cohort.0;
            for a in lo.max(0)..=hi {
                let p = if (0..d.n_cohorts() as i16).contains(&row) {
                    all[[row as usize, a as usize]]
                } else {
                    0.0
                };
                if p <= 0.0 {
                    return Err(StudyError::Config(format!(
                        "{}: the jay2025 design needs the population of birth_year {cohort} at age {a} \
                         (cohorts 2013 at ages 0-5, 2006 at 6-12, 2001 at 13-17), but it has none",
                        d.path.display()
                    )));
                }
                table[[i, a as usize]] = p;
            }
        }
        Ok(Population { table })
    }

    /// The spliced, unadjusted curve of `counts` (pre-birth folded into age 0).
    fn splice(
        &self,
        counts: &JayCounts,
        mode: JayMode,
        outcome: Outcome,
        level: f64,
    ) -> Vec<AgeEstimate> {
        let mut events = Array2::zeros((BANDS.len(), 18));
        let mut design = vec![None; 18];
        for (i, &(cohort, lo, hi)) in BANDS.iter().enumerate() {
            for a in lo..=hi {
                events[[i, a.max(0) as usize]] += counts.get(mode, outcome, cohort, a) as f64;
                design[a.max(0) as usize] = Some(i);
            }
        }
        cumin_stats::cohort_splice(events.view(), self.table.view(), &design, None, level)
    }
}

/// Runs a Jay preset study.
pub fn run(
    study: &Study,
    preset: Preset,
    tool: &ToolInfo,
    progress: &dyn Progress,
) -> Result<RunOutput, StudyError> {
    let cfg = &study.config;
    if !cfg.by.is_empty() {
        return Err(StudyError::Config(format!(
            "preset {preset} reports everyone together (stratum all); drop by = {:?}",
            cfg.by.iter().map(ToString::to_string).collect::<Vec<_>>()
        )));
    }
    if let (Preset::Jay2025Strict, Some(linkage)) =
        (preset, cfg.linkage.filter(|l| *l != LinkageMode::Exact))
    {
        return Err(StudyError::Config(format!(
            "preset jay2025-strict reproduces the R code, which links by the identifiers \
             alone (linkage = exact); drop linkage = {} (preset jay2025 applies it to its \
             corrected splice)",
            linkage.as_str()
        )));
    }
    let rules = preset.rules(&cfg.jay_rules);
    let mut timings: BTreeMap<&'static str, f64> = BTreeMap::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, t: &mut BTreeMap<&'static str, f64>| {
        t.insert(name, clock.elapsed().as_secs_f64());
        clock = Instant::now();
    };

    let denominators = Denominators::read(&cfg.denominators, &[Stratification::ALL])?;
    let population = Population::read(&denominators)?;
    let mut options = study.read.clone();
    options.required = Outcome::JAY
        .iter()
        .flat_map(|o| Column::needed_for(*o).iter().copied())
        .collect();
    options.rules.defer_whole_extract_rules = true;
    options.rules.clean_all_dates_after_data_end = false;
    options.rules.reason_spelling = ReasonSpelling::Jay2025Strict;
    let mut extract = read_extract(&study.inputs, &options, progress)?;
    let window = crate::pipeline::event_rules(cfg, extract.data_end);
    denominators.check_cells(&window, false)?;
    // The corrections report needs the tolerant reading of the reason for closure too.
    options.rules.reason_spelling = ReasonSpelling::Tolerant;
    let tolerant = read_extract(&study.inputs, &options, progress)?;
    assert_eq!(
        tolerant.episodes.source_row, extract.episodes.source_row,
        "the reason spelling does not decide which rows are read"
    );
    lap("read", &mut timings);

    progress.begin("the Jay et al. 2025 pipeline", None);
    let input = JayInput {
        episodes: &extract.episodes,
        latest: &extract.latest,
        data_end: extract.data_end,
        data_start: cfg.data_start,
        reason_strict: &extract.episodes.reason_for_closure,
        reason_tolerant: Some(&tolerant.episodes.reason_for_closure),
    };
    let eval = evaluate(&input, &rules, cfg.window_start);
    drop(tolerant);
    account_rows(&mut extract, &eval, cfg.window_start)?;
    progress.end();
    lap("jay_pipeline", &mut timings);

    let level = cfg.level;
    let mut ci = Vec::new();
    let mut table = Vec::new();
    for mode in JayMode::ALL {
        for o in Outcome::JAY {
            let curve = population.splice(&eval.run, mode, o, level);
            if let Some(last) = curve.last() {
                table.push(JayLine {
                    mode: mode.as_str(),
                    outcome: o,
                    cum_inc: last.cum_inc,
                    lower: last.ci.lower,
                    upper: last.ci.upper,
                });
            }
            ci.extend(curve.iter().map(|p| CiRow {
                outcome: o.as_str().to_owned(),
                estimator: ESTIMATOR.to_owned(),
                id_mode: mode.id_mode().as_str().to_owned(),
                stratum_var: "all".to_owned(),
                stratum: "all".to_owned(),
                age: p.age as u8,
                events: Some(p.events),
                at_risk: Some(p.at_risk),
                cum_inc: Some(p.cum_inc),
                lower: Some(p.ci.lower),
                upper: Some(p.ci.upper),
                suppressed: false,
            }));
        }
    }
    let corrections = correction_lines(&eval, &rules, &population, level);
    lap("estimate", &mut timings);

    progress.begin("the design's left-censoring corrected splice", None);
    // The R pipeline's counts stand without it: a design cell the extract or the
    // denominators cannot give the correction (an error here) is reported, not fatal.
    let (corrected_table, corrected_missing) =
        match corrected_splice(study, &denominators, progress) {
            Ok((rows, table)) => {
                ci.extend(rows);
                (table, None)
            }
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
    progress.end();
    lap("corrected_splice", &mut timings);

    let out = &cfg.out;
    std::fs::create_dir_all(out).map_err(|source| {
        StudyError::Report(cumin_report::ReportError::Io {
            path: out.clone(),
            source,
        })
    })?;
    let sdc = cfg.sdc;
    let headline: Vec<Headline> = table
        .iter()
        .filter(|l| l.mode == JayMode::Main.as_str())
        .map(|l| Headline {
            outcome: l.outcome,
            estimator: ESTIMATOR.to_owned(),
            age: 17,
            cum_inc: l.cum_inc,
            lower: l.lower,
            upper: l.upper,
        })
        .collect();
    let released = cumin_report::release(sdc, ci);
    let released_linkage = cumin_report::release_linkage(sdc, Vec::new());
    let mut files = Vec::new();
    let mut put = |name: &str| {
        let p = out.join(name);
        files.push(p.clone());
        p
    };
    write::write_ci_csv(&put("cumulative_incidence.csv"), &released)?;
    write::write_ci_parquet(&put("cumulative_incidence.parquet"), &released)?;
    cumin_report::write_jay_counts_csv(
        &put("jay_counts.csv"),
        &cumin_report::release_jay_counts(sdc, count_rows(&eval.run)),
    )?;
    cumin_report::write_jay_corrections_csv(
        &put("jay_corrections.csv"),
        &cumin_report::release_jay_corrections(sdc, correction_rows(&eval)),
    )?;
    write::write_ledger_csv(&put("ledger.csv"), &extract.ledger)?;
    write::write_quarantine_csv(&put("quarantine.csv"), &extract.ledger)?;
    let report = cumin_report::html::ReportInput {
        title: format!("cumin: Jay et al. 2025 design, preset {preset}"),
        context: vec![
            format!("cumin {} ({})", tool.version, tool.command),
            format!(
                "inputs: {}; data end {}; window from {}; corrections in force: {}",
                extract
                    .files
                    .iter()
                    .map(|f| f.path.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                extract.data_end,
                cfg.window_start,
                rule_names(&rules).join(", ")
            ),
        ],
        ci: &released,
        linkage: &released_linkage,
        ledger: Vec::new(),
    };
    let (files, rows) = crate::pipeline::finish(
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
        linkage: crate::linkage_report::linkage_section(&released_linkage),
        sensitivity: None,
        jay: Some(JaySummary {
            preset,
            rules: rule_names(&rules),
            table,
            corrected_table,
            corrected_missing,
            corrected_linkage: cfg.linkage_mode(),
            corrections,
        }),
    })
}

/// The design's cohorts, spliced with cumin's left-censoring correction (methods.md 5.3,
/// 5.4 and 10): the extract read, linked and aged by cumin's own rules (the R code has no
/// correction to reproduce, and the correction needs every cohort's lookback tables),
/// under each mode's identifiers, the cohorts fixed to the design's bands
/// ([`SpliceDesign::Jay2025`]). With `--bootstrap` the intervals carry the correction's
/// uncertainty. Rows of `cumulative_incidence.csv` (estimator `cohort-splice`) and the
/// corrected half of the printed table.
fn corrected_splice(
    study: &Study,
    denominators: &Denominators,
    progress: &dyn Progress,
) -> Result<(Vec<CiRow>, Vec<JayLine>), StudyError> {
    let cfg = &study.config;
    let mut options = study.read.clone();
    options.required = Outcome::JAY
        .iter()
        .flat_map(|o| Column::needed_for(*o).iter().copied())
        .collect();
    let extract = read_extract(&study.inputs, &options, progress)?;
    let mut rows = Vec::new();
    let mut table = Vec::new();
    for mode in JayMode::ALL {
        let mode_cfg = StudyConfig {
            splice_design: SpliceDesign::Jay2025,
            estimators: vec![Estimator::CohortSplice],
            id_mode: mode.id_mode(),
            by: Vec::new(),
            periods: Vec::new(),
            ..cfg.clone()
        };
        let rules = crate::pipeline::event_rules(&mode_cfg, extract.data_end);
        let estimates = crate::sensitivity::estimate_mode(
            &mode_cfg,
            &Outcome::JAY,
            denominators,
            &rules,
            &extract.episodes,
        )?
        .estimates;
        for r in estimates.ci {
            if r.estimator != CORRECTED_ESTIMATOR {
                continue;
            }
            if let (17, Some(outcome)) = (r.age, Outcome::parse(&r.outcome)) {
                table.push(JayLine {
                    mode: mode.as_str(),
                    outcome,
                    cum_inc: r.cum_inc.unwrap_or(f64::NAN),
                    lower: r.lower.unwrap_or(f64::NAN),
                    upper: r.upper.unwrap_or(f64::NAN),
                });
            }
            rows.push(r);
        }
    }
    Ok((rows, table))
}

fn rule_names(rules: &JayRules) -> Vec<String> {
    if rules.is_strict() {
        return vec!["none (the R code's own rules)".to_owned()];
    }
    rules.iter().map(|r| r.as_str().to_owned()).collect()
}

/// Every row read gets its place in the ledger: used if it reached the analysis table
/// and was referred in the window, else excluded with the step that dropped it.
fn account_rows(
    extract: &mut Extract,
    eval: &Evaluation,
    window_start: cumin_census::Date,
) -> Result<(), StudyError> {
    let e = &extract.episodes;
    let mut before_window = vec![false; e.len()];
    for r in &eval.prepared.rows {
        before_window[r.row as usize] = r.referral < window_start;
    }
    let mut tally: BTreeMap<(u16, &'static str), u64> = BTreeMap::new();
    for (i, fate) in eval.prepared.fate.iter().enumerate() {
        let reason = match fate {
            Fate::Kept if before_window[i] => "jay_referral_before_window",
            f => f.reason(),
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

/// The rows of `jay_counts.csv`.
pub fn count_rows(counts: &JayCounts) -> Vec<JayCountRow> {
    counts
        .cells()
        .map(|(m, b, o, a, n)| JayCountRow {
            mode: m.as_str().to_owned(),
            birth_year: b,
            age: a,
            outcome: o.as_str().to_owned(),
            events: n as f64,
        })
        .collect()
}

/// The rows of `jay_corrections.csv`: each rule alone against the R code's counts, then
/// the run's own rules (`preset`).
pub fn correction_rows(eval: &Evaluation) -> Vec<JayCorrectionRow> {
    let variants = eval
        .single
        .iter()
        .map(|(r, c)| (r.as_str(), c))
        .chain(std::iter::once(("preset", &eval.run)));
    let mut rows = Vec::new();
    for (rule, counts) in variants {
        for ((m, b, o, a, strict), (.., corrected)) in eval.strict.cells().zip(counts.cells()) {
            rows.push(JayCorrectionRow {
                rule: rule.to_owned(),
                mode: m.as_str().to_owned(),
                birth_year: b,
                age: a,
                outcome: o.as_str().to_owned(),
                strict: strict as f64,
                corrected: corrected as f64,
            });
        }
    }
    rows
}

fn correction_lines(
    eval: &Evaluation,
    rules: &JayRules,
    population: &Population,
    level: f64,
) -> Vec<CorrectionLine> {
    let before_18 = |c: &JayCounts, m, o| {
        population
            .splice(c, m, o, level)
            .last()
            .map_or(f64::NAN, |p| p.cum_inc)
    };
    let mut variants: Vec<(String, &JayCounts)> = eval
        .single
        .iter()
        .map(|(r, c)| (r.as_str().to_owned(), c))
        .collect();
    if !rules.is_strict() {
        variants.push(("preset".to_owned(), &eval.run));
    }
    let mut out = Vec::new();
    for (rule, counts) in variants {
        for m in JayMode::ALL {
            for o in Outcome::JAY {
                out.push(CorrectionLine {
                    rule: rule.clone(),
                    mode: m.as_str(),
                    outcome: o,
                    strict: before_18(&eval.strict, m, o),
                    corrected: before_18(counts, m, o),
                });
            }
        }
    }
    out
}
