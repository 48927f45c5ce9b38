//! `manifest.json`: what ran, on what, producing what, and how long each stage took.

use crate::config::StudyConfig;
use crate::error::StudyError;
use crate::settings::Settings;
use cumin_census::Extract;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

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

/// Seconds per stage of a run (the only part of a run that differs between reruns).
#[derive(Debug)]
pub struct Laps {
    clock: Instant,
    seconds: BTreeMap<&'static str, f64>,
}

impl Laps {
    /// Starts the clock.
    pub fn start() -> Laps {
        Laps {
            clock: Instant::now(),
            seconds: BTreeMap::new(),
        }
    }

    /// Records the time since the last lap as stage `name`.
    pub fn lap(&mut self, name: &'static str) {
        self.seconds
            .insert(name, self.clock.elapsed().as_secs_f64());
        self.clock = Instant::now();
    }
}

/// The manifest document.
#[derive(Clone, Debug, Serialize)]
pub struct Manifest {
    /// Tool name.
    pub tool: &'static str,
    /// Version, commit and subcommand.
    pub build: ToolInfo,
    /// The study configuration as run.
    pub config: StudyConfig,
    /// Episode files read.
    pub inputs: Vec<InputFile>,
    /// Denominators file.
    pub denominators: FileHash,
    /// Last day of data (end of the last census year).
    pub data_end: String,
    /// The census years used, and why.
    pub census_years: cumin_census::CensusYearsUsed,
    /// Seed for anything random.
    pub seed: u64,
    /// Disclosure control applied to every released table (per file: `sdc.json`).
    pub sdc: Sdc,
    /// Seconds per stage (the only part of a run that differs between reruns).
    pub timings_seconds: BTreeMap<&'static str, f64>,
    /// Files written, with hashes.
    pub files: Vec<OutputFile>,
    /// The LSOA → IDACI decile lookup, if one was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lsoa_lookup: Option<FileHash>,
}

/// An episode file read.
#[derive(Clone, Debug, Serialize)]
pub struct InputFile {
    /// Path as given.
    pub path: PathBuf,
    /// CSV or Parquet.
    pub format: cumin_census::Format,
    /// Data rows.
    pub rows: u64,
    /// BLAKE3 hash of the file.
    pub blake3: String,
    /// Headers ignored.
    pub unknown_columns: Vec<String>,
}

/// A file and its hash.
#[derive(Clone, Debug, Serialize)]
pub struct FileHash {
    /// Path.
    pub path: PathBuf,
    /// BLAKE3 hash.
    pub blake3: String,
}

/// The disclosure-control profile.
#[derive(Clone, Debug, Serialize)]
pub struct Sdc {
    /// Profile name.
    pub profile: &'static str,
    /// What it does.
    pub description: &'static str,
    /// Whether the folder holds anything for release (`false` under `none`).
    pub for_release: bool,
}

/// A file written.
#[derive(Clone, Debug, Serialize)]
pub struct OutputFile {
    /// Path within the output folder (`/`-separated).
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// BLAKE3 hash.
    pub blake3: String,
    /// Whether the file may leave the TRE after output checking.
    pub release: &'static str,
}

/// Builds the manifest of a run of `settings` on `extract` whose folder holds `files`:
/// (name inside the folder, where it is now, release status).
pub fn build(
    tool: &ToolInfo,
    settings: &Settings,
    extract: &Extract,
    files: &[(String, PathBuf, &'static str)],
    laps: &Laps,
) -> Result<Manifest, StudyError> {
    let config = &settings.config;
    let denominators: &Path = &settings.denominators;
    let inputs = extract
        .files
        .iter()
        .map(|f| {
            Ok(InputFile {
                path: f.path.clone(),
                format: f.format,
                rows: f.rows,
                blake3: cumin_report::hash_file(&f.path)?,
                unknown_columns: f.unknown_columns.clone(),
            })
        })
        .collect::<Result<Vec<_>, StudyError>>()?;
    let outputs = files
        .iter()
        .map(|(name, p, release)| {
            Ok(OutputFile {
                bytes: std::fs::metadata(p).map_or(0, |m| m.len()),
                blake3: cumin_report::hash_file(p)?,
                release,
                name: name.clone(),
            })
        })
        .collect::<Result<Vec<_>, StudyError>>()?;
    Ok(Manifest {
        tool: "cumin",
        build: tool.clone(),
        config: config.clone(),
        inputs,
        denominators: FileHash {
            path: denominators.to_owned(),
            blake3: cumin_report::hash_file(denominators)?,
        },
        data_end: extract.data_end.to_string(),
        census_years: extract.census_years.clone(),
        seed: config.seed,
        sdc: Sdc {
            profile: config.sdc.as_str(),
            description: config.sdc.description(),
            for_release: config.sdc.controls(),
        },
        timings_seconds: laps.seconds.clone(),
        files: outputs,
        lsoa_lookup: match &config.lsoa_lookup {
            Some(p) => Some(FileHash {
                path: p.clone(),
                blake3: cumin_report::hash_file(p)?,
            }),
            None => None,
        },
    })
}
