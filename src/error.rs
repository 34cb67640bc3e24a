//! The library's one error type.
//!
//! Every variant names what went wrong and where (file, key, parameter), so that a command can
//! report it without a backtrace. The CLI wraps these in `anyhow` with more context.

use std::path::PathBuf;

/// Errors raised by the library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file's bytes do not have the expected format.
    #[error("bad format in {path}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A parameter is out of its allowed range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParam {
        /// Parameter name as the user wrote it.
        name: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// Arrays whose shapes do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// An experiment specification is invalid.
    #[error("bad spec {file}, key `{key}`: {reason}")]
    Spec {
        /// The spec file.
        file: PathBuf,
        /// The offending key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A numeric procedure diverged.
    #[error("diverged at step {step}: {reason}")]
    Diverged {
        /// Step (iteration) at which it was detected.
        step: usize,
        /// What diverged.
        reason: String,
    },
    /// A data set is not on disk.
    #[error("missing data set `{name}`: {hint}")]
    MissingData {
        /// Data set name.
        name: String,
        /// How to get it.
        hint: String,
    },
    /// A result an experiment requires of its own runs (e.g. every model at 100 % clean test
    /// accuracy) did not hold.
    #[error("requirement not met: {what}: {detail}")]
    Unmet {
        /// The requirement.
        what: String,
        /// Which runs miss it, by how much.
        detail: String,
    },
    /// An interrupt (Ctrl-C / SIGTERM) stopped a long phase before it finished; nothing of the
    /// phase was kept as a result.
    #[error("interrupted during {what}")]
    Interrupted {
        /// The phase and how far it got.
        what: String,
    },
    /// A download failed or delivered the wrong bytes.
    #[error("download of {url} failed: {reason}")]
    Download {
        /// The URL.
        url: String,
        /// What went wrong (HTTP status, truncation, md5 mismatch, …).
        reason: String,
    },
}

/// Result with the library's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The allowed range `[lo, hi]` in words for an error message: an unbounded side (±f64::MAX or
/// infinite) is left out instead of printed as a 309-digit number, and the smallest positive float
/// reads as "> 0".
pub fn allowed_range(lo: f64, hi: f64) -> String {
    let unbounded_hi = hi >= f64::MAX;
    let lower = if lo == f64::MIN_POSITIVE { "> 0".to_string() } else if lo <= -f64::MAX { String::new() } else { format!(">= {lo}") };
    match (lower.is_empty(), unbounded_hi) {
        (true, true) => "finite".into(),
        (false, true) => format!("finite and {lower}"),
        (true, false) => format!("<= {hi}"),
        (false, false) if lo == f64::MIN_POSITIVE => format!("in (0, {hi}]"),
        (false, false) => format!("in [{lo}, {hi}]"),
    }
}

impl Error {
    /// Shorthand for [`Error::InvalidParam`].
    pub fn param(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidParam { name: name.into(), reason: reason.into() }
    }
}
