//! Errors that stop a study before or while it runs.

use std::path::PathBuf;

/// Why a study could not run. Each message names the file, row and column where it can.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// Reading the episode files or the denominators failed.
    #[error(transparent)]
    Census(#[from] cumin_census::CensusError),
    /// Bad denominators, or a design the data cannot give.
    #[error(transparent)]
    Estimate(#[from] cumin_estimate::EstimateError),
    /// Writing outputs failed.
    #[error(transparent)]
    Report(#[from] cumin_report::ReportError),
    /// The output folder cannot be used.
    #[error("{0}")]
    Output(String),
    /// A configuration problem.
    #[error("study configuration: {0}")]
    Config(String),
    /// The study configuration file could not be read.
    #[error("cannot read study configuration {path}: {message}")]
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// An input file named in the settings is not there.
    #[error("the {what} file {path} does not exist (or is not a file)")]
    MissingInput {
        /// Which input.
        what: &'static str,
        /// The path given.
        path: PathBuf,
    },
    /// Something that is not a folder stands where the output folder should be.
    #[error("cannot write outputs to {out}: {file} is a file, not a folder; give a folder")]
    OutputNotFolder {
        /// The output folder asked for.
        out: PathBuf,
        /// The file in the way (the folder itself or an ancestor).
        file: PathBuf,
    },
    /// The output folder cannot be created or written (checked before any work).
    #[error("cannot write outputs to {out}")]
    OutputNotWritable {
        /// The output folder asked for.
        out: PathBuf,
        /// What the operating system said (shown once, after the message).
        source: std::io::Error,
    },
    /// The ledger did not balance: a bug in cumin.
    #[error("internal error, please report it: {0}")]
    Ledger(#[from] cumin_census::ledger::LedgerImbalance),
}
