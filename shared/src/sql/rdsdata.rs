//! Aurora PostgreSQL through the RDS Data API: HTTPS calls, no connection pool and no VPC needed
//! by the function.
//!
//! Parameters go out as the Data API's typed `SqlParameter`s (UUIDs, timestamps, dates, decimals
//! and JSON as `stringValue` with a `typeHint`); records come back as typed fields and are mapped
//! to [`Row`]s by the column metadata. Transactions use BeginTransaction, CommitTransaction and
//! RollbackTransaction with the transaction id on every statement in between.

use async_trait::async_trait;
use aws_sdk_rdsdata::Client;
use aws_sdk_rdsdata::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_rdsdata::operation::execute_statement::{ExecuteStatementError, ExecuteStatementOutput};
use aws_sdk_rdsdata::types::{Field, SqlParameter, TypeHint};

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

/// Runs SQL through the RDS Data API. Cheap to clone: the SDK client is shared.
#[derive(Clone)]
pub struct DataApiExecutor {
    client: Client,
    target: DataApiTarget,
}

impl DataApiExecutor {
    /// Wraps an SDK client built once per cold start.
    pub fn new(client: Client, target: DataApiTarget) -> Self {
        DataApiExecutor { client, target }
    }

    async fn run(
        &self,
        sql: &'static str,
        params: &[Param],
        transaction_id: Option<&str>,
    ) -> Result<ExecuteStatementOutput, DbError> {
        let call = self
            .client
            .execute_statement()
            .resource_arn(&self.target.cluster_arn)
            .secret_arn(&self.target.secret_arn)
            .database(&self.target.database)
            .sql(sql)
            .set_parameters(Some(params.iter().map(to_parameter).collect()))
            .set_transaction_id(transaction_id.map(str::to_owned))
            .include_result_metadata(true)
            .send();
        crate::metrics::data_api_call(call).await.map_err(map_execute_error)
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

fn map_execute_error(error: SdkError<ExecuteStatementError>) -> DbError {
    match error.into_service_error() {
        ExecuteStatementError::BadRequestException(e) => classify_database_message(e.message().unwrap_or_default()),
        ExecuteStatementError::DatabaseErrorException(e) => classify_database_message(e.message().unwrap_or_default()),
        other => DbError::Other(format!(
            "{}: {}",
            other.code().unwrap_or("DataApiError"),
            other.message().unwrap_or_default()
        )),
    }
}

fn other_error<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    operation: &str,
    error: SdkError<E, R>,
) -> DbError {
    match error.as_service_error() {
        Some(service) => DbError::Other(format!(
            "{operation}: {}: {}",
            service.code().unwrap_or("unknown"),
            service.message().unwrap_or_default()
        )),
        None => DbError::Other(format!("{operation}: {error:?}")),
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

    async fn begin(&self) -> Result<Box<dyn SqlTransaction>, DbError> {
        let call = self
            .client
            .begin_transaction()
            .resource_arn(&self.target.cluster_arn)
            .secret_arn(&self.target.secret_arn)
            .database(&self.target.database)
            .send();
        let output = crate::metrics::data_api_call(call)
            .await
            .map_err(|e| other_error("BeginTransaction", e))?;
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

    async fn commit(mut self: Box<Self>) -> Result<(), DbError> {
        self.open = false;
        let call = self
            .executor
            .client
            .commit_transaction()
            .resource_arn(&self.executor.target.cluster_arn)
            .secret_arn(&self.executor.target.secret_arn)
            .transaction_id(&self.transaction_id)
            .send();
        crate::metrics::data_api_call(call)
            .await
            .map_err(|e| other_error("CommitTransaction", e))?;
        Ok(())
    }

    async fn rollback(mut self: Box<Self>) -> Result<(), DbError> {
        self.open = false;
        rollback(&self.executor, &self.transaction_id).await
    }
}

async fn rollback(executor: &DataApiExecutor, transaction_id: &str) -> Result<(), DbError> {
    let call = executor
        .client
        .rollback_transaction()
        .resource_arn(&executor.target.cluster_arn)
        .secret_arn(&executor.target.secret_arn)
        .transaction_id(transaction_id)
        .send();
    crate::metrics::data_api_call(call)
        .await
        .map_err(|e| other_error("RollbackTransaction", e))?;
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
