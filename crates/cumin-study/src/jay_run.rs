//! A run of a Jay et al. 2025 preset: read → the R pipeline's steps (`cumin-jay`) →
//! counts and their unadjusted splice → the design's corrected splice through cumin's
//! own identify and estimate → release → write.

use crate::error::StudyError;
use crate::ledger::account_rows;
use crate::manifest::{Laps, ToolInfo};
use crate::output::OutputDir;
use crate::release::JayTables;
use crate::run::{Tail, finish, read_denominators};
use crate::settings::{Settings, outcome_columns};
use crate::summary::{Headline, RunOutput, headline};
use cumin_census::{
    Episodes, Extract, LaChildIdWithoutLa, NoProgress, Outcome, Progress, ReadOptions,
    ReasonSpelling, finish_deferred, read_extract, read_extract_with_other_reasons,
};
use cumin_cohort::{Identity, find_events};
use cumin_estimate::split::SplitCorrection;
use cumin_estimate::{
    CurveEstimator, Denominators, EstimateSpec, Estimator, Prepared, SpliceDesign, Stratification,
};
use cumin_jay::{
    Evaluation, Fate, JayInput, JayLine, JayMode, JayRules, JaySummary, Population, Preset,
};
use cumin_link::LinkageMode;
use cumin_report::{JayCurve, write};

/// The episode columns the design needs.
fn jay_options(read: &ReadOptions) -> ReadOptions {
    let mut options = read.clone();
    options.needed_by = outcome_columns(&Outcome::JAY, " (the Jay et al. 2025 design)");
    options.required = options.needed_by.keys().copied().collect();
    options
}

/// Runs a Jay preset study.
pub fn run(
    settings: &Settings,
    (preset, rules): (Preset, &JayRules),
    tool: &ToolInfo,
    progress: &dyn Progress,
) -> Result<RunOutput, StudyError> {
    let mut laps = Laps::start();
    crate::output::check(settings)?;
    let denominators = read_denominators(settings, &[Stratification::ALL])?;
    let population = Population::of(&denominators).map_err(|e| StudyError::Config(e.0))?;
    let (mut extract, tolerant) = read_as_the_r_code(settings, progress)?;
    crate::ledger::check_files_usable(&extract)?;
    // The main analysis is pmr-school-age.
    crate::ledger::check_pmrs_for_mode(cumin_link::IdMode::PmrSchoolAge, &extract)?;
    // `CPPstartDate` empty throughout stopped the read (`EmptyInExtract`): the design's
    // outcomes have no either-of-two event (s47) for the study to check.
    // An extract that begins after the window misses first referrals (cumin's design
    // check). Not under `jay2025-strict`, which reproduces the R code's counts on any
    // extract (jay2025-rules.md), and the R code has no such check.
    if preset == Preset::Jay2025 {
        crate::settings::check_window_observed(settings.window_start, &extract)?;
    }
    let window = settings
        .identity
        .event_rules(settings.window_start, extract.data_end);
    cumin_estimate::frame::check_denominators(&denominators, &window, false)?;
    laps.lap("read");

    progress.begin("the Jay et al. 2025 pipeline", None);
    let input = JayInput {
        episodes: &extract.episodes,
        latest: &extract.latest,
        data_end: extract.data_end,
        data_start: settings.config.data_start,
        reason_strict: &extract.episodes.reason_for_closure,
        reason_tolerant: Some(&tolerant.reasons),
    };
    let mut eval = cumin_jay::evaluate(&input, rules, settings.window_start);
    population.check_counts(&eval.run, &denominators.path)?;
    account(&mut extract, &eval, settings.window_start)?;
    // Past the ledger the run needs only the counts, not the analysis table; the R
    // reading's rows become the corrected splice's.
    eval.prepared = cumin_jay::prepare::Prepared::default();
    let rows = tolerant.with_rows_of(&mut extract);
    progress.end();
    laps.lap("jay_pipeline");

    let (unadjusted, _) = unadjusted_splice(&population, &eval, settings.level);
    laps.lap("estimate");

    progress.begin("the design's left-censoring corrected splice", None);
    // The R pipeline's counts stand without it: a design cell the extract or the
    // denominators cannot give the correction (an error here) is reported, not fatal.
    let (corrected, corrected_missing) =
        match corrected_splice(settings, rows, &denominators, progress) {
            Ok((curves, _)) => (curves, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
    progress.end();
    laps.lap("corrected_splice");

    let tables = crate::release::release_jay(
        settings.sdc,
        settings.level,
        (&unadjusted, &corrected),
        cumin_jay::count_rows(&eval.run),
        cumin_jay::correction_rows(&eval),
    );
    // The terminal's tables are the released curves' figures before 18.
    let released = tables.ci.get();
    let headline = headline(released, &Outcome::JAY, JayMode::Main.id_mode())
        .into_iter()
        .filter(|h| h.estimator == CurveEstimator::CohortSpliceUnadjusted)
        .collect();
    let table = jay_table(released, CurveEstimator::CohortSpliceUnadjusted);
    let corrected_table = jay_table(released, CurveEstimator::CohortSplice);
    let corrections = cumin_report::released_correction_lines(
        &tables.corrections,
        &tables.ci,
        !rules.is_strict(),
    );
    let mut dir = OutputDir::begin(settings)?;
    write_tables(&mut dir, &tables)?;
    let rule_names = cumin_jay::rule_names(rules);
    finish(
        dir,
        (settings, tool, &extract, laps),
        Tail {
            title: format!("cumin: Jay et al. 2025 design, preset {preset}"),
            context: format!("corrections in force: {}", rule_names.join(", ")),
            ci: &tables.ci,
            linkage: &tables.linkage,
            headline,
            sensitivity: None,
            jay: Some(JaySummary {
                preset,
                rules: rule_names,
                table,
                corrected_table,
                corrected_missing,
                corrected_linkage: settings.identity.linkage,
                corrections,
            }),
            extras: crate::run::ReportExtras::default(),
        },
    )
}

/// The R code's reading with the tolerant reason spelling, kept as its reasons for
/// closure (the corrections report's) and its ledger: the rest of it equals the strict
/// reading's rows, which stand in for it ([`Tolerant::with_rows_of`]).
struct Tolerant {
    /// Each row's reason for closure, read tolerantly.
    reasons: Vec<Option<u8>>,
    /// The reading without its rows and `Latest*` dates.
    rest: Extract,
}

impl Tolerant {
    /// The tolerant reading whole again: the rows of the strict reading `strict`
    /// (taken from it: the preset's ledger, which stays, no longer needs them) with the
    /// tolerant reasons for closure. The two readings differ only in that column, so the
    /// whole table is never held twice.
    fn with_rows_of(self, strict: &mut Extract) -> Extract {
        let Tolerant { reasons, mut rest } = self;
        rest.episodes = std::mem::take(&mut strict.episodes);
        rest.episodes.reason_for_closure = reasons;
        rest.latest = std::mem::take(&mut strict.latest);
        rest
    }
}

/// The identifier modes of the design's two analyses, for a stop on the LA child IDs.
fn preset_modes() -> String {
    let modes = JayMode::ALL.map(|m| m.id_mode().to_string());
    format!("{} (the preset's two analyses)", modes.join(" and "))
}

/// The extract as the R pipeline reads it (whole-extract rules deferred, dates after the
/// data end kept, the reason for closure spelled strictly), and its reasons for closure
/// read tolerantly, which the corrections report needs: one read of the files, the
/// reason read both ways ([`read_extract_with_other_reasons`]).
fn read_as_the_r_code(
    settings: &Settings,
    progress: &dyn Progress,
) -> Result<(Extract, Tolerant), StudyError> {
    let mut options = jay_options(&settings.read);
    options.rules.defer_whole_extract_rules = true;
    options.rules.clean_all_dates_after_data_end = false;
    options.rules.la_child_id_without_la = LaChildIdWithoutLa::KeptUnderNoLa;
    options.rules.reason_spelling = ReasonSpelling::Jay2025Strict;
    let (extract, tolerant) = read_extract_with_other_reasons(
        &settings.inputs,
        &options,
        ReasonSpelling::Tolerant,
        progress,
    )
    .map_err(|e| crate::ledger::with_id_mode(e, preset_modes))?;
    let rest = Extract {
        episodes: Episodes::default(),
        ledger: tolerant.ledger,
        files: extract.files.clone(),
        data_end: extract.data_end,
        census_years: extract.census_years.clone(),
        latest: cumin_census::normalise::LatestDates::default(),
        notes: Vec::new(),
    };
    Ok((
        extract,
        Tolerant {
            reasons: tolerant.reasons,
            rest,
        },
    ))
}

/// Every released table of the run, in the order the manifest lists them.
fn write_tables(dir: &mut OutputDir, tables: &JayTables) -> Result<(), StudyError> {
    dir.put(&tables.ci, write::write_ci_csv)?;
    dir.put_as(
        &cumin_report::spec::CUMULATIVE_INCIDENCE_PARQUET,
        &tables.ci,
        write::write_ci_parquet,
    )?;
    dir.put(&tables.counts, cumin_report::write_jay_counts_csv)?;
    dir.put(&tables.corrections, cumin_report::write_jay_corrections_csv)
}

/// The unadjusted splice of the run's counts: curves of `cumulative_incidence.csv`
/// (estimator `cohort-splice-unadjusted`, before release) and the printed table, main
/// and sensitivity.
/// The paper-like table of `estimator` from the released rows of
/// `cumulative_incidence.csv`: each outcome's oldest row of stratum all under each mode,
/// a withheld one left out (the terminal leaves its cell blank, as the file does).
fn jay_table(released: &[cumin_report::CiRow], estimator: CurveEstimator) -> Vec<JayLine> {
    let mut table = Vec::new();
    for mode in JayMode::ALL {
        let lines: Vec<Headline> = headline(released, &Outcome::JAY, mode.id_mode());
        for h in lines.into_iter().filter(|h| h.estimator == estimator) {
            if let (Some(cum_inc), Some(lower), Some(upper)) = (h.cum_inc, h.lower, h.upper) {
                table.push(JayLine {
                    mode,
                    outcome: h.outcome,
                    cum_inc,
                    lower,
                    upper,
                });
            }
        }
    }
    table
}

fn unadjusted_splice(
    population: &Population,
    eval: &Evaluation,
    level: f64,
) -> (Vec<JayCurve>, Vec<JayLine>) {
    let mut ci = Vec::new();
    let mut table = Vec::new();
    for mode in JayMode::ALL {
        for o in Outcome::JAY {
            let curve = population.curve(&eval.run, mode, o, level);
            if let Some(last) = curve.points.last() {
                table.push(JayLine {
                    mode,
                    outcome: o,
                    cum_inc: last.cum_inc,
                    lower: last.ci.lower,
                    upper: last.ci.upper,
                });
            }
            ci.push((mode, curve));
        }
    }
    (ci, table)
}

/// The design's cohorts, spliced with cumin's left-censoring correction (methods.md 5.3,
/// 5.4 and 10): the extract read, linked and aged by cumin's own rules (the R code has no
/// correction to reproduce, and the correction needs every cohort's lookback tables),
/// under each mode's identifiers, the cohorts fixed to the design's bands
/// ([`SpliceDesign::Jay2025`]). With `--bootstrap` the intervals carry the correction's
/// uncertainty. Curves of `cumulative_incidence.csv` (estimator `cohort-splice`, before
/// release) and the corrected half of the printed table.
///
/// `tolerant` is the R code's reading with the tolerant reason spelling: cumin's own
/// reading once the whole-extract rules are applied, unless the study reads reasons
/// otherwise (then the files are read again).
fn corrected_splice(
    settings: &Settings,
    tolerant: Extract,
    denominators: &Denominators,
    progress: &dyn Progress,
) -> Result<(Vec<JayCurve>, Vec<JayLine>), StudyError> {
    let options = jay_options(&settings.read);
    let mut extract = if options.rules.reason_spelling == ReasonSpelling::Tolerant {
        let mut extract = tolerant;
        finish_deferred(&mut extract, &options.rules)?;
        extract
    } else {
        drop(tolerant);
        read_extract(&settings.inputs, &options, progress)
            .map_err(|e| crate::ledger::with_id_mode(e, preset_modes))?
    };
    // The two modes link alike (`pmr-school-age` as `combined`): one identity, relabelled.
    let specs =
        JayMode::ALL.map(|m| settings.identity_under(m.id_mode(), settings.identity.linkage));
    let mut identity = cumin_cohort::identify(&extract.episodes, &specs[0]);
    let estimate_specs = specs.map(|s| EstimateSpec {
        strata: vec![Stratification::ALL],
        estimators: vec![Estimator::CohortSplice],
        splice_design: SpliceDesign::Jay2025,
        periods: Vec::new(),
        ..settings.estimate_spec(
            Outcome::JAY.to_vec(),
            s.event_rules(settings.window_start, extract.data_end),
        )
    });
    let events_of =
        |i: &Identity, s: &EstimateSpec| find_events(&i.episodes, &i.children, &s.rules);
    let mut events = events_of(&identity, &estimate_specs[0]);
    // Under `corrected` linkage one split correction build, the only step reading the
    // rows (freed after it); the second mode's is this one with its delay templates
    // found again from its own events ([`SplitCorrection::for_events`]), once the first
    // mode's estimate is done, so the two modes' tables are never held together.
    let mut split = (identity.linkage_mode == LinkageMode::Corrected).then(|| {
        let s = &estimate_specs[0];
        SplitCorrection::build(&extract.episodes, &identity, &events, &s.outcomes, &s.rules)
    });
    drop(std::mem::take(&mut extract.episodes));
    let mut kept = split.clone();
    let mut rows = Vec::new();
    let mut table = Vec::new();
    for (i, (mode, spec)) in JayMode::ALL.into_iter().zip(&estimate_specs).enumerate() {
        if i > 0 {
            drop(std::mem::take(&mut events));
            events = events_of(&identity, spec);
            split = kept
                .take()
                .map(|k| k.for_events(&identity, &events, &spec.outcomes));
            identity.drop_row_tables();
        }
        identity = identity.relabelled(mode.id_mode());
        let estimates = Prepared::with_split(denominators, spec, split.take())?.estimate(
            &identity,
            &events,
            &NoProgress,
        )?;
        for c in estimates
            .curves
            .into_iter()
            .filter(|c| c.estimator == CurveEstimator::CohortSplice)
        {
            if let Some(p) = c.points.iter().find(|p| p.age == 17) {
                table.push(JayLine {
                    mode,
                    outcome: c.outcome,
                    cum_inc: p.cum_inc,
                    lower: p.ci.lower,
                    upper: p.ci.upper,
                });
            }
            rows.push((mode, c));
        }
    }
    Ok((rows, table))
}

/// Every row read gets its place in the ledger: used if it reached the analysis table
/// and was referred in the window, else excluded with the step that dropped it.
fn account(
    extract: &mut Extract,
    eval: &Evaluation,
    window_start: cumin_census::Date,
) -> Result<(), StudyError> {
    let mut before_window = vec![false; extract.episodes.len()];
    for r in &eval.prepared.rows {
        before_window[r.row as usize] = r.referral < window_start;
    }
    let fate = &eval.prepared.fate;
    account_rows(extract, |i| match fate[i] {
        Fate::Kept if before_window[i] => "jay_referral_before_window",
        f => f.reason(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StudyConfig;
    use cumin_census::NoProgress;
    use std::path::Path;

    /// The settings of a fixture folder's `episodes.csv` and `denominators.csv`.
    fn fixture_settings(dir: &Path) -> crate::Settings {
        StudyConfig::new(
            vec![dir.join("episodes.csv").to_string_lossy().into_owned()],
            dir.join("denominators.csv"),
            std::env::temp_dir().join("cumin-unused"),
        )
        .check()
        .unwrap()
    }

    #[test]
    fn the_strict_rows_with_tolerant_reasons_equal_the_tolerant_reading() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        for dir in ["jay2025-hand", "jay2025-r/seed17"] {
            let settings = fixture_settings(&root.join(dir));
            let (mut strict, tolerant) = read_as_the_r_code(&settings, &NoProgress).unwrap();
            // The fixture must tell the spellings apart for the test to mean anything.
            assert_ne!(strict.episodes.reason_for_closure, tolerant.reasons);
            let strict_reasons = strict.episodes.reason_for_closure.clone();
            let rows = tolerant.with_rows_of(&mut strict);
            assert!(strict.episodes.is_empty());

            let mut options = jay_options(&settings.read);
            options.rules.defer_whole_extract_rules = true;
            options.rules.clean_all_dates_after_data_end = false;
            options.rules.la_child_id_without_la = LaChildIdWithoutLa::KeptUnderNoLa;
            let direct = read_extract(&settings.inputs, &options, &NoProgress).unwrap();
            assert_eq!(rows.episodes.len(), direct.episodes.len());
            for i in 0..direct.episodes.len() {
                assert_eq!(rows.episodes.row(i), direct.episodes.row(i), "row {i}");
            }
            assert_eq!(rows.latest, direct.latest);
            let lines = |e: &Extract| {
                e.ledger
                    .lines()
                    .map(|(f, entry, n)| format!("{f:?} {entry:?} {n}"))
                    .collect::<Vec<_>>()
            };
            assert_eq!(lines(&rows), lines(&direct));
            assert_eq!(rows.data_end, direct.data_end);
            assert_ne!(rows.episodes.reason_for_closure, strict_reasons);
        }
    }

    /// The keys, successor model and hidden successors [`corrected_splice`] keeps from the
    /// first mode's build read nothing the second mode's rules change: on seed17 (whose
    /// modes' events differ) the second mode's own build equals the first's with the
    /// second mode's templates. Fails if the split build comes to read
    /// `school_age_needs_pmr` (the modes' delay templates are equal on every fixture
    /// here: split/mod.rs's `the_correction_for_other_events_equals_its_own_build` is the
    /// test where they differ).
    #[test]
    fn the_second_modes_split_correction_from_the_first_equals_its_own_build() {
        let settings = fixture_settings(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/jay2025-r/seed17"),
        );
        let e = read_extract(&settings.inputs, &jay_options(&settings.read), &NoProgress).unwrap();
        let specs =
            JayMode::ALL.map(|m| settings.identity_under(m.id_mode(), LinkageMode::Corrected));
        let identity = cumin_cohort::identify(&e.episodes, &specs[0]);
        let rules = specs.map(|s| s.event_rules(settings.window_start, e.data_end));
        let events = rules.map(|r| find_events(&identity.episodes, &identity.children, &r));
        assert_ne!(
            format!("{:?}", events[0].all),
            format!("{:?}", events[1].all)
        );
        let build = |i: usize| {
            SplitCorrection::build(&e.episodes, &identity, &events[i], &Outcome::JAY, &rules[i])
        };
        let shared = build(0).for_events(&identity, &events[1], &Outcome::JAY);
        assert_eq!(format!("{shared:?}"), format!("{:?}", build(1)));
    }
}
