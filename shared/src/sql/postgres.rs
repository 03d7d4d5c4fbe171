//! A direct PostgreSQL executor that behaves like the Data API.
//!
//! It exists so that the test suite proves every SQL text on a real PostgreSQL before Aurora runs
//! it. It takes the same `:named` parameters, sends each with the type the Data API would give it
//! (`stringValue` as text, `typeHint: UUID` as uuid, `TIMESTAMP` as timestamp, ...; nulls untyped),
//! and returns rows the way the Data API does (UUIDs, timestamps, dates and numerics as text).

use std::pin::pin;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::BytesMut;
use futures_util::TryStreamExt;
use postgres_types::{IsNull, Kind, ToSql, Type, to_sql_checked};
use rust_decimal::Decimal;
use time::{OffsetDateTime, PrimitiveDateTime};
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls};

use super::value::{DATE_FORMAT, data_api_timestamp};
use super::{DbError, Dialect, Param, Row, SqlExecutor, SqlTransaction, SqlValue, positional_placeholders};

/// A small pool of PostgreSQL connections running the shared SQL texts.
#[derive(Clone)]
pub struct PostgresExecutor {
    idle: Arc<Mutex<Vec<Client>>>,
    permits: Arc<Semaphore>,
    url: Arc<str>,
}

/// A connection taken from the pool; it goes back when dropped.
pub(crate) struct Pooled {
    client: Option<Client>,
    idle: Arc<Mutex<Vec<Client>>>,
    _permit: OwnedSemaphorePermit,
}

impl Pooled {
    /// The connection.
    pub(crate) fn client(&self) -> Result<&Client, DbError> {
        self.client
            .as_ref()
            .ok_or_else(|| DbError::Other("no connection".into()))
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            if client.is_closed() {
                return;
            }
            if let Ok(mut idle) = self.idle.try_lock() {
                idle.push(client);
            } else {
                let idle = self.idle.clone();
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move { idle.lock().await.push(client) });
                }
            }
        }
    }
}

impl PostgresExecutor {
    /// Connects lazily to `url` with at most `max_connections` connections.
    pub fn new(url: &str, max_connections: usize) -> Self {
        PostgresExecutor {
            idle: Arc::new(Mutex::new(Vec::new())),
            permits: Arc::new(Semaphore::new(max_connections.max(1))),
            url: url.into(),
        }
    }

    /// The plan PostgreSQL makes for a shared SQL text with these parameters, bound exactly as
    /// [`SqlExecutor::query`] binds them (so the planner sees the same values and types): one
    /// line of `EXPLAIN` output per element. For the scale bench's index column.
    pub async fn explain(&self, sql: &'static str, params: &[Param]) -> Result<Vec<String>, DbError> {
        let pooled = self.acquire().await?;
        let rows = run(pooled.client()?, &format!("EXPLAIN {sql}"), params).await?.0;
        rows.iter().map(|row| row.text("QUERY PLAN")).collect()
    }

    /// Takes a connection from the pool (connecting when none is idle), waiting for a free slot.
    pub(crate) async fn acquire(&self) -> Result<Pooled, DbError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| DbError::Other(e.to_string()))?;
        let existing = self.idle.lock().await.pop();
        let client = match existing {
            Some(client) if !client.is_closed() => client,
            _ => {
                let (client, connection) = tokio_postgres::connect(&self.url, NoTls).await.map_err(map_error)?;
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::warn!(%error, "postgres connection closed");
                    }
                });
                // No session settings: the Data API stand-in runs on this pool, and Aurora's
                // sessions have whatever `timezone` the cluster's parameter group says (the SQL
                // reads instants as UTC whatever it is: `utc_timestamp_parameters`).
                client
            }
        };
        Ok(Pooled {
            client: Some(client),
            idle: self.idle.clone(),
            _permit: permit,
        })
    }
}

pub(crate) fn map_error(error: tokio_postgres::Error) -> DbError {
    let text = match error.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => error.to_string(),
    };
    match error.code() {
        Some(code) if *code == SqlState::UNIQUE_VIOLATION => DbError::UniqueViolation(text),
        Some(code) if *code == SqlState::FOREIGN_KEY_VIOLATION => DbError::ForeignKeyViolation(text),
        Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED => {
            DbError::Conflict(text)
        }
        _ => DbError::Other(text),
    }
}

/// A parameter encoded as the Data API would type it.
#[derive(Debug)]
pub(crate) struct DataApiTyped<'a>(pub(crate) &'a SqlValue);

impl DataApiTyped<'_> {
    pub(crate) fn pg_type(&self) -> Type {
        match self.0 {
            // The Data API sends `isNull` without a type: the server infers it from the context.
            SqlValue::Null => Type::new("unspecified".into(), 0, Kind::Simple, "pg_catalog".into()),
            SqlValue::Bool(_) => Type::BOOL,
            SqlValue::Int(_) => Type::INT8,
            SqlValue::Text(_) => Type::TEXT,
            SqlValue::Uuid(_) => Type::UUID,
            SqlValue::Timestamp(_) => Type::TIMESTAMP,
            SqlValue::Date(_) => Type::DATE,
            SqlValue::Decimal(_) => Type::NUMERIC,
            SqlValue::Json(_) => Type::JSON,
        }
    }
}

impl ToSql for DataApiTyped<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            SqlValue::Null => Ok(IsNull::Yes),
            SqlValue::Bool(b) => b.to_sql(ty, out),
            SqlValue::Int(i) => i.to_sql(ty, out),
            SqlValue::Text(s) => s.as_str().to_sql(ty, out),
            SqlValue::Uuid(u) => u.to_sql(ty, out),
            SqlValue::Timestamp(t) => {
                let utc = t.to_offset(time::UtcOffset::UTC);
                PrimitiveDateTime::new(utc.date(), utc.time()).to_sql(ty, out)
            }
            SqlValue::Date(d) => d.to_sql(ty, out),
            SqlValue::Decimal(d) => d.to_sql(ty, out),
            SqlValue::Json(s) => {
                let value: serde_json::Value = serde_json::from_str(s)?;
                value.to_sql(ty, out)
            }
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

pub(crate) fn decode_column(row: &tokio_postgres::Row, index: usize) -> Result<SqlValue, DbError> {
    let ty = row.columns()[index].type_().clone();
    let decode = |e: tokio_postgres::Error| DbError::Decode(e.to_string());
    let value = match ty {
        Type::BOOL => row
            .try_get::<_, Option<bool>>(index)
            .map_err(decode)?
            .map(SqlValue::Bool),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(index)
            .map_err(decode)?
            .map(|v| SqlValue::Int(v.into())),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(index)
            .map_err(decode)?
            .map(|v| SqlValue::Int(v.into())),
        Type::INT8 => row.try_get::<_, Option<i64>>(index).map_err(decode)?.map(SqlValue::Int),
        Type::UUID => row
            .try_get::<_, Option<uuid::Uuid>>(index)
            .map_err(decode)?
            .map(|u| SqlValue::Text(u.to_string())),
        Type::TIMESTAMPTZ => row
            .try_get::<_, Option<OffsetDateTime>>(index)
            .map_err(decode)?
            .map(|t| SqlValue::Text(data_api_timestamp(t))),
        Type::TIMESTAMP => row
            .try_get::<_, Option<PrimitiveDateTime>>(index)
            .map_err(decode)?
            .map(|t| SqlValue::Text(data_api_timestamp(t.assume_utc()))),
        Type::DATE => row
            .try_get::<_, Option<time::Date>>(index)
            .map_err(decode)?
            .map(|d| SqlValue::Text(d.format(DATE_FORMAT).unwrap_or_default())),
        Type::NUMERIC => row
            .try_get::<_, Option<Decimal>>(index)
            .map_err(decode)?
            .map(|d| SqlValue::Text(d.to_string())),
        Type::JSON | Type::JSONB => row
            .try_get::<_, Option<serde_json::Value>>(index)
            .map_err(decode)?
            .map(|v| SqlValue::Text(v.to_string())),
        _ => row
            .try_get::<_, Option<String>>(index)
            .map_err(decode)?
            .map(SqlValue::Text),
    };
    Ok(value.unwrap_or(SqlValue::Null))
}

async fn run(client: &Client, sql: &str, params: &[Param]) -> Result<(Vec<Row>, u64), DbError> {
    // Bound as the Data API types them (TIMESTAMP: no zone), read as UTC as the Data API executor
    // reads them: the session's `timezone` changes nothing.
    let sql = super::utc_timestamp_parameters(sql, &super::timestamp_names([params]));
    let (text, names) = positional_placeholders(&sql);
    let mut ordered = Vec::with_capacity(names.len());
    for name in &names {
        let param = params
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| DbError::Other(format!("no value for parameter :{name}")))?;
        ordered.push(DataApiTyped(&param.value));
    }
    for param in params {
        if !names.iter().any(|n| n == param.name) {
            return Err(DbError::Other(format!("statement has no parameter :{}", param.name)));
        }
    }
    let typed: Vec<(&(dyn ToSql + Sync), Type)> = ordered
        .iter()
        .map(|p| (p as &(dyn ToSql + Sync), p.pg_type()))
        .collect();
    let stream = client.query_typed_raw(&text, typed).await.map_err(map_error)?;
    let mut stream = pin!(stream);
    let mut rows = Vec::new();
    while let Some(row) = stream.try_next().await.map_err(map_error)? {
        let mut columns = Vec::with_capacity(row.len());
        for (i, column) in row.columns().iter().enumerate() {
            columns.push((column.name().to_owned(), decode_column(&row, i)?));
        }
        rows.push(Row::new(columns));
    }
    let affected = stream.rows_affected().unwrap_or(0);
    // Refuse what Aurora's Data API would, so that the SQL suite fails where production would.
    super::limits::check(&rows)?;
    Ok((rows, affected))
}

#[async_trait]
impl SqlExecutor for PostgresExecutor {
    async fn query(&self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        let pooled = self.acquire().await?;
        let client = pooled
            .client
            .as_ref()
            .ok_or_else(|| DbError::Other("no connection".into()))?;
        Ok(run(client, sql, params).await?.0)
    }

    async fn execute(&self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        let pooled = self.acquire().await?;
        let client = pooled
            .client
            .as_ref()
            .ok_or_else(|| DbError::Other("no connection".into()))?;
        Ok(run(client, sql, params).await?.1)
    }

    async fn begin(&self) -> Result<Box<dyn SqlTransaction>, DbError> {
        let pooled = self.acquire().await?;
        let client = pooled
            .client
            .as_ref()
            .ok_or_else(|| DbError::Other("no connection".into()))?;
        client.batch_execute("BEGIN").await.map_err(map_error)?;
        Ok(Box::new(PostgresTransaction { pooled: Some(pooled) }))
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
}

struct PostgresTransaction {
    pooled: Option<Pooled>,
}

impl PostgresTransaction {
    fn client(&self) -> Result<&Client, DbError> {
        self.pooled
            .as_ref()
            .and_then(|p| p.client.as_ref())
            .ok_or_else(|| DbError::Other("transaction closed".into()))
    }
}

#[async_trait]
impl SqlTransaction for PostgresTransaction {
    async fn query(&mut self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        Ok(run(self.client()?, sql, params).await?.0)
    }

    async fn execute(&mut self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        Ok(run(self.client()?, sql, params).await?.1)
    }

    async fn commit(mut self: Box<Self>) -> Result<(), DbError> {
        let result = self.client()?.batch_execute("COMMIT").await.map_err(map_error);
        self.pooled.take();
        result
    }

    async fn rollback(mut self: Box<Self>) -> Result<(), DbError> {
        let result = self.client()?.batch_execute("ROLLBACK").await.map_err(map_error);
        self.pooled.take();
        result
    }
}

impl Drop for PostgresTransaction {
    fn drop(&mut self) {
        if let Some(pooled) = self.pooled.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                if let Some(client) = pooled.client.as_ref() {
                    let _ = client.batch_execute("ROLLBACK").await;
                }
                drop(pooled);
            });
        }
    }
}
