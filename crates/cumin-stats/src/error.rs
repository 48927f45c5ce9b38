//! The one error type of `cumin-stats`.

/// Input that an estimator cannot use. Findings about data are results, not errors;
/// these are inputs with no meaning, such as a follow-up time that is not a number.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StatsError {
    /// A follow-up time is NaN or infinite.
    #[error("observation {index}: follow-up time {time} is not a finite number")]
    NonFiniteTime {
        /// Position of the observation in the input.
        index: usize,
        /// The time found.
        time: f64,
    },
}
