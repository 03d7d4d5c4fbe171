//! Configuration shared by the layers: the environment reader, the configuration error, and the
//! settings more than one layer uses. It depends on nothing of the crate but the SQL error it
//! wraps, so that adapters and the SDK configuration read it without reaching into `app`.

use time::Duration;

use crate::sql::DbError;

/// How long an idempotency record is kept.
pub const IDEMPOTENCY_TTL: Duration = Duration::hours(24);

/// Why the application could not be configured.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is missing or malformed.
    #[error("configuration: {0}")]
    Invalid(String),
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// An environment variable's value; unset and empty are the same (a template may render either).
pub(crate) fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}
