//! The application: the ports every handler reaches through, wired once per cold start.

use std::path::PathBuf;
use std::sync::Arc;

use crate::ports::cache::{Cache, NoCache};
use crate::ports::events::{DeadLetters, EventPublisher, LoggedDeadLetters, OutboxOnly};
use crate::ports::store::{CustomerStore, OpportunityStore, OutboxStore, SkillStore};
use crate::ports::{Clock, IdSource, SystemClock, UuidV7Ids};
use crate::sql::rdsdata::{DataApiExecutor, DataApiTarget};
use crate::sql::sqlite::SqliteExecutor;
use crate::sql::{SqlExecutor, migrations};
use crate::store::SqlStore;

pub(crate) use crate::config::env_var;
pub use crate::config::{ConfigError, IDEMPOTENCY_TTL};

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
    /// Attachment records.
    pub attachments: Arc<dyn crate::ports::store::AttachmentStore>,
    /// Where attachment bytes live (S3 in AWS, a folder locally).
    pub objects: Arc<dyn crate::ports::objects::ObjectStore>,
    /// The app clients and token kinds the API accepts (`OMS_COGNITO_APP_CLIENT_IDS`,
    /// `OMS_COGNITO_TOKEN_USES`).
    pub clients: crate::auth::ClientPolicy,
    /// The CORS headers of every response (`OMS_ALLOWED_ORIGIN`).
    pub cors: crate::http::cors::Cors,
    /// The per-user request limit every authenticated route applies after authentication
    /// (`OMS_REQUESTS_PER_MINUTE`; counted in `OMS_REQUEST_COUNTER_TABLE` in AWS, in memory by the
    /// local server; unlimited when neither is configured).
    pub limit: crate::ports::limits::RequestLimit,
    /// The user directory.
    pub directory: Arc<dyn crate::ports::privacy::UserDirectory>,
    /// GDPR access and erasure, and their audit log.
    pub privacy: Arc<dyn crate::ports::privacy::PrivacyStore>,
    /// The key erased ids' pseudonyms are computed with (`OMS_PSEUDONYM_KEY`); without it
    /// erasures are refused.
    pub pseudonyms: Option<crate::domain::privacy::PseudonymKey>,
    /// Where large exports are handed over (the exports bucket, `OMS_EXPORTS_BUCKET`).
    pub exports: Arc<dyn crate::ports::objects::ObjectStore>,
    /// The largest export answered inline; larger ones go to `exports` (tests lower it).
    pub export_inline_bytes: usize,
    /// The database every SQL store above runs on.
    sql: Arc<dyn SqlExecutor>,
    /// The pipeline report's aggregate.
    pub reports: Arc<dyn crate::ports::jobs::ReportStore>,
    /// The retention purge's deletions.
    pub retention: Arc<dyn crate::ports::jobs::RetentionStore>,
    /// The export's run state and changed opportunities.
    pub export_runs: Arc<dyn crate::ports::jobs::ExportStore>,
    /// Where export files go (`OMS_EXPORTS_BUCKET` in AWS, `OMS_EXPORTS_DIR` or the local server's
    /// data folder locally).
    pub export_sink: Arc<dyn crate::ports::jobs::ExportSink>,
}

impl App {
    /// Every store port over one SQL database, with the system clock and UUID v7 ids.
    pub fn over_sql(executor: Arc<dyn SqlExecutor>) -> App {
        let store = Arc::new(SqlStore::new(executor.clone()));
        let privacy = Arc::new(crate::store::privacy::SqlPrivacy::new(executor.clone()));
        App {
            directory: privacy.clone(),
            privacy,
            pseudonyms: None,
            exports: Arc::new(crate::adapters::local_objects::NoObjectStore),
            export_inline_bytes: crate::domain::privacy::INLINE_EXPORT_MAX_BYTES,
            sql: executor,
            opportunities: store.clone(),
            customers: store.clone(),
            skills: store.clone(),
            outbox: store.clone(),
            reports: store.clone(),
            retention: store.clone(),
            export_runs: store.clone(),
            export_sink: Arc::new(crate::ports::jobs::NoExportSink),
            attachments: store,
            objects: Arc::new(crate::adapters::local_objects::NoObjectStore),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7Ids),
            cache: Arc::new(NoCache),
            publisher: Arc::new(OutboxOnly),
            dead_letters: Arc::new(LoggedDeadLetters),
            clients: crate::auth::ClientPolicy::default(),
            limit: crate::ports::limits::RequestLimit::default(),
            cors: crate::http::cors::Cors::default(),
        }
    }

    /// The same application whose business stores record `caller`'s profile in the user
    /// directory in the transaction of every write they commit (one upsert statement per write
    /// transaction; see [`crate::store::privacy::RecordingWriter`]). The privacy store keeps the
    /// plain database: an erasure must not write back the profile it deletes.
    pub fn recording_writes_of(&self, caller: &crate::auth::Caller) -> App {
        let writer = crate::store::privacy::SeenWriter {
            sub: caller.id.clone(),
            email: caller.email.clone(),
            name: caller.name.clone(),
            groups: caller.groups.clone(),
            at: self.clock.now(),
        };
        let executor = Arc::new(crate::store::privacy::RecordingWriter::new(self.sql.clone(), writer));
        let store = Arc::new(SqlStore::new(executor));
        App {
            opportunities: store.clone(),
            customers: store.clone(),
            skills: store.clone(),
            outbox: store.clone(),
            attachments: store,
            ..self.clone()
        }
    }

    /// Builds the application from the environment: the database ([`DatabaseConfig::from_env`]),
    /// the DynamoDB cache (`OMS_CACHE_TABLE`; or `OMS_CACHE=memory` for a process-local one outside
    /// AWS), the attachments bucket
    /// (`OMS_ATTACHMENTS_BUCKET`, `OMS_ATTACHMENTS_KMS_KEY_ID`), the change-event queue
    /// (`OMS_CHANGE_EVENTS_QUEUE_URL`) and the dead-letter queue (`OMS_DEAD_LETTER_QUEUE_URL`).
    /// AWS clients are built here, once per cold start, one per service; none of them calls the
    /// network until used. A variable naming a service this binary was built without (its cargo
    /// feature is off) is a configuration error, not a silently ignored setting.
    pub async fn from_env() -> Result<App, ConfigError> {
        let database = DatabaseConfig::from_env()?;
        let clients = crate::auth::ClientPolicy::parse(
            env_var("OMS_COGNITO_APP_CLIENT_IDS").as_deref(),
            env_var("OMS_COGNITO_TOKEN_USES").as_deref(),
        )
        .map_err(ConfigError::Invalid)?;
        if clients.app_client_ids.is_empty() && matches!(database, DatabaseConfig::DataApi(_)) {
            // In AWS the authorizer accepts every app client of the pool: never run unnarrowed.
            return Err(ConfigError::Invalid(
                "OMS_COGNITO_APP_CLIENT_IDS is required with the Data API (the app clients whose tokens the API accepts)"
                    .into(),
            ));
        }
        let cors =
            crate::http::cors::Cors::new(env_var("OMS_ALLOWED_ORIGIN").as_deref()).map_err(ConfigError::Invalid)?;
        let services = AwsServices::from_env();
        let pseudonym_key_secret = env_var("OMS_PSEUDONYM_KEY_SECRET_ARN");
        let aws = if matches!(database, DatabaseConfig::DataApi(_)) || services.any() || pseudonym_key_secret.is_some()
        {
            Some(crate::aws_sdk_config::load_aws_config().await?)
        } else {
            None
        };
        let executor = database.connect_with(aws.as_ref()).await?;
        let mut app = App::over_sql(executor);
        app.clients = clients;
        app.cors = cors;
        app.limit.policy = requests_per_minute()?;
        if let Some(key) = env_var("OMS_PSEUDONYM_KEY") {
            // Outside AWS only (the local server, tests): in AWS the key is read from its secret.
            app.pseudonyms = Some(crate::domain::privacy::PseudonymKey::parse(&key).map_err(ConfigError::Invalid)?);
        }
        if let Some(secret) = pseudonym_key_secret {
            let aws = aws.as_ref().ok_or_else(|| {
                ConfigError::Invalid("OMS_PSEUDONYM_KEY_SECRET_ARN needs the AWS configuration".into())
            })?;
            app.pseudonyms = Some(pseudonym_key_from_secret(aws, &secret).await?);
        }
        if let Some(dir) = env_var("OMS_EXPORTS_DIR") {
            app.export_sink = Arc::new(crate::adapters::export_sinks::FolderExportSink::new(dir));
        }
        if env_var("OMS_CACHE").as_deref() == Some("memory") {
            // Outside AWS: a cache private to this process (the local server uses the same one).
            app.cache = Arc::new(crate::adapters::memory_cache::MemoryCache::new());
        }
        if let Some(aws) = aws.as_ref() {
            services.wire(&mut app, aws)?;
        }
        Ok(app)
    }
}

/// The erasure's pseudonym key from its secret (`{"key": "..."}`, as the template generates it):
/// one `GetSecretValue` at cold start of the one function that needs it.
#[cfg(feature = "secrets")]
pub async fn pseudonym_key_from_secret(
    aws: &aws_config::SdkConfig,
    secret: &str,
) -> Result<crate::domain::privacy::PseudonymKey, ConfigError> {
    let output = aws_sdk_secretsmanager::Client::new(aws)
        .get_secret_value()
        .secret_id(secret)
        .send()
        .await
        .map_err(|e| ConfigError::Invalid(format!("cannot read the pseudonym key's secret: {e:?}")))?;
    let text = output
        .secret_string()
        .ok_or_else(|| ConfigError::Invalid("the pseudonym key's secret holds no string".into()))?;
    let key = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|value| value.get("key").and_then(|k| k.as_str()).map(str::to_owned))
        .ok_or_else(|| ConfigError::Invalid("the pseudonym key's secret is not {\"key\": \"...\"}".into()))?;
    crate::domain::privacy::PseudonymKey::parse(&key).map_err(ConfigError::Invalid)
}

/// Without the `secrets` feature the key's secret cannot be read: a configuration naming it fails.
#[cfg(not(feature = "secrets"))]
pub async fn pseudonym_key_from_secret(
    _aws: &aws_config::SdkConfig,
    _secret: &str,
) -> Result<crate::domain::privacy::PseudonymKey, ConfigError> {
    Err(ConfigError::Invalid(
        "OMS_PSEUDONYM_KEY_SECRET_ARN is set but this binary was built without the `secrets` feature of oms-shared"
            .into(),
    ))
}

/// `OMS_REQUESTS_PER_MINUTE`: 1 to 1,000,000 (default [`crate::ports::limits::DEFAULT_REQUESTS_PER_MINUTE`]).
pub fn requests_per_minute() -> Result<crate::ports::limits::RatePolicy, ConfigError> {
    let per_minute = match env_var("OMS_REQUESTS_PER_MINUTE") {
        None => crate::ports::limits::DEFAULT_REQUESTS_PER_MINUTE,
        Some(text) => text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or_else(|| {
                ConfigError::Invalid(format!("OMS_REQUESTS_PER_MINUTE must be 1 to 1000000 (got {text:?})"))
            })?,
    };
    Ok(crate::ports::limits::RatePolicy { per_minute })
}

/// Replaces the adapters of `app` with the AWS ones the environment names (`OMS_CACHE_TABLE`,
/// the queue URLs, the bucket), leaving the others as they are: the
/// local server runs on its embedded adapters unless pointed at AWS or a stand-in (moto, with
/// `AWS_ENDPOINT_URL`). Returns whether anything was replaced.
pub async fn wire_aws_from_env(app: &mut App) -> Result<bool, ConfigError> {
    let services = AwsServices::from_env();
    if !services.any() {
        return Ok(false);
    }
    let aws = crate::aws_sdk_config::load_aws_config().await?;
    services.wire(app, &aws)?;
    Ok(true)
}

/// The AWS resources named by the environment, beyond the database.
struct AwsServices {
    cache_table: Option<String>,
    request_counter_table: Option<String>,
    change_events_queue_url: Option<String>,
    dead_letter_queue_url: Option<String>,
    attachments_bucket: Option<String>,
    exports_bucket: Option<String>,
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    attachments_kms_key_id: Option<String>,
}

impl AwsServices {
    fn from_env() -> Self {
        AwsServices {
            cache_table: env_var("OMS_CACHE_TABLE"),
            request_counter_table: env_var("OMS_REQUEST_COUNTER_TABLE"),
            change_events_queue_url: env_var("OMS_CHANGE_EVENTS_QUEUE_URL"),
            dead_letter_queue_url: env_var("OMS_DEAD_LETTER_QUEUE_URL"),
            attachments_bucket: env_var("OMS_ATTACHMENTS_BUCKET"),
            exports_bucket: env_var("OMS_EXPORTS_BUCKET"),
            attachments_kms_key_id: env_var("OMS_ATTACHMENTS_KMS_KEY_ID"),
        }
    }

    fn any(&self) -> bool {
        self.cache_table.is_some()
            || self.request_counter_table.is_some()
            || self.change_events_queue_url.is_some()
            || self.dead_letter_queue_url.is_some()
            || self.attachments_bucket.is_some()
            || self.exports_bucket.is_some()
    }

    /// Puts each named service's adapter into the application: one SDK client per service.
    fn wire(self, app: &mut App, aws: &aws_config::SdkConfig) -> Result<(), ConfigError> {
        self.wire_dynamodb(app, aws)?;
        self.wire_sqs(app, aws)?;
        self.wire_s3(app, aws)
    }

    #[cfg(feature = "dynamodb")]
    fn wire_dynamodb(&self, app: &mut App, aws: &aws_config::SdkConfig) -> Result<(), ConfigError> {
        use crate::adapters::dynamodb_cache::{DynamoDbCache, DynamoDbRequestCounter};
        if self.cache_table.is_none() && self.request_counter_table.is_none() {
            return Ok(());
        }
        // One client for both: the counter and the cache live in the same table in the template.
        let client = aws_sdk_dynamodb::Client::new(aws);
        if let Some(table) = &self.cache_table {
            app.cache = Arc::new(DynamoDbCache::new(client.clone(), table.clone()));
        }
        if let Some(table) = &self.request_counter_table {
            app.limit.counter = Arc::new(DynamoDbRequestCounter::new(client, table.clone()));
        }
        Ok(())
    }

    #[cfg(not(feature = "dynamodb"))]
    fn wire_dynamodb(&self, _: &mut App, _: &aws_config::SdkConfig) -> Result<(), ConfigError> {
        refuse_unbuilt(
            "dynamodb",
            &[
                ("OMS_CACHE_TABLE", &self.cache_table),
                ("OMS_REQUEST_COUNTER_TABLE", &self.request_counter_table),
            ],
        )
    }

    #[cfg(feature = "sqs")]
    fn wire_sqs(&self, app: &mut App, aws: &aws_config::SdkConfig) -> Result<(), ConfigError> {
        use crate::adapters::sqs::{SqsDeadLetters, SqsPublisher};
        if self.change_events_queue_url.is_none() && self.dead_letter_queue_url.is_none() {
            return Ok(());
        }
        let client = aws_sdk_sqs::Client::new(aws);
        if let Some(url) = &self.change_events_queue_url {
            app.publisher = Arc::new(SqsPublisher::new(client.clone(), url.clone()));
        }
        if let Some(url) = &self.dead_letter_queue_url {
            app.dead_letters = Arc::new(SqsDeadLetters::new(client, url.clone()));
        }
        Ok(())
    }

    #[cfg(not(feature = "sqs"))]
    fn wire_sqs(&self, _: &mut App, _: &aws_config::SdkConfig) -> Result<(), ConfigError> {
        refuse_unbuilt(
            "sqs",
            &[
                ("OMS_CHANGE_EVENTS_QUEUE_URL", &self.change_events_queue_url),
                ("OMS_DEAD_LETTER_QUEUE_URL", &self.dead_letter_queue_url),
            ],
        )
    }

    #[cfg(feature = "s3")]
    fn wire_s3(self, app: &mut App, aws: &aws_config::SdkConfig) -> Result<(), ConfigError> {
        if let Some(bucket) = self.exports_bucket {
            // The exports bucket encrypts with the same customer-managed key as the attachments.
            let store = crate::adapters::s3_objects::S3ObjectStore::from_sdk_config(
                aws,
                bucket.clone(),
                self.attachments_kms_key_id.clone(),
            );
            app.exports = Arc::new(store);
            app.export_sink = Arc::new(crate::adapters::export_sinks::S3ExportSink::new(
                aws_sdk_s3::Client::new(aws),
                bucket,
            ));
        }
        if let Some(bucket) = self.attachments_bucket {
            let store =
                crate::adapters::s3_objects::S3ObjectStore::from_sdk_config(aws, bucket, self.attachments_kms_key_id);
            app.objects = Arc::new(store);
        }
        Ok(())
    }

    #[cfg(not(feature = "s3"))]
    fn wire_s3(self, _: &mut App, _: &aws_config::SdkConfig) -> Result<(), ConfigError> {
        refuse_unbuilt(
            "s3",
            &[
                ("OMS_ATTACHMENTS_BUCKET", &self.attachments_bucket),
                ("OMS_EXPORTS_BUCKET", &self.exports_bucket),
            ],
        )
    }
}

/// A service named in the environment whose adapter was compiled out: fail the cold start with
/// the variable and the feature, rather than run without it.
#[cfg_attr(
    all(feature = "dynamodb", feature = "sqs", feature = "s3", not(test)),
    allow(dead_code)
)]
fn refuse_unbuilt(feature: &str, variables: &[(&str, &Option<String>)]) -> Result<(), ConfigError> {
    match variables.iter().find(|(_, value)| value.is_some()) {
        Some((name, _)) => Err(ConfigError::Invalid(format!(
            "{name} is set but this binary was built without the `{feature}` feature of oms-shared"
        ))),
        None => Ok(()),
    }
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
        let var = env_var;
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
                let loaded;
                let config = match aws {
                    Some(config) => config,
                    None => {
                        loaded = crate::aws_sdk_config::load_aws_config().await?;
                        &loaded
                    }
                };
                // The executor retries what the Data API refuses for a passing reason, within its
                // own budget; SDK retries on top would multiply the attempts and the waits.
                let client = aws_sdk_rdsdata::Client::from_conf(
                    aws_sdk_rdsdata::config::Builder::from(config)
                        .retry_config(aws_sdk_rdsdata::config::retry::RetryConfig::disabled())
                        .build(),
                );
                let executor = DataApiExecutor::new(client, target.clone())
                    .with_retry(crate::sql::rdsdata::RetryPolicy::from_env());
                Ok(Arc::new(executor))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_naming_a_service_the_binary_was_built_without_fails_the_cold_start_naming_both() {
        let table = Some("oms-cache".to_owned());
        let error = refuse_unbuilt(
            "dynamodb",
            &[("OMS_ATTACHMENTS_BUCKET", &None), ("OMS_CACHE_TABLE", &table)],
        )
        .expect_err("refused");
        let message = error.to_string();
        assert!(message.contains("OMS_CACHE_TABLE"), "{message}");
        assert!(message.contains("`dynamodb`"), "{message}");
        assert!(refuse_unbuilt("s3", &[("OMS_ATTACHMENTS_BUCKET", &None)]).is_ok());
    }
}
