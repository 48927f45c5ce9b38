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
    /// An outcome to estimate whose event date is empty in every row of every file.
    #[error(
        "outcome {outcome}: {columns} empty in every one of the {rows} rows read, in every \
         file ({}): read as it is, no child would ever have the event, and the outcome would \
         be estimated as none. Check the column mapping in the study config or the extract, \
         or name the outcomes the extract can give with --outcome (e.g. --outcome {rest})",
        files.join(", ")
    )]
    OutcomeWithoutEvents {
        /// The outcome.
        outcome: &'static str,
        /// Its event date columns, as a phrase (`CPPstartDate`).
        columns: &'static str,
        /// Rows read.
        rows: u64,
        /// The files read.
        files: Vec<String>,
        /// The other outcomes of the run, comma-separated.
        rest: String,
    },
    /// No row of the extract has a PMR, and the identifier mode counts children by it.
    #[error(
        "no row of the extract has a PupilMatchingRefAnonymous (the {rows} rows read), and \
         --id-mode {mode} identifies children by PMR: {lost} would be left out and the \
         estimates would be wrong, not merely noisier. Check the column mapping in the \
         study config or the extract, or run with --id-mode combined or la-only, which link \
         by LA child ID"
    )]
    NoPmrForMode {
        /// The identifier mode.
        mode: cumin_link::IdMode,
        /// Who would be left out, in words.
        lost: &'static str,
        /// Rows read.
        rows: u64,
    },
    /// A file whose every row was quarantined.
    #[error(
        "{file}: none of its {rows} data rows can be used, every one was quarantined \
         ({reasons}{first}); check the file (a line-end or delimiter problem, such as a \
         comma after the last field of every data line but not of the header) and run \
         again (cumin validate --episodes FILE --out DIR lists every row)"
    )]
    NoUsableRow {
        /// The file.
        file: String,
        /// Data rows read.
        rows: u64,
        /// The quarantine reasons with their rows, most frequent first.
        reasons: String,
        /// The first structural problem, with its row (`; the first, row 1: ...`).
        first: String,
    },
    /// The extract begins after the study window.
    #[error(
        "the extract's first census year is {first}, which begins {first_start}, after the \
         study window's start {window_start}: a referral before {first_start} is seen only \
         while its episode is still open, so first referrals would be missed and every \
         estimate biased. Give the earlier census years (from 2008/09), or start the window \
         no earlier than the data allow (--window-start, or window_start in the study file, \
         on or after {first_start})"
    )]
    WindowBeforeData {
        /// The first census year with rows.
        first: String,
        /// Its first day.
        first_start: String,
        /// The study window's first day.
        window_start: String,
    },
    /// The reader's stop on LA child IDs it cannot read (the column empty, of the null
    /// type, wrong or nested in every row of a file), with the run's identifier mode:
    /// the stop holds under every mode, `pmr-only` too (docs/input-contract.md).
    #[error(
        "{source}. The stop holds under every identifier mode, the run's {mode} too: each \
         reads LAchildID_Anon (the conflict policies read the LA keys, linkage.csv reports \
         every mode and --sensitivity estimates them)"
    )]
    LaChildIdUnreadable {
        /// The identifier mode, as the user gave it (`--id-mode pmr-only`, or a preset's).
        mode: String,
        /// The reader's error.
        source: Box<cumin_census::CensusError>,
    },
    /// The ledger did not balance: a bug in cumin.
    #[error("internal error, please report it: {0}")]
    Ledger(#[from] cumin_census::ledger::LedgerImbalance),
}
