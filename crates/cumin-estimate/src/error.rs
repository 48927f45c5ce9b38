//! Why estimates could not be made: bad denominators, or a design the data cannot give.

use crate::strata::{Stratification, Stratum};
use cumin_census::Outcome;
use std::path::PathBuf;

/// Why an estimate could not be made. Each message names the file, row and column where
/// it can.
#[derive(Debug, thiserror::Error)]
pub enum EstimateError {
    /// A bad value in the denominators file.
    #[error("{path}, row {row}, column {column}: {found:?} is not {expected}")]
    DenominatorValue {
        /// The file.
        path: PathBuf,
        /// Data row, 1-based.
        row: usize,
        /// The column.
        column: String,
        /// The value found.
        found: String,
        /// What it should be.
        expected: std::borrow::Cow<'static, str>,
    },
    /// A column the denominators need is missing.
    #[error("{path}: the denominators have no {column} column ({why}); the file has: {found}")]
    DenominatorColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// Why it is needed.
        why: String,
        /// Headers found.
        found: String,
    },
    /// Two rows of the denominators give the same cell.
    #[error(
        "{path}: rows {first} and {second} both give the population of {cell}: each cohort × \
         age × stratum must appear once (the rows would be summed, dividing every rate); \
         remove the repeated row"
    )]
    DenominatorDuplicate {
        /// The file.
        path: PathBuf,
        /// The first row, 1-based.
        first: usize,
        /// The row repeating it.
        second: usize,
        /// The cell, as `birth_year 2005, age 3, sex male`.
        cell: String,
    },
    /// A cell of the denominators the estimators cannot use.
    #[error("{path}: {cell}: {problem}")]
    DenominatorCell {
        /// The file.
        path: PathBuf,
        /// The cell: cohort, age and stratum.
        cell: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The window, the data and the denominators leave no cell to estimate.
    #[error("{0}")]
    NothingToEstimate(String),
    /// Events fall in a stratum the denominators do not have.
    #[error(
        "{path}: the denominators have no population for {by} = {stratum}, but {events} {outcome} event years fall in it; add rows for it (or drop --by {by})"
    )]
    StratumWithoutPopulation {
        /// The denominators file.
        path: PathBuf,
        /// The stratification.
        by: Stratification,
        /// The stratum missing.
        stratum: Stratum,
        /// Outcome of the events.
        outcome: Outcome,
        /// How many event years fall in it.
        events: u64,
    },
    /// A fixed design (the `jay2025` splice) takes a cell the window, the data or the
    /// denominators cannot give.
    #[error("study configuration: {0}")]
    Design(String),
}
