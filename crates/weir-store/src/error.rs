//! The store's one error type. Each variant says whose fault it is, so callers
//! can map it without string matching: `Invalid` is the user's configuration,
//! `NotFound`/`AlreadyExists`/`VersionMismatch` are the caller's view of the
//! store being wrong or stale, `Conflict` is a busy store worth retrying,
//! `UnsupportedUrl`/`CreateDir` are
//! the operator's setup, and `Database`/`Migrate`/`Corrupt`/`Encode` are the
//! database or the data in it.

use std::path::PathBuf;

use weir_core::ValidationErrors;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The configuration that would result is not valid; nothing was written.
    #[error("{0}")]
    Invalid(ValidationErrors),

    /// The named thing (a resource, a revision, a user, a token) does not exist.
    #[error("{0} not found")]
    NotFound(String),

    /// A create found the name already taken.
    #[error("{0} already exists")]
    AlreadyExists(String),

    /// An update or delete was based on a version that is no longer current:
    /// someone else changed the resource since it was read. Nothing was
    /// written. `current` is the version now stored.
    #[error(
        "{what} was changed by someone else (now at version {current}); reload it and try again"
    )]
    VersionMismatch { what: String, current: i64 },

    /// A bound was reached (e.g. a service's `registration.max_instances`);
    /// nothing was written.
    #[error("{0}")]
    LimitReached(String),

    /// Other writers kept changing the configuration while this one was being
    /// applied; nothing was written.
    #[error(
        "the configuration kept being changed by someone else while applying; nothing was written, try again"
    )]
    Conflict,

    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),

    #[error("could not prepare the database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    /// A stored row no longer reads as the model (edited by hand, or written by
    /// an incompatible version).
    #[error("stored {kind} {name:?} is unreadable: {message}")]
    Corrupt {
        kind: String,
        name: String,
        message: String,
    },

    /// Holds only the scheme: the URL itself may carry a password.
    #[error(
        "unsupported store URL scheme {0:?}: expected sqlite://PATH, postgres://... or mysql://..."
    )]
    UnsupportedUrl(String),

    /// Opening the store failed; the cause's text with the URL's password
    /// scrubbed out (the database echoed it).
    #[error("cannot open the store: {0}")]
    Open(String),

    #[error("could not create the directory {path} for the SQLite database: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },

    /// A value could not be written as JSON (a bug in the model, not user input).
    #[error("could not encode a resource as JSON: {0}")]
    Encode(#[from] serde_json::Error),
}

impl StoreError {
    pub(crate) fn corrupt(kind: &str, name: &str, message: impl ToString) -> Self {
        StoreError::Corrupt {
            kind: kind.to_owned(),
            name: name.to_owned(),
            message: message.to_string(),
        }
    }
}
