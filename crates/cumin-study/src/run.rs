//! A run of cumin's own design: read → identify → estimate → release → write.

use crate::error::StudyError;
use crate::ledger::account_rows;
use crate::manifest::{Laps, ToolInfo};
use crate::output::OutputDir;
use crate::release::Tables;
use crate::sensitivity::{self, Sensitivity};
use crate::settings::Settings;
use crate::summary::{Headline, RunOutput, SensitivityLine, released_headlines};
use cumin_census::{Episodes, Extract, Progress, ReadOptions, read_extract};
use cumin_cohort::{EventRules, Events, Identity};
use cumin_estimate::{Denominators, InequalityMeasure, Recurrence, Stratification, StratumVar};
use cumin_jay::JaySummary;
use cumin_report::{CiRow, LinkageRow, Released, TrendRow, write};

/// Reads the denominators, checking the columns the stratifications `needed` use.
pub fn read_denominators(
    settings: &Settings,
    needed: &[Stratification],
) -> Result<Denominators, StudyError> {
    let path = &settings.denominators;
    let table = cumin_census::read_text_table(path)?;
    Ok(Denominators::from_table(path, &table, needed)?)
}

/// Runs a study of cumin's own design.
pub fn run(
    settings: &Settings,
    tool: &ToolInfo,
    progress: &dyn Progress,
) -> Result<RunOutput, StudyError> {
    let mut laps = Laps::start();
    crate::output::check(settings)?;
    let (denominators, mut extract) = read_inputs(settings, progress)?;
    laps.lap("read");
    let outcomes = settings.outcomes.resolve(&extract);
    crate::settings::check_outcome_events(&outcomes, &extract)?;
    let rules = settings
        .identity
        .event_rules(settings.window_start, extract.data_end);
    cumin_estimate::frame::check_denominators(&denominators, &rules, settings.uses_every_cell())?;

    let (mut identity, events) = identify(settings, &mut extract, &rules, &mut laps, progress)?;
    let spec = settings.estimate_spec(outcomes.clone(), rules);
    // What reads the rows comes first: the ledger (above), the linkage measures by row,
    // the split correction. Then the rows are freed (only the sensitivity runs, which
    // link them again, read them after) and the identity's per-row tables with them,
    // before the event years and the curves take their memory.
    let mut linkage_rows = crate::linkage::own_rows(&extract.episodes, &identity, &events);
    let prepared = cumin_estimate::Prepared::new(
        (&extract.episodes, &identity, &events, &denominators),
        &spec,
    )?;
    if !settings.sensitivity {
        drop(std::mem::take(&mut extract.episodes));
    }
    identity.drop_row_tables();
    // The events go with the estimate: each outcome's freed once read.
    let estimates = prepared.estimate_owned(&identity, events, progress)?;
    laps.lap("estimate");

    progress.begin(
        if settings.sensitivity {
            "estimating under every identifier mode"
        } else {
            "linkage under every identifier mode"
        },
        None,
    );
    let sensitivity = settings
        .sensitivity
        .then(|| {
            sensitivity::run_modes(
                settings,
                &outcomes,
                &denominators,
                extract.data_end,
                &extract.episodes,
            )
        })
        .transpose()?;
    linkage_rows.extend(crate::linkage::other_mode_rows(
        &identity,
        sensitivity.as_ref().map(|s| s.linkage.as_slice()),
    ));
    linkage_rows.extend(crate::linkage::split_rows(
        &identity,
        estimates.split.as_ref(),
    ));
    progress.end();
    laps.lap("linkage_modes");

    let sensitivity_rows = sensitivity.map(|Sensitivity { curves, .. }| curves);
    let tables = crate::release::release(
        settings,
        identity.id_mode(),
        estimates,
        linkage_rows,
        sensitivity_rows.as_deref(),
    );
    // The terminal's figures are the released ones.
    let (headline, lines) = released_headlines(
        tables.ci.get(),
        tables.sensitivity.as_ref().map(|s| s.get().as_slice()),
        &outcomes,
        identity.id_mode(),
    );
    progress.begin("writing outputs", None);
    let mut dir = OutputDir::begin(settings)?;
    write_tables(&mut dir, settings, &tables)?;
    let ids = format!(
        "identifiers: {}; linkage: {}",
        identity.id_mode(),
        identity.linkage_mode
    );
    let output = finish(
        dir,
        (settings, tool, &extract, laps),
        Tail {
            title: "cumin: cumulative incidence of children's social care contact".to_owned(),
            context: ids,
            ci: &tables.ci,
            linkage: &tables.linkage,
            headline,
            sensitivity: lines,
            jay: None,
            extras: ReportExtras {
                trend: (!settings.periods.is_empty()).then_some(&tables.trend),
                inequality: Some(&tables.inequality),
                recurrence: Some(&tables.recurrence),
                sensitivity: tables.sensitivity.as_ref(),
            },
        },
    );
    progress.end();
    output
}

/// What a run's report and summary hold beyond what every run shares.
pub(crate) struct Tail<'a> {
    /// The report's title.
    pub title: String,
    /// The end of the report's context line, after the inputs, data end and window.
    pub context: String,
    /// The released curves.
    pub ci: &'a Released<Vec<CiRow>>,
    /// The released linkage measures.
    pub linkage: &'a Released<Vec<LinkageRow>>,
    /// The summary's headline.
    pub headline: Vec<Headline>,
    /// Headlines under every identifier mode, when asked for.
    pub sensitivity: Option<Vec<SensitivityLine>>,
    /// A Jay preset's table.
    pub jay: Option<JaySummary>,
    /// The released tables only some designs have.
    pub extras: ReportExtras<'a>,
}

/// The released tables only some designs have, for the report's sections.
#[derive(Default)]
pub(crate) struct ReportExtras<'a> {
    /// Trend rows (with `--period`).
    pub trend: Option<&'a Released<Vec<TrendRow>>>,
    /// Inequality measures.
    pub inequality: Option<&'a Released<Vec<InequalityMeasure>>>,
    /// Recurrence rows.
    pub recurrence: Option<&'a Released<Vec<Recurrence>>>,
    /// Curves under every identifier mode (with `--sensitivity`).
    pub sensitivity: Option<&'a Released<Vec<CiRow>>>,
}

/// The tail of every run: the ledger written, the report page and the manifest, then the
/// summary the terminal shows.
pub(crate) fn finish(
    mut dir: OutputDir,
    (settings, tool, extract, laps): (&Settings, &ToolInfo, &Extract, Laps),
    tail: Tail<'_>,
) -> Result<RunOutput, StudyError> {
    dir.write_ledger(extract)?;
    let ledger = released_ledger(settings, extract);
    let report = cumin_report::html::ReportInput {
        title: tail.title,
        context: vec![
            format!("cumin {} ({})", tool.version, tool.command),
            format!(
                "inputs: {}; data end {}; window from {}; {}",
                input_list(extract),
                extract.data_end,
                settings.window_start,
                tail.context
            ),
        ],
        ci: tail.ci,
        trend: tail.extras.trend,
        inequality: tail.extras.inequality,
        recurrence: tail.extras.recurrence,
        sensitivity: tail.extras.sensitivity,
        linkage: tail.linkage,
        ledger: &ledger,
        files: Vec::new(),
        preset: tail.jay.as_ref().map(|j| j.preset.to_string()),
    };
    let written = dir.finish(report, tool, settings, extract, laps)?;
    Ok(RunOutput {
        out: written.root,
        warnings: release_warnings(settings),
        files: written.files,
        headline: tail.headline,
        data_end: extract.data_end,
        rows: written.rows,
        linkage: cumin_report::linkage_section(tail.linkage),
        sensitivity: tail.sensitivity,
        jay: tail.jay,
    })
}

/// Who is who and each child's first events, every row given its place in the ledger;
/// each a stage of its own on the terminal.
fn identify(
    settings: &Settings,
    extract: &mut Extract,
    rules: &EventRules,
    laps: &mut Laps,
    progress: &dyn Progress,
) -> Result<(Identity, Events), StudyError> {
    progress.begin(
        &format!(
            "linking {} rows into children ({} linkage)",
            extract.episodes.len(),
            settings.identity.linkage
        ),
        None,
    );
    if !settings.sensitivity {
        drop_unread_columns(&mut extract.episodes);
    }
    let mut identity = if settings.sensitivity {
        cumin_cohort::identify(&extract.episodes, &settings.identity)
    } else {
        // The rows are narrowed inside, as soon as linkage has read what it needs of
        // them (before de-duplication's last columns and the transfer join).
        cumin_cohort::identify_narrowing(&mut extract.episodes, &settings.identity, narrow_rows)
    };
    progress.end();
    laps.lap("link");
    progress.begin(
        &format!(
            "finding the first events of {} children",
            identity.children.len()
        ),
        None,
    );
    let mut events = cumin_cohort::find_events(&identity.episodes, &identity.children, rules);
    account(extract, &identity, &events)?;
    // The ledger is the last to read the episodes' fates, each row's episode and the
    // conflict policy's row bits, and the rows' files: they go before the estimate (the
    // rows' file only where nothing links the rows again).
    events.episode_fate = Vec::new();
    identity.episodes.episode_of_row = Vec::new();
    identity.linkage.conflict_dropped = cumin_link::RowBits::default();
    if !settings.sensitivity {
        extract.episodes.file = Vec::new();
    }
    progress.end();
    laps.lap("cohort");
    Ok((identity, events))
}

/// Frees the columns nothing reads after the reader in a run of cumin's own design (the
/// row's line in its file and whether its closure date was repaired: the reader's
/// checks and the ledger's counts are done), before linkage builds its tables beside the
/// rows. Not for a run whose sensitivity analysis links the rows again.
fn drop_unread_columns(episodes: &mut Episodes) {
    episodes.source_row = Vec::new();
    episodes.closure_repaired = Vec::new();
}

/// Keeps of the rows only the columns read after linkage: the file (the ledger's
/// places, freed after it), the census year and whether a PMR is present (the linkage measures by row,
/// the split correction) and the IDACI decile (the split correction). The other columns
/// and the identifier pools are freed, so a row's identifiers cannot be read after
/// (the PMR references point into a freed pool: only `is_some` holds). Not for a run
/// whose sensitivity analysis links the rows again.
fn narrow_rows(episodes: &mut Episodes) {
    let kept = Episodes {
        file: std::mem::take(&mut episodes.file),
        census_year: std::mem::take(&mut episodes.census_year),
        pmr: std::mem::take(&mut episodes.pmr),
        idaci_decile: std::mem::take(&mut episodes.idaci_decile),
        ..Episodes::default()
    };
    *episodes = kept;
}

/// The ledger of `extract` as the report shows it: through the count rule.
pub fn released_ledger(
    settings: &Settings,
    extract: &Extract,
) -> cumin_report::Released<Vec<cumin_report::LedgerLine>> {
    cumin_report::release_ledger(
        settings.sdc,
        cumin_report::keep_ledger(&extract.ledger).get().clone(),
    )
}

/// What the terminal should say about the folder's release status.
pub fn release_warnings(settings: &Settings) -> Vec<String> {
    if settings.sdc.controls() {
        Vec::new()
    } else {
        vec![format!(
            "--sdc none: no disclosure control; every file in {} is marked not for release \
             (synthetic data only)",
            settings.out.display()
        )]
    }
}

/// The denominators, then the episode files with the columns the outcomes and strata
/// need.
fn read_inputs(
    settings: &Settings,
    progress: &dyn Progress,
) -> Result<(Denominators, Extract), StudyError> {
    let mut needed_by = settings.outcomes.required_columns();
    for s in &settings.strata {
        for c in s.vars().filter_map(StratumVar::column) {
            needed_by.entry(c).or_insert_with(|| format!("--by {s}"));
        }
    }
    let options = ReadOptions {
        required: needed_by.keys().copied().collect(),
        needed_by,
        ..settings.read.clone()
    };
    let denominators = read_denominators(settings, &settings.strata)?;
    let mode = settings.identity.id_mode();
    let extract = read_extract(&settings.inputs, &options, progress)
        .map_err(|e| crate::ledger::with_id_mode(e, || format!("--id-mode {mode}")))?;
    crate::ledger::check_files_usable(&extract)?;
    crate::ledger::check_pmrs_for_mode(settings.identity.id_mode(), &extract)?;
    crate::settings::check_window_observed(settings.window_start, &extract)?;
    Ok((denominators, extract))
}

/// The input files, for the report's context line.
pub fn input_list(extract: &Extract) -> String {
    extract
        .files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every released table of the run, in the order the manifest lists them, then the
/// analyst-only ones.
fn write_tables(dir: &mut OutputDir, settings: &Settings, t: &Tables) -> Result<(), StudyError> {
    dir.put(&t.ci, write::write_ci_csv)?;
    dir.put_as(
        &cumin_report::spec::CUMULATIVE_INCIDENCE_PARQUET,
        &t.ci,
        write::write_ci_parquet,
    )?;
    dir.put(&t.linkage, write::write_linkage_csv)?;
    if let Some(s) = &t.sensitivity {
        dir.put(s, write::write_ci_csv)?;
    }
    if !settings.periods.is_empty() {
        dir.put(&t.trend, write::write_trend_csv)?;
    }
    if !t.inequality.get().is_empty() {
        dir.put(&t.inequality, write::write_inequality_csv)?;
    }
    dir.put(&t.recurrence, write::write_recurrence_csv)?;
    if settings.strata.len() > 1 {
        dir.put(&t.unplaced, write::write_unplaced_csv)?;
    }
    dir.keep(&t.corrections, write::write_corrections_csv)?;
    dir.keep(&t.hazards, write::write_backward_hazards_csv)?;
    dir.keep(&t.bounds, write::write_bounds_csv)?;
    if !t.linkage_model.get().is_empty() {
        dir.keep(&t.linkage_model, write::write_linkage_model_csv)?;
    }
    Ok(())
}

/// Gives every row read its final place in the ledger: excluded by linkage, outside the
/// identifier mode, or by its episode's fate; else used.
fn account(extract: &mut Extract, identity: &Identity, events: &Events) -> Result<(), StudyError> {
    let (linkage, set) = (&identity.linkage, &identity.episodes);
    account_rows(extract, |i| {
        match (linkage.unlinked_reason(i), set.episode_of_row[i].get()) {
            (Some(why), _) => why,
            (None, None) => "unidentified_in_id_mode",
            (None, Some(ep)) => events.episode_fate[ep as usize].reason(),
        }
    })
}
