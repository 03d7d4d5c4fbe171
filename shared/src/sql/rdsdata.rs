//! Aurora PostgreSQL through the RDS Data API: HTTPS calls, no connection pool and no VPC needed
//! by the function.
//!
//! Parameters go out as the Data API's typed `SqlParameter`s (UUIDs, timestamps, dates, decimals
//! and JSON as `stringValue` with a `typeHint`); records come back as typed fields and are mapped
//! to [`Row`]s by the column metadata. Transactions use BeginTransaction, CommitTransaction and
//! RollbackTransaction with the transaction id on every statement in between; a statement run
//! once per parameter set is one BatchExecuteStatement call.
//!
//! Calls the Data API refuses for a passing reason (an Aurora Serverless v2 cluster resuming from
//! auto-pause, throttling, a service briefly unavailable) are retried with bounded, jittered
//! exponential backoff within [`RetryPolicy::budget`], which stays inside the function's timeout;
//! every other error fails at once. Such a call was not run, so retrying it is safe inside a
//! transaction too. The SDK's own retries are off for this client (see
//! [`crate::app::DatabaseConfig::connect_with`]), so this policy is the only one.

use std::future::Future;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_rdsdata::Client;
use aws_sdk_rdsdata::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_rdsdata::operation::execute_statement::ExecuteStatementOutput;
use aws_sdk_rdsdata::types::{Field, SqlParameter, TypeHint};
use aws_smithy_runtime_api::http::Response as HttpResponse;

use super::value::{DATE_FORMAT, data_api_timestamp};
use super::{DbError, Dialect, Param, Row, SqlExecutor, SqlTransaction, SqlValue};

/// Where the Data API finds the database: the cluster, the credentials' secret and the database.
#[derive(Debug, Clone)]
pub struct DataApiTarget {
    /// The Aurora cluster ARN (`resourceArn`).
    pub cluster_arn: String,
    /// The Secrets Manager secret holding the database credentials (`secretArn`).
    pub secret_arn: String,
    /// The database name.
    pub database: String,
}

/// The error codes of calls the Data API did not run for a passing reason: retried.
pub const RETRYABLE_ERRORS: &[&str] = &[
    // Aurora Serverless v2 resuming from auto-pause (seconds).
    "DatabaseResumingException",
    // Throttling (AWS's generic codes; not in the service model).
    "ThrottlingException",
    "TooManyRequestsException",
    // The service is briefly unavailable (HTTP 503).
    "ServiceUnavailableError",
];

/// How long and how often a refused call is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first wait (then doubled each attempt, jittered).
    pub first_delay: Duration,
    /// The longest single wait.
    pub max_delay: Duration,
    /// No retry starts once this much time has passed since the first attempt: the functions'
    /// timeout is 10 s, so the default 6 s leaves room for the work itself.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(1),
            budget: Duration::from_secs(6),
        }
    }
}

impl RetryPolicy {
    /// The default, with the budget from `OMS_DB_RETRY_BUDGET_MS` when set (0: no retries).
    pub fn from_env() -> RetryPolicy {
        let mut policy = RetryPolicy::default();
        if let Some(ms) = crate::config::env_var("OMS_DB_RETRY_BUDGET_MS").and_then(|v| v.parse::<u64>().ok()) {
            policy.budget = Duration::from_millis(ms);
        }
        policy
    }

    /// The wait before attempt `attempt + 1`: exponential, capped, with half of it random
    /// ("equal jitter"), so that functions refused together do not retry together.
    fn delay(&self, attempt: u32) -> Duration {
        let exponential = self
            .first_delay
            .saturating_mul(1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        let half = exponential / 2;
        let random = (uuid::Uuid::new_v4().as_u128() % 1_000) as u32;
        half + half.mul_f64(f64::from(random) / 1_000.0)
    }
}

/// Runs SQL through the RDS Data API. Cheap to clone: the SDK client is shared.
#[derive(Clone)]
pub struct DataApiExecutor {
    client: Client,
    target: DataApiTarget,
    retry: RetryPolicy,
}

impl DataApiExecutor {
    /// Wraps an SDK client built once per cold start, with the default [`RetryPolicy`].
    pub fn new(client: Client, target: DataApiTarget) -> Self {
        DataApiExecutor {
            client,
            target,
            retry: RetryPolicy::default(),
        }
    }

    /// The same executor with another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sends a call, again while the Data API refuses it for a passing reason and the budget
    /// allows; any other outcome is returned at once.
    async fn send<T, E, F, Fut>(&self, operation: &'static str, call: F) -> Result<T, DbError>
    where
        E: ProvideErrorMetadata + std::fmt::Debug,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    {
        let started = Instant::now();
        let mut attempt = 0u32;
        loop {
            // Every attempt is one call: counted and timed in the invocation's metrics.
            let error = match crate::metrics::data_api_call(call()).await {
                Ok(output) => return Ok(output),
                Err(error) => error,
            };
            let code = error.as_service_error().and_then(|e| e.code()).map(str::to_owned);
            let retryable = code.as_deref().is_some_and(|c| RETRYABLE_ERRORS.contains(&c));
            let wait = self.retry.delay(attempt);
            if !retryable || started.elapsed().saturating_add(wait) > self.retry.budget {
                return Err(map_error(operation, error));
            }
            tracing::info!(
                operation,
                code = code.as_deref().unwrap_or_default(),
                attempt,
                wait_ms = wait.as_millis() as u64,
                "the Data API refused the call for a passing reason; retrying"
            );
            tokio::time::sleep(wait).await;
            attempt = attempt.saturating_add(1);
        }
    }

    async fn run(
        &self,
        sql: &'static str,
        params: &[Param],
        transaction_id: Option<&str>,
    ) -> Result<ExecuteStatementOutput, DbError> {
        let parameters: Vec<SqlParameter> = params.iter().map(to_parameter).collect();
        // Instants read as UTC whatever the cluster's `timezone` (a TIMESTAMP hint has no zone).
        let sql = super::utc_timestamp_parameters(sql, &super::timestamp_names([params]));
        self.send("ExecuteStatement", || {
            self.client
                .execute_statement()
                .resource_arn(&self.target.cluster_arn)
                .secret_arn(&self.target.secret_arn)
                .database(&self.target.database)
                .sql(sql.as_ref())
                .set_parameters(Some(parameters.clone()))
                .set_transaction_id(transaction_id.map(str::to_owned))
                .include_result_metadata(true)
                .send()
        })
        .await
    }

    async fn run_batch(
        &self,
        sql: &'static str,
        sets: &[Vec<Param>],
        transaction_id: Option<&str>,
    ) -> Result<(), DbError> {
        if sets.is_empty() {
            return Ok(());
        }
        let parameter_sets: Vec<Vec<SqlParameter>> =
            sets.iter().map(|set| set.iter().map(to_parameter).collect()).collect();
        let sql = super::utc_timestamp_parameters(sql, &super::timestamp_names(sets.iter().map(Vec::as_slice)));
        self.send("BatchExecuteStatement", || {
            self.client
                .batch_execute_statement()
                .resource_arn(&self.target.cluster_arn)
                .secret_arn(&self.target.secret_arn)
                .database(&self.target.database)
                .sql(sql.as_ref())
                .set_parameter_sets(Some(parameter_sets.clone()))
                .set_transaction_id(transaction_id.map(str::to_owned))
                .send()
        })
        .await?;
        Ok(())
    }
}

/// Maps one parameter to the Data API's typed model.
pub fn to_parameter(param: &Param) -> SqlParameter {
    let (value, hint) = match &param.value {
        SqlValue::Null => (Field::IsNull(true), None),
        SqlValue::Bool(b) => (Field::BooleanValue(*b), None),
        SqlValue::Int(i) => (Field::LongValue(*i), None),
        SqlValue::Text(s) => (Field::StringValue(s.clone()), None),
        SqlValue::Uuid(u) => (Field::StringValue(u.hyphenated().to_string()), Some(TypeHint::Uuid)),
        SqlValue::Timestamp(t) => (Field::StringValue(data_api_timestamp(*t)), Some(TypeHint::Timestamp)),
        SqlValue::Date(d) => (
            Field::StringValue(d.format(DATE_FORMAT).unwrap_or_default()),
            Some(TypeHint::Date),
        ),
        SqlValue::Decimal(d) => (Field::StringValue(d.to_string()), Some(TypeHint::Decimal)),
        SqlValue::Json(s) => (Field::StringValue(s.clone()), Some(TypeHint::Json)),
    };
    SqlParameter::builder()
        .name(param.name)
        .value(value)
        .set_type_hint(hint)
        .build()
}

/// Maps a Data API result to rows, naming columns from the result metadata.
pub fn to_rows(output: &ExecuteStatementOutput) -> Result<Vec<Row>, DbError> {
    let names: Vec<String> = output
        .column_metadata()
        .iter()
        .map(|c| c.label().or(c.name()).unwrap_or_default().to_owned())
        .collect();
    output
        .records()
        .iter()
        .map(|record| {
            if record.len() != names.len() {
                return Err(DbError::Decode(format!(
                    "record has {} fields, metadata names {}",
                    record.len(),
                    names.len()
                )));
            }
            let columns = names
                .iter()
                .zip(record)
                .map(|(name, field)| Ok((name.clone(), from_field(field)?)))
                .collect::<Result<Vec<_>, DbError>>()?;
            Ok(Row::new(columns))
        })
        .collect()
}

fn from_field(field: &Field) -> Result<SqlValue, DbError> {
    Ok(match field {
        Field::IsNull(_) => SqlValue::Null,
        Field::BooleanValue(b) => SqlValue::Bool(*b),
        Field::LongValue(i) => SqlValue::Int(*i),
        Field::StringValue(s) => SqlValue::Text(s.clone()),
        Field::DoubleValue(d) => SqlValue::Text(d.to_string()),
        other => {
            return Err(DbError::Decode(format!("unsupported Data API field {other:?}")));
        }
    })
}

/// Classifies a PostgreSQL error message relayed by the Data API.
pub fn classify_database_message(message: &str) -> DbError {
    let text = message.to_owned();
    if message.contains("duplicate key value violates unique constraint") {
        DbError::UniqueViolation(text)
    } else if message.contains("violates foreign key constraint") {
        DbError::ForeignKeyViolation(text)
    } else if message.contains("could not serialize access") || message.contains("deadlock detected") {
        DbError::Conflict(text)
    } else {
        DbError::Other(text)
    }
}

/// One mapping for every operation: the database's own refusals (`BadRequestException` on
/// Serverless v1, `DatabaseErrorException` since) are classified from the relayed PostgreSQL
/// message; anything else keeps the operation, the HTTP status, the service's code (or says it
/// sent none) and message, so that the log line says what the service answered.
fn map_error<E: ProvideErrorMetadata + std::fmt::Debug>(operation: &str, error: SdkError<E, HttpResponse>) -> DbError {
    let status = error.raw_response().map(|response| response.status().as_u16());
    match error.as_service_error() {
        Some(service) => match service.code() {
            Some("BadRequestException" | "DatabaseErrorException") => {
                classify_database_message(service.message().unwrap_or_default())
            }
            code => DbError::Other(format!(
                "{operation}: HTTP {}: {}: {}",
                status.map_or_else(|| "status unknown".to_owned(), |s| s.to_string()),
                code.unwrap_or("no error code"),
                service.message().unwrap_or("no message")
            )),
        },
        None => DbError::Other(match status {
            Some(status) => format!("{operation}: HTTP {status}: {error:?}"),
            None => format!("{operation}: {error:?}"),
        }),
    }
}

#[async_trait]
impl SqlExecutor for DataApiExecutor {
    async fn query(&self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        to_rows(&self.run(sql, params, None).await?)
    }

    async fn execute(&self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        Ok(self.run(sql, params, None).await?.number_of_records_updated().max(0) as u64)
    }

    async fn execute_batch(&self, sql: &'static str, sets: &[Vec<Param>]) -> Result<(), DbError> {
        self.run_batch(sql, sets, None).await
    }

    async fn begin(&self) -> Result<Box<dyn SqlTransaction>, DbError> {
        let output = self
            .send("BeginTransaction", || {
                self.client
                    .begin_transaction()
                    .resource_arn(&self.target.cluster_arn)
                    .secret_arn(&self.target.secret_arn)
                    .database(&self.target.database)
                    .send()
            })
            .await?;
        let transaction_id = output
            .transaction_id()
            .ok_or_else(|| DbError::Other("BeginTransaction returned no transaction id".into()))?
            .to_owned();
        Ok(Box::new(DataApiTransaction {
            executor: self.clone(),
            transaction_id,
            open: true,
        }))
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
}

struct DataApiTransaction {
    executor: DataApiExecutor,
    transaction_id: String,
    open: bool,
}

#[async_trait]
impl SqlTransaction for DataApiTransaction {
    async fn query(&mut self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        to_rows(&self.executor.run(sql, params, Some(&self.transaction_id)).await?)
    }

    async fn execute(&mut self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        let output = self.executor.run(sql, params, Some(&self.transaction_id)).await?;
        Ok(output.number_of_records_updated().max(0) as u64)
    }

    async fn execute_batch(&mut self, sql: &'static str, sets: &[Vec<Param>]) -> Result<(), DbError> {
        self.executor.run_batch(sql, sets, Some(&self.transaction_id)).await
    }

    async fn commit(mut self: Box<Self>) -> Result<(), DbError> {
        self.open = false;
        let executor = &self.executor;
        executor
            .send("CommitTransaction", || {
                executor
                    .client
                    .commit_transaction()
                    .resource_arn(&executor.target.cluster_arn)
                    .secret_arn(&executor.target.secret_arn)
                    .transaction_id(&self.transaction_id)
                    .send()
            })
            .await?;
        Ok(())
    }

    async fn rollback(mut self: Box<Self>) -> Result<(), DbError> {
        self.open = false;
        rollback(&self.executor, &self.transaction_id).await
    }
}

async fn rollback(executor: &DataApiExecutor, transaction_id: &str) -> Result<(), DbError> {
    executor
        .send("RollbackTransaction", || {
            executor
                .client
                .rollback_transaction()
                .resource_arn(&executor.target.cluster_arn)
                .secret_arn(&executor.target.secret_arn)
                .transaction_id(transaction_id)
                .send()
        })
        .await?;
    Ok(())
}

impl Drop for DataApiTransaction {
    fn drop(&mut self) {
        // An abandoned transaction would hold its locks until the Data API's 3-minute timeout.
        if self.open
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let executor = self.executor.clone();
            let transaction_id = std::mem::take(&mut self.transaction_id);
            runtime.spawn(async move {
                if let Err(error) = rollback(&executor, &transaction_id).await {
                    tracing::warn!(%error, "rollback of an abandoned transaction failed");
                }
            });
        }
    }
}
