//! What goes wrong with simulation parameters.

/// A parameter file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    /// Unreadable file.
    #[error("cannot read simulation parameters {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not valid TOML for these parameters.
    #[error("simulation parameters {path}: {message}")]
    Parse {
        /// The file.
        path: std::path::PathBuf,
        /// What the parser said (names the key).
        message: String,
    },
    /// A value out of range.
    #[error("simulation parameter {name} = {value}: {expected}")]
    Invalid {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it must be.
        expected: &'static str,
    },
}
