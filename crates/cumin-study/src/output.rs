//! The output folder, the unit of release: [`OutputDir`] owns every file a run writes.
//!
//! A run writes into a hidden staging folder beside `--out` (`.NAME.partial-PID`) and
//! only at the end, with the report page, `sdc.json` and the manifest written, puts it in
//! place of `--out` by renaming: a killed run leaves a folder named partial, never one
//! that looks finished, and no file of an earlier run survives beside the new ones. An
//! existing `--out` must be empty or hold only files a run of these settings could write
//! (and the run's own inputs, which are carried over and marked not for release), unless
//! `--force` clears it. Files are written only as the disclosure layer's
//! [`Released`] tables (their names, statuses and rules from their descriptions) or as
//! [`AnalystOnly`] ones, under `analyst-only/`.

use crate::error::StudyError;
use crate::manifest::{Laps, ToolInfo};
use crate::settings::{Design, Settings};
use cumin_census::{Extract, Outcome};
use cumin_report::html::ReportInput;
use cumin_report::quality::FileStatus;
use cumin_report::spec::{self, TableSpec};
use cumin_report::summary::SdcSummary;
use cumin_report::{AnalystOnly, CellStats, Released, ReportError};
use std::path::{Path, PathBuf};

/// A file of the folder: its name inside it, its description and the layer's tally.
#[derive(Clone, Debug)]
struct Entry {
    name: String,
    spec: &'static TableSpec,
    cells: Option<CellStats>,
}

/// A run's output folder, while it is being written.
#[derive(Debug)]
pub struct OutputDir {
    out: PathBuf,
    staging: PathBuf,
    profile: cumin_report::SdcProfile,
    entries: Vec<Entry>,
    /// The run's inputs that lie inside `out`: (name inside it, path).
    carried: Vec<(String, PathBuf)>,
}

/// What a finished folder holds.
#[derive(Clone, Debug)]
pub struct Written {
    /// The folder.
    pub root: PathBuf,
    /// Files in it (relative) and whether each is for release, in order, the manifest
    /// last.
    pub files: Vec<(String, bool)>,
    /// Rows read, used, quarantined, excluded by design and excluded without a birth
    /// date over all input files ([`crate::ledger::totals`]).
    pub rows: [u64; 5],
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StudyError + '_ {
    move |source| {
        StudyError::Report(ReportError::Io {
            path: path.to_owned(),
            source,
        })
    }
}

/// Every file under `dir`, relative, `/`-separated, sorted.
pub fn files_under(dir: &Path) -> Result<Vec<String>, StudyError> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), StudyError> {
        for e in std::fs::read_dir(dir).map_err(io(dir))? {
            let p = e.map_err(io(dir))?.path();
            if p.is_dir() {
                walk(base, &p, out)?;
            } else if let Ok(rel) = p.strip_prefix(base) {
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// Whether a run of `settings` could write file `name` (a path inside its folder).
pub fn could_write(settings: &Settings, name: &str) -> bool {
    let mut fixed: Vec<&str> = vec![
        spec::CUMULATIVE_INCIDENCE.file,
        spec::CUMULATIVE_INCIDENCE_PARQUET.file,
        spec::LEDGER.file,
        spec::QUARANTINE.file,
        spec::NOTES.file,
        spec::REPORT.file,
        spec::SDC_JSON.file,
        "manifest.json",
    ];
    let mut figure_vars = vec!["all".to_owned()];
    match &settings.design {
        Design::Jay { .. } => fixed.extend([spec::JAY_COUNTS.file, spec::JAY_CORRECTIONS.file]),
        Design::Cumin => {
            fixed.extend([
                spec::LINKAGE.file,
                spec::LINKAGE_MODEL.file,
                spec::RECURRENCE.file,
                spec::CORRECTIONS.file,
                spec::CORRECTION_MODEL.file,
                spec::CORRECTION_SENSITIVITY.file,
                spec::INEQUALITY.file,
            ]);
            if !settings.periods.is_empty() {
                fixed.extend([spec::TREND.file, "figures/trend.svg"]);
            }
            if settings.sensitivity {
                fixed.extend([spec::SENSITIVITY.file, "figures/sensitivity.svg"]);
            }
            if settings.strata.len() > 1 {
                fixed.push(spec::STRATA.file);
            }
            let safe = |s: String| cumin_report::sections::file_safe(&s);
            figure_vars.extend(settings.strata.iter().skip(1).map(|s| safe(s.to_string())));
            if figure_vars.iter().any(|v| v == "idaci_decile") {
                figure_vars.push("idaci_decile_gradient".to_owned());
            }
        }
    }
    fixed.contains(&name)
        || name.strip_prefix("figures/").is_some_and(|f| {
            Outcome::ALL.iter().any(|o| {
                figure_vars
                    .iter()
                    .any(|v| f == format!("{}_{v}.svg", o.as_str()))
            })
        })
}

/// The files of the run's inputs that lie inside `out`: (name inside it, path).
fn inputs_inside(settings: &Settings, out: &Path) -> Vec<(String, PathBuf)> {
    let Ok(root) = out.canonicalize() else {
        return Vec::new();
    };
    let mut inputs: Vec<&PathBuf> = settings.inputs.iter().collect();
    inputs.push(&settings.denominators);
    inputs.extend(settings.config.lsoa_lookup.iter());
    let mut out = Vec::new();
    for p in inputs {
        let Ok(full) = p.canonicalize() else { continue };
        if let Ok(rel) = full.strip_prefix(&root) {
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push((parts.join("/"), p.clone()));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Checks that a run of `settings` may write its folder: `--out` names a folder that is
/// absent, empty, or holds only files such a run could write (or its own inputs), unless
/// `settings.force`. Returns the inputs inside it. Runs call it before any work.
pub fn check(settings: &Settings) -> Result<Vec<(String, PathBuf)>, StudyError> {
    let out = &settings.out;
    if out.file_name().is_none() {
        return Err(StudyError::Output(format!(
            "--out {} must name a folder",
            out.display()
        )));
    }
    if out.exists() && !out.is_dir() {
        return Err(StudyError::Output(format!(
            "--out {} is a file; give a folder",
            out.display()
        )));
    }
    let carried = inputs_inside(settings, out);
    if out.is_dir() && !settings.force {
        let foreign: Vec<String> = files_under(out)?
            .into_iter()
            .filter(|f| !could_write(settings, f) && !carried.iter().any(|(n, _)| n == f))
            .collect();
        if !foreign.is_empty() {
            let shown: Vec<&str> = foreign.iter().take(5).map(String::as_str).collect();
            return Err(StudyError::Output(format!(
                "--out {} holds {} file(s) this run would not write ({}{}); the folder is \
                 released as a whole, so choose an empty folder, or pass --force to clear it",
                out.display(),
                foreign.len(),
                shown.join(", "),
                if foreign.len() > shown.len() {
                    ", …"
                } else {
                    ""
                }
            )));
        }
    }
    Ok(carried)
}

impl OutputDir {
    /// Checks `settings.out` again ([`check`]) and creates the staging folder beside it.
    pub fn begin(settings: &Settings) -> Result<OutputDir, StudyError> {
        let carried = check(settings)?;
        let out = settings.out.clone();
        let (Some(parent), Some(name)) = (out.parent(), out.file_name()) else {
            return Err(StudyError::Output(format!(
                "--out {} must name a folder",
                out.display()
            )));
        };
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        std::fs::create_dir_all(parent).map_err(io(parent))?;
        let staging = parent.join(format!(
            ".{}.partial-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
        }
        std::fs::create_dir(&staging).map_err(io(&staging))?;
        Ok(OutputDir {
            out,
            staging,
            profile: settings.sdc,
            entries: Vec::new(),
            carried,
        })
    }

    fn record(
        &mut self,
        spec: &'static TableSpec,
        cells: Option<CellStats>,
        write: impl FnOnce(&Path) -> Result<(), ReportError>,
    ) -> Result<(), StudyError> {
        let path = self.staging.join(spec.file);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        write(&path)?;
        self.entries.push(Entry {
            name: spec.file.to_owned(),
            spec,
            cells,
        });
        Ok(())
    }

    /// Writes the released table `t` as its file, with `write`.
    pub fn put<T>(
        &mut self,
        t: &Released<T>,
        write: impl FnOnce(&Path, &Released<T>) -> Result<(), ReportError>,
    ) -> Result<(), StudyError> {
        self.put_as(t.spec(), t, write)
    }

    /// Writes the released table `t` as the file `spec` describes (a second form of the
    /// same table: the Parquet file).
    pub fn put_as<T>(
        &mut self,
        spec: &'static TableSpec,
        t: &Released<T>,
        write: impl FnOnce(&Path, &Released<T>) -> Result<(), ReportError>,
    ) -> Result<(), StudyError> {
        self.record(spec, Some(t.stats()), |p| write(p, t))
    }

    /// Writes the analyst-only table `t` under `analyst-only/`, with `write`.
    pub fn keep<T>(
        &mut self,
        t: &AnalystOnly<T>,
        write: impl FnOnce(&Path, &AnalystOnly<T>) -> Result<(), ReportError>,
    ) -> Result<(), StudyError> {
        self.record(t.spec(), None, |p| write(p, t))
    }

    /// The ledger, the quarantined rows and the cleaning notes of `extract`
    /// (analyst-only).
    pub fn write_ledger(&mut self, extract: &Extract) -> Result<(), StudyError> {
        let ledger = &extract.ledger;
        self.keep(
            &cumin_report::keep_ledger(ledger),
            cumin_report::write::write_ledger_csv,
        )?;
        self.keep(
            &cumin_report::keep_quarantine(ledger),
            cumin_report::write::write_quarantine_csv,
        )?;
        self.keep(
            &cumin_report::keep_notes(&extract.notes),
            cumin_report::write::write_notes_csv,
        )
    }

    /// Every file so far, its status and what disclosure control did to it, for the
    /// report page.
    fn statuses(&self) -> Vec<FileStatus> {
        let controls = self.profile.controls();
        let mut out: Vec<FileStatus> = self
            .entries
            .iter()
            .map(|e| FileStatus {
                name: e.name.clone(),
                status: e.spec.status.label(controls),
                cells: e.cells,
            })
            .collect();
        out.extend(self.carried.iter().map(|(n, _)| FileStatus {
            name: n.clone(),
            status: spec::NOT_FOR_RELEASE_INPUT,
            cells: None,
        }));
        out
    }

    /// Finishes the folder: the report page (given the released ledger of `extract`),
    /// `sdc.json`, the manifest listing every file with its hash and status; then puts
    /// the folder in place of `--out`. Returns what it holds.
    pub fn finish(
        mut self,
        mut report: ReportInput<'_>,
        tool: &ToolInfo,
        settings: &Settings,
        extract: &Extract,
        mut laps: Laps,
    ) -> Result<Written, StudyError> {
        report.files = self.statuses();
        let (html, figures) = cumin_report::html::render(&report);
        self.record(&spec::REPORT, Some(report.ledger.stats()), |p| {
            cumin_report::write::write_text(p, &html)
        })?;
        for (name, svg) in figures {
            let path = self.staging.join(&name);
            cumin_report::write::write_text(&path, &svg)?;
            self.entries.push(Entry {
                name,
                spec: &spec::FIGURE,
                cells: None,
            });
        }
        let mut summary = SdcSummary::new(self.profile);
        for e in &self.entries {
            summary.push(&e.name, e.spec, e.cells);
        }
        for (name, _) in &self.carried {
            summary.push_input(name);
        }
        self.record(&spec::SDC_JSON, None, |p| {
            cumin_report::write::write_json(p, &summary)
        })?;
        laps.lap("write");
        let mut listed: Vec<(String, PathBuf, &'static str)> = self
            .entries
            .iter()
            .map(|e| {
                (
                    e.name.clone(),
                    self.staging.join(&e.name),
                    e.spec.status.label(self.profile.controls()),
                )
            })
            .collect();
        listed.extend(
            self.carried
                .iter()
                .map(|(n, p)| (n.clone(), p.clone(), spec::NOT_FOR_RELEASE_INPUT)),
        );
        let manifest = crate::manifest::build(tool, settings, extract, &listed, &laps)?;
        cumin_report::write::write_json(&self.staging.join("manifest.json"), &manifest)?;
        let mut files: Vec<(String, bool)> = listed
            .into_iter()
            .map(|(n, _, status)| (n, status == spec::FOR_RELEASE))
            .collect();
        files.push(("manifest.json".to_owned(), self.profile.controls()));
        self.swap()?;
        Ok(Written {
            root: self.out.clone(),
            files,
            rows: crate::ledger::totals(extract),
        })
    }

    /// Puts the staging folder in place of `--out`: the old folder (if any) aside, the
    /// run's inputs inside it moved into the new one, the new one renamed into place, the
    /// old one removed.
    fn swap(&self) -> Result<(), StudyError> {
        if !self.out.exists() {
            return std::fs::rename(&self.staging, &self.out).map_err(io(&self.out));
        }
        let old = self.staging.with_file_name(
            self.staging
                .file_name()
                .map(|n| n.to_string_lossy().replace(".partial-", ".old-"))
                .unwrap_or_default(),
        );
        std::fs::rename(&self.out, &old).map_err(io(&self.out))?;
        for (name, _) in &self.carried {
            let (from, to) = (old.join(name), self.staging.join(name));
            if let Some(dir) = to.parent() {
                std::fs::create_dir_all(dir).map_err(io(dir))?;
            }
            std::fs::rename(&from, &to).map_err(io(&from))?;
        }
        std::fs::rename(&self.staging, &self.out).map_err(io(&self.out))?;
        std::fs::remove_dir_all(&old).map_err(io(&old))
    }
}

impl Drop for OutputDir {
    /// A run that stops before [`OutputDir::finish`] leaves no staging folder behind
    /// (after it, the staging folder is `--out`, and nothing is removed).
    fn drop(&mut self) {
        if self.staging.exists() {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}
