//! The application: the ports every handler reaches through, wired once per cold start.

use std::path::PathBuf;
use std::sync::Arc;

use time::Duration;

use crate::adapters::dynamodb_cache::DynamoDbCache;
use crate::adapters::sqs::{LoggedDeadLetters, SqsDeadLetters, SqsPublisher};
use crate::ports::cache::{Cache, NoCache};
use crate::ports::events::{DeadLetters, EventPublisher, OutboxOnly};
use crate::ports::store::{CustomerStore, OpportunityStore, OutboxStore, SkillStore};
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
    /// The versioned cache (cache-aside reads, write-through updates).
    pub cache: Arc<dyn Cache>,
    /// Where committed change events go.
    pub publisher: Arc<dyn EventPublisher>,
    /// The transactional outbox.
    pub outbox: Arc<dyn OutboxStore>,
    /// Where unprocessable consumed messages are parked.
    pub dead_letters: Arc<dyn DeadLetters>,
    /// Idempotency records outside the database (DynamoDB); `None` keeps them in the creation's
    /// own transaction.
    pub idempotency: Option<Arc<dyn crate::ports::idempotency::IdempotencyStore>>,
    /// Attachment records.
    pub attachments: Arc<dyn crate::ports::store::AttachmentStore>,
    /// Where attachment bytes live (S3 in AWS, a folder locally).
    pub objects: Arc<dyn crate::ports::objects::ObjectStore>,
}

impl App {
    /// Every store port over one SQL database, with the system clock and UUID v7 ids.
    pub fn over_sql(executor: Arc<dyn SqlExecutor>) -> App {
        let store = Arc::new(SqlStore::new(executor));
        App {
            opportunities: store.clone(),
            customers: store.clone(),
            skills: store.clone(),
            outbox: store.clone(),
            attachments: store,
            objects: Arc::new(crate::adapters::local_objects::NoObjectStore),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7Ids),
            cache: Arc::new(NoCache),
            publisher: Arc::new(OutboxOnly),
            dead_letters: Arc::new(LoggedDeadLetters),
            idempotency: None,
        }
    }

    /// Builds the application from the environment: the database ([`DatabaseConfig::from_env`]),
    /// the DynamoDB cache (`OMS_CACHE_TABLE`; or `OMS_CACHE=memory` for a process-local one outside
    /// AWS), the idempotency records (`OMS_IDEMPOTENCY_TABLE`), the attachments bucket
    /// (`OMS_ATTACHMENTS_BUCKET`, `OMS_ATTACHMENTS_KMS_KEY_ID`), the change-event queue
    /// (`OMS_CHANGE_EVENTS_QUEUE_URL`) and the dead-letter queue (`OMS_DEAD_LETTER_QUEUE_URL`).
    /// AWS clients are built here, once per cold start; none of them calls the network until used.
    pub async fn from_env() -> Result<App, ConfigError> {
        let database = DatabaseConfig::from_env()?;
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let bucket = var("OMS_ATTACHMENTS_BUCKET");
        let (cache_table, queue_url, dead_letter_url, idempotency_table) = (
            var("OMS_CACHE_TABLE"),
            var("OMS_CHANGE_EVENTS_QUEUE_URL"),
            var("OMS_DEAD_LETTER_QUEUE_URL"),
            var("OMS_IDEMPOTENCY_TABLE"),
        );
        let needs_aws = matches!(database, DatabaseConfig::DataApi(_))
            || idempotency_table.is_some()
            || bucket.is_some()
            || cache_table.is_some()
            || queue_url.is_some()
            || dead_letter_url.is_some();
        let aws = if needs_aws {
            Some(aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await)
        } else {
            None
        };
        let executor = database.connect_with(aws.as_ref()).await?;
        let mut app = App::over_sql(executor);
        if let (Some(table), Some(aws)) = (cache_table, aws.as_ref()) {
            app.cache = Arc::new(DynamoDbCache::new(aws_sdk_dynamodb::Client::new(aws), table));
        } else if var("OMS_CACHE").as_deref() == Some("memory") {
            // Outside AWS: a cache private to this process (the local server uses the same one).
            app.cache = Arc::new(crate::adapters::memory_cache::MemoryCache::new());
        }
        if let (Some(url), Some(aws)) = (queue_url, aws.as_ref()) {
            app.publisher = Arc::new(SqsPublisher::new(aws_sdk_sqs::Client::new(aws), url));
        }
        if let (Some(table), Some(aws)) = (idempotency_table, aws.as_ref()) {
            let client = aws_sdk_dynamodb::Client::new(aws);
            app.idempotency = Some(Arc::new(
                crate::adapters::dynamodb_idempotency::DynamoDbIdempotency::new(client, table),
            ));
        }
        if let (Some(bucket), Some(aws)) = (bucket, aws.as_ref()) {
            let client = aws_sdk_s3::Client::new(aws);
            let store =
                crate::adapters::s3_objects::S3ObjectStore::new(&client, bucket, var("OMS_ATTACHMENTS_KMS_KEY_ID"));
            app.objects = Arc::new(store);
        }
        if let (Some(url), Some(aws)) = (dead_letter_url, aws.as_ref()) {
            app.dead_letters = Arc::new(SqsDeadLetters::new(aws_sdk_sqs::Client::new(aws), url));
        }
        Ok(app)
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
                var(name).ok_or_else(|| ConfigError::Invalid(format!("{name} is required with OMS_DATABASE=data-api")))
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
        self.connect_with(None).await
    }

    /// Opens the database with an already loaded AWS configuration (for the Data API).
    pub async fn connect_with(&self, aws: Option<&aws_config::SdkConfig>) -> Result<Arc<dyn SqlExecutor>, ConfigError> {
        match self {
            DatabaseConfig::DataApi(target) => {
                let client = match aws {
                    Some(config) => aws_sdk_rdsdata::Client::new(config),
                    None => aws_sdk_rdsdata::Client::new(
                        &aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await,
                    ),
                };
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
