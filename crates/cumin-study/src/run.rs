//! A run of cumin's own design: read → identify → estimate → release → write.

use crate::error::StudyError;
use crate::ledger::account_rows;
use crate::manifest::{Laps, ToolInfo};
use crate::output::OutputDir;
use crate::release::Tables;
use crate::sensitivity::{self, Sensitivity};
use crate::settings::Settings;
use crate::summary::{RunOutput, headline};
use cumin_census::{Extract, Progress, ReadOptions, read_extract};
use cumin_cohort::{EventRules, Events, Identity};
use cumin_estimate::{Denominators, Stratification, StratumVar};
use cumin_report::write;

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
    let (denominators, mut extract) = read_inputs(settings, progress)?;
    laps.lap("read");
    let outcomes = settings.outcomes.resolve(&extract);

    let (identity, events, rules) = identify(settings, &mut extract, &mut laps, progress)?;
    let spec = settings.estimate_spec(outcomes.clone(), rules);
    let estimates = cumin_estimate::estimate_with_progress(
        (&extract.episodes, &identity, &events, &denominators),
        &spec,
        progress,
    )?;
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
    let mut linkage_rows = crate::linkage::study_rows(
        &extract.episodes,
        &identity,
        &events,
        sensitivity.as_ref().map(|s| s.linkage.as_slice()),
    );
    linkage_rows.extend(crate::linkage::split_rows(
        &identity,
        estimates.split.as_ref(),
    ));
    progress.end();
    laps.lap("linkage_modes");

    let headline = headline(&estimates.curves, &outcomes);
    let (sensitivity_rows, lines) = match sensitivity {
        Some(Sensitivity { curves, lines, .. }) => (Some(curves), Some(lines)),
        None => (None, None),
    };
    let tables = crate::release::release(
        settings.sdc,
        identity.id_mode(),
        estimates,
        &settings.periods,
        linkage_rows,
        sensitivity_rows,
    );
    progress.begin("writing outputs", None);
    let mut dir = OutputDir::create(&settings.out)?;
    write_tables(&mut dir, settings, &tables)?;
    dir.write_ledger(&extract)?;
    let report = cumin_report::html::ReportInput {
        title: "cumin: cumulative incidence of children's social care contact".to_owned(),
        context: vec![
            format!("cumin {} ({})", tool.version, tool.command),
            format!(
                "inputs: {}; data end {}; window from {}; identifiers: {}; linkage: {}",
                input_list(&extract),
                extract.data_end,
                settings.window_start,
                identity.id_mode(),
                identity.linkage_mode
            ),
        ],
        ci: &tables.ci,
        linkage: &tables.linkage,
        ledger: Vec::new(),
    };
    let written = dir.finish(report, tool, settings, &extract, laps)?;
    progress.end();
    Ok(RunOutput {
        out: written.root,
        files: written.files,
        headline,
        data_end: extract.data_end,
        rows: written.rows,
        linkage: cumin_report::linkage_section(&tables.linkage),
        sensitivity: lines,
        jay: None,
    })
}

/// Who is who and each child's first events, every row given its place in the ledger;
/// each a stage of its own on the terminal.
fn identify(
    settings: &Settings,
    extract: &mut Extract,
    laps: &mut Laps,
    progress: &dyn Progress,
) -> Result<(Identity, Events, EventRules), StudyError> {
    progress.begin(
        &format!(
            "linking {} rows into children ({} linkage)",
            extract.episodes.len(),
            settings.identity.linkage
        ),
        None,
    );
    let identity = cumin_cohort::identify(&extract.episodes, &settings.identity);
    progress.end();
    laps.lap("link");
    progress.begin(
        &format!(
            "finding the first events of {} children",
            identity.children.len()
        ),
        None,
    );
    let rules = settings
        .identity
        .event_rules(settings.window_start, extract.data_end);
    let events = cumin_cohort::find_events(&identity.episodes, &identity.children, &rules);
    account(extract, &identity, &events)?;
    progress.end();
    laps.lap("cohort");
    Ok((identity, events, rules))
}

/// The denominators, then the episode files with the columns the outcomes and strata
/// need.
fn read_inputs(
    settings: &Settings,
    progress: &dyn Progress,
) -> Result<(Denominators, Extract), StudyError> {
    let mut required = settings.outcomes.required_columns();
    required.extend(
        settings
            .strata
            .iter()
            .flat_map(|s| s.vars())
            .filter_map(StratumVar::column),
    );
    let options = ReadOptions {
        required,
        ..settings.read.clone()
    };
    let denominators = read_denominators(settings, &settings.strata)?;
    let extract = read_extract(&settings.inputs, &options, progress)?;
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

/// Every released table of the run, in the order the manifest lists them.
fn write_tables(dir: &mut OutputDir, settings: &Settings, t: &Tables) -> Result<(), StudyError> {
    dir.write("cumulative_incidence.csv", |p| {
        write::write_ci_csv(p, &t.ci)
    })?;
    dir.write("cumulative_incidence.parquet", |p| {
        write::write_ci_parquet(p, &t.ci)
    })?;
    dir.write("linkage.csv", |p| write::write_linkage_csv(p, &t.linkage))?;
    if let Some(s) = &t.sensitivity {
        dir.write("sensitivity.csv", |p| write::write_ci_csv(p, s))?;
    }
    if !settings.periods.is_empty() {
        dir.write("trend.csv", |p| write::write_trend_csv(p, &t.trend))?;
    }
    if !t.inequality.get().is_empty() {
        dir.write("inequality.csv", |p| {
            write::write_inequality_csv(p, &t.inequality)
        })?;
    }
    dir.write("recurrence.csv", |p| {
        write::write_recurrence_csv(p, &t.recurrence)
    })?;
    dir.write("corrections.csv", |p| {
        write::write_corrections_csv(p, &t.corrections)
    })?;
    dir.write("correction_model.csv", |p| {
        write::write_backward_hazards_csv(p, &t.hazards)
    })?;
    dir.write("correction_sensitivity.csv", |p| {
        write::write_bounds_csv(p, &t.bounds)
    })?;
    if settings.strata.len() > 1 {
        dir.write("strata.csv", |p| write::write_unplaced_csv(p, &t.unplaced))?;
    }
    Ok(())
}

/// Gives every row read its final place in the ledger: excluded by linkage, outside the
/// identifier mode, or by its episode's fate; else used.
fn account(extract: &mut Extract, identity: &Identity, events: &Events) -> Result<(), StudyError> {
    let (linkage, set) = (&identity.linkage, &identity.episodes);
    account_rows(extract, |i| {
        match (linkage.unlinked_reason(i), set.episode_of_row[i]) {
            (Some(why), _) => why,
            (None, None) => "unidentified_in_id_mode",
            (None, Some(ep)) => events.episode_fate[ep as usize].reason(),
        }
    })
}
