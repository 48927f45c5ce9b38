//! The output folder: [`OutputDir`] owns every file a run writes there, in order, and
//! finishes the folder with the report page and the manifest that lists them all.

use crate::error::StudyError;
use crate::manifest::{Laps, ToolInfo};
use crate::settings::Settings;
use cumin_census::Extract;
use cumin_report::ReportError;
use cumin_report::html::ReportInput;
use std::path::{Path, PathBuf};

/// A run's output folder and the files written to it so far.
#[derive(Debug)]
pub struct OutputDir {
    root: PathBuf,
    files: Vec<PathBuf>,
}

/// What a finished folder holds.
#[derive(Clone, Debug)]
pub struct Written {
    /// The folder.
    pub root: PathBuf,
    /// Files written, in order, the manifest last.
    pub files: Vec<PathBuf>,
    /// Rows read, used, quarantined and excluded over all input files.
    pub rows: [u64; 4],
}

impl OutputDir {
    /// Creates the folder (and its parents).
    pub fn create(root: &Path) -> Result<OutputDir, StudyError> {
        std::fs::create_dir_all(root).map_err(|source| ReportError::Io {
            path: root.to_owned(),
            source,
        })?;
        Ok(OutputDir {
            root: root.to_owned(),
            files: Vec::new(),
        })
    }

    /// Writes file `name` with `write`, which is given its path.
    pub fn write(
        &mut self,
        name: &str,
        write: impl FnOnce(&Path) -> Result<(), ReportError>,
    ) -> Result<(), StudyError> {
        let path = self.root.join(name);
        self.files.push(path.clone());
        write(&path)?;
        Ok(())
    }

    /// The ledger and the quarantined rows of `extract`.
    pub fn write_ledger(&mut self, extract: &Extract) -> Result<(), StudyError> {
        let ledger = &extract.ledger;
        self.write("ledger.csv", |p| {
            cumin_report::write::write_ledger_csv(p, ledger)
        })?;
        self.write("quarantine.csv", |p| {
            cumin_report::write::write_quarantine_csv(p, ledger)
        })
    }

    /// Finishes the folder: the report page (with the ledger of `extract`), then the
    /// manifest listing every file; returns what was written and the ledger's totals.
    pub fn finish(
        mut self,
        mut report: ReportInput<'_>,
        tool: &ToolInfo,
        settings: &Settings,
        extract: &Extract,
        mut laps: Laps,
    ) -> Result<Written, StudyError> {
        report.ledger = extract
            .ledger
            .lines()
            .map(|(f, e, n)| (f.to_owned(), e.to_string(), n))
            .collect();
        self.files
            .extend(cumin_report::html::write_report(&self.root, &report)?);
        laps.lap("write");
        let manifest = crate::manifest::build(tool, settings, extract, &self.files, &laps)?;
        let path = self.root.join("manifest.json");
        cumin_report::write::write_json(&path, &manifest)?;
        self.files.push(path);
        Ok(Written {
            root: self.root,
            files: self.files,
            rows: crate::ledger::totals(extract),
        })
    }
}
