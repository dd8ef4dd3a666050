//! One error type for the library, split by audience: what the user did wrong (bad input,
//! unknown id, no permission) and what went wrong inside (I/O, index). The CLI maps it to an
//! exit code and the server to an HTTP status, each in one place.

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request or query cannot be answered as given; `code` is a stable machine name.
    #[error("{message}")]
    BadInput { code: &'static str, message: String },
    #[error("no document with id {0:?}")]
    NotFound(String),
    #[error(
        "the index is being written by another process (its writer lock is held); try again when that run ends"
    )]
    Locked,
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        Error::BadInput {
            code,
            message: message.into(),
        }
    }

    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// True when the caller, not the engine, is at fault.
    pub fn is_user_error(&self) -> bool {
        matches!(self, Error::BadInput { .. } | Error::NotFound(_))
    }
}

impl From<tantivy::directory::error::OpenReadError> for Error {
    fn from(e: tantivy::directory::error::OpenReadError) -> Self {
        Error::Index(e.into())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Internal(format!("i/o: {e}"))
    }
}
