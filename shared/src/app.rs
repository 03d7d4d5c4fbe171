//! The application: the ports every handler reaches through, wired once per cold start.

use std::path::PathBuf;
use std::sync::Arc;

use time::Duration;

use crate::ports::store::{CustomerStore, OpportunityStore, SkillStore};
use crate::ports::{Clock, IdSource, SystemClock, UuidV7Ids};
use crate::sql::rdsdata::{DataApiExecutor, DataApiTarget};
use crate::sql::sqlite::SqliteExecutor;
use crate::sql::{DbError, SqlExecutor, migrations};
use crate::store::SqlStore;

/// How long an idempotency record is kept.
pub const IDEMPOTENCY_TTL: Duration = Duration::hours(24);

/// The ports, as the handlers see them.
#[derive(Clone)]
pub struct App {
    /// Opportunities with their history.
    pub opportunities: Arc<dyn OpportunityStore>,
    /// Customers.
    pub customers: Arc<dyn CustomerStore>,
    /// The skills catalog.
    pub skills: Arc<dyn SkillStore>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// New ids.
    pub ids: Arc<dyn IdSource>,
}

impl App {
    /// Every store port over one SQL database, with the system clock and UUID v7 ids.
    pub fn over_sql(executor: Arc<dyn SqlExecutor>) -> App {
        let store = Arc::new(SqlStore::new(executor));
        App {
            opportunities: store.clone(),
            customers: store.clone(),
            skills: store,
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7Ids),
        }
    }

    /// Builds the application from the environment (see [`DatabaseConfig::from_env`]).
    pub async fn from_env() -> Result<App, ConfigError> {
        let executor = DatabaseConfig::from_env()?.connect().await?;
        Ok(App::over_sql(executor))
    }
}

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

/// Which database the process uses.
#[derive(Debug, Clone)]
pub enum DatabaseConfig {
    /// Aurora PostgreSQL through the RDS Data API (production).
    DataApi(DataApiTarget),
    /// The embedded SQLite file (local default); migrated on open.
    Sqlite(PathBuf),
    /// A PostgreSQL server reached directly (tests, local runs against PostgreSQL); migrated on open.
    Postgres(String),
}

/// The default embedded database file.
pub const DEFAULT_SQLITE_PATH: &str = ".oms-data/oms.sqlite3";

impl DatabaseConfig {
    /// Reads `OMS_DATABASE`: `data-api` (with `OMS_DB_CLUSTER_ARN`, `OMS_DB_SECRET_ARN`,
    /// `OMS_DB_NAME`), `sqlite:<path>` or `postgres://...`. Unset means `data-api` when
    /// `OMS_DB_CLUSTER_ARN` is set, else the embedded file at [`DEFAULT_SQLITE_PATH`].
    pub fn from_env() -> Result<DatabaseConfig, ConfigError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let choice = var("OMS_DATABASE").unwrap_or_else(|| {
            if var("OMS_DB_CLUSTER_ARN").is_some() {
                "data-api".into()
            } else {
                format!("sqlite:{DEFAULT_SQLITE_PATH}")
            }
        });
        if choice == "data-api" {
            let required = |name: &str| {
                var(name).ok_or_else(|| {
                    ConfigError::Invalid(format!("{name} is required with OMS_DATABASE=data-api"))
                })
            };
            return Ok(DatabaseConfig::DataApi(DataApiTarget {
                cluster_arn: required("OMS_DB_CLUSTER_ARN")?,
                secret_arn: required("OMS_DB_SECRET_ARN")?,
                database: var("OMS_DB_NAME").unwrap_or_else(|| "opportunities".into()),
            }));
        }
        if let Some(path) = choice.strip_prefix("sqlite:") {
            return Ok(DatabaseConfig::Sqlite(PathBuf::from(path)));
        }
        if choice.starts_with("postgres://") || choice.starts_with("postgresql://") {
            return Ok(DatabaseConfig::Postgres(choice));
        }
        Err(ConfigError::Invalid(format!(
            "OMS_DATABASE must be data-api, sqlite:<path> or postgres://... (got {choice:?})"
        )))
    }

    /// Opens the database. The Data API client is built here, once; no network call is made
    /// until the first statement.
    pub async fn connect(&self) -> Result<Arc<dyn SqlExecutor>, ConfigError> {
        match self {
            DatabaseConfig::DataApi(target) => {
                let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
                let client = aws_sdk_rdsdata::Client::new(&config);
                Ok(Arc::new(DataApiExecutor::new(client, target.clone())))
            }
            DatabaseConfig::Sqlite(path) => {
                let executor = SqliteExecutor::open(path)?;
                migrations::migrate(&executor).await?;
                Ok(Arc::new(executor))
            }
            #[cfg(feature = "postgres")]
            DatabaseConfig::Postgres(url) => {
                let executor = crate::sql::postgres::PostgresExecutor::new(url, 16);
                migrations::migrate(&executor).await?;
                Ok(Arc::new(executor))
            }
            #[cfg(not(feature = "postgres"))]
            DatabaseConfig::Postgres(_) => Err(ConfigError::Invalid(
                "this binary was built without PostgreSQL support; use data-api or sqlite:".into(),
            )),
        }
    }
}
