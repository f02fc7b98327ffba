//! Typed errors of the library. Every variant that comes from a file names the file and,
//! where it applies, the line and the field, so the CLI can print one helpful line.

use std::path::PathBuf;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error on a named file.
    #[error("{path}: {error}")]
    Io {
        /// The file being read or written.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// A malformed row or field in a data file.
    #[error("{path}:{line}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was wrong and what was expected.
        message: String,
    },
    /// A data file that cannot be used as a whole (empty, no usable columns, ...).
    #[error("{path}: {message}")]
    Data {
        /// The file or directory.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// A schema that does not describe the data or is inconsistent.
    #[error("schema {path}: {message}")]
    Schema {
        /// The schema file (or `<inline>`).
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// A model directory that cannot be loaded (missing, truncated, other version, bad shapes).
    #[error("model {path}: {message}")]
    Checkpoint {
        /// The model directory or file inside it.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// An invalid hyper-parameter or option.
    #[error("invalid parameter: {0}")]
    Param(String),
    /// A key or title that is not in the model.
    #[error("{0}")]
    NotFound(String),
    /// Training produced a non-finite loss or parameter; nothing was saved.
    #[error("{algo} diverged in epoch {epoch} ({what} is not finite); {hint}")]
    Diverged {
        /// The trainer.
        algo: String,
        /// 1-based epoch in which the divergence was seen.
        epoch: usize,
        /// What was non-finite (the loss, a table).
        what: String,
        /// What to change (e.g. a lower learning rate).
        hint: String,
    },
}

impl Error {
    /// Shorthand for an I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error: source,
        }
    }
    /// Shorthand for a parse error at `path:line`.
    pub fn parse(path: impl Into<PathBuf>, line: usize, message: impl Into<String>) -> Self {
        Error::Parse {
            path: path.into(),
            line,
            message: message.into(),
        }
    }
    /// Shorthand for a whole-file data error.
    pub fn data(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Data {
            path: path.into(),
            message: message.into(),
        }
    }
    /// Shorthand for a checkpoint error.
    pub fn checkpoint(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Checkpoint {
            path: path.into(),
            message: message.into(),
        }
    }
    /// Shorthand for a schema error.
    pub fn schema(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Schema {
            path: path.into(),
            message: message.into(),
        }
    }
}
