//! The embedded default: a SQLite database file that needs no server and survives restarts.
//!
//! It runs the same SQL texts as Aurora. One connection serves the process (SQLite serialises
//! writers anyway); `BEGIN IMMEDIATE` takes the write lock up front so that two processes on one
//! file (the local server and a function binary) wait for each other instead of failing.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::{Connection, ErrorCode, functions::FunctionFlags, types::ValueRef};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::value::{DATE_FORMAT, embedded_timestamp};
use super::{DbError, Dialect, Param, Row, SqlExecutor, SqlTransaction, SqlValue};

/// Runs SQL on a SQLite database file.
#[derive(Clone)]
pub struct SqliteExecutor {
    connection: Arc<Mutex<Connection>>,
}

impl SqliteExecutor {
    /// Opens (or creates) the database file with the settings the service relies on.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| DbError::Other(format!("create {}: {e}", parent.display())))?;
        }
        let connection = Connection::open(path).map_err(map_error)?;
        Self::configure(connection)
    }

    /// An in-memory database, for tests.
    pub fn in_memory() -> Result<Self, DbError> {
        Self::configure(Connection::open_in_memory().map_err(map_error)?)
    }

    fn configure(connection: Connection) -> Result<Self, DbError> {
        // The busy timeout first: switching a new file to WAL takes a lock that another process
        // opening the same fresh file may hold for a moment.
        connection
            .execute_batch("PRAGMA busy_timeout = 10000;")
            .map_err(map_error)?;
        // Switching a fresh file to WAL needs a moment alone with it; another process opening the
        // same new file at that instant makes it answer "busy" at once, busy timeout or not.
        let mut attempt = 0u64;
        loop {
            match connection.execute_batch("PRAGMA journal_mode = WAL;") {
                Ok(()) => break,
                Err(error) if attempt < 40 && matches!(map_error_ref(&error), DbError::Conflict(_)) => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(5 * attempt));
                }
                Err(error) => return Err(map_error(error)),
            }
        }
        connection
            .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(map_error)?;
        // PostgreSQL's lower() folds all of Unicode; SQLite's built-in folds ASCII only.
        connection
            .create_scalar_function(
                "lower",
                1,
                FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
                |ctx| {
                    let text: Option<String> = ctx.get(0)?;
                    Ok(text.map(|t| t.to_lowercase()))
                },
            )
            .map_err(map_error)?;
        Ok(SqliteExecutor {
            connection: Arc::new(Mutex::new(connection)),
        })
    }
}

fn map_error(error: rusqlite::Error) -> DbError {
    map_error_ref(&error)
}

fn map_error_ref(error: &rusqlite::Error) -> DbError {
    match error {
        rusqlite::Error::SqliteFailure(failure, message) => {
            let text = message.clone().unwrap_or_else(|| failure.to_string());
            match (failure.code, failure.extended_code) {
                (ErrorCode::ConstraintViolation, 2067 | 1555) => DbError::UniqueViolation(text),
                (ErrorCode::ConstraintViolation, 787) => DbError::ForeignKeyViolation(text),
                (ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked, _) => DbError::Conflict(text),
                _ => DbError::Other(text),
            }
        }
        _ => DbError::Other(error.to_string()),
    }
}

fn to_sqlite(value: &SqlValue) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match value {
        SqlValue::Null => Value::Null,
        SqlValue::Bool(b) => Value::Integer(i64::from(*b)),
        SqlValue::Int(i) => Value::Integer(*i),
        SqlValue::Text(s) | SqlValue::Json(s) => Value::Text(s.clone()),
        SqlValue::Uuid(u) => Value::Text(u.hyphenated().to_string()),
        SqlValue::Timestamp(t) => Value::Text(embedded_timestamp(*t)),
        SqlValue::Date(d) => Value::Text(d.format(DATE_FORMAT).unwrap_or_default()),
        SqlValue::Decimal(d) => Value::Text(d.to_string()),
    }
}

fn prepare<'c>(conn: &'c Connection, sql: &str, params: &[Param]) -> Result<rusqlite::CachedStatement<'c>, DbError> {
    let mut statement = conn.prepare_cached(sql).map_err(map_error)?;
    for param in params {
        let name = format!(":{}", param.name);
        let index = statement
            .parameter_index(&name)
            .map_err(map_error)?
            .ok_or_else(|| DbError::Other(format!("statement has no parameter {name}")))?;
        statement
            .raw_bind_parameter(index, to_sqlite(&param.value))
            .map_err(map_error)?;
    }
    Ok(statement)
}

fn run_query(conn: &Connection, sql: &str, params: &[Param]) -> Result<Vec<Row>, DbError> {
    let mut statement = prepare(conn, sql, params)?;
    let names: Vec<String> = statement.column_names().iter().map(|n| (*n).to_owned()).collect();
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(map_error)? {
        let mut columns = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let value = match row.get_ref(i).map_err(map_error)? {
                ValueRef::Null => SqlValue::Null,
                ValueRef::Integer(v) => SqlValue::Int(v),
                ValueRef::Real(v) => SqlValue::Text(v.to_string()),
                ValueRef::Text(t) | ValueRef::Blob(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
            };
            columns.push((name.clone(), value));
        }
        out.push(Row::new(columns));
    }
    Ok(out)
}

fn run_execute(conn: &Connection, sql: &str, params: &[Param]) -> Result<u64, DbError> {
    let mut statement = prepare(conn, sql, params)?;
    let changed = statement.raw_execute().map_err(map_error)?;
    Ok(changed as u64)
}

#[async_trait]
impl SqlExecutor for SqliteExecutor {
    async fn query(&self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        let conn = self.connection.lock().await;
        run_query(&conn, sql, params)
    }

    async fn execute(&self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        let conn = self.connection.lock().await;
        run_execute(&conn, sql, params)
    }

    async fn begin(&self) -> Result<Box<dyn SqlTransaction>, DbError> {
        let conn = self.connection.clone().lock_owned().await;
        conn.execute_batch("BEGIN IMMEDIATE").map_err(map_error)?;
        Ok(Box::new(SqliteTransaction { conn, open: true }))
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
}

struct SqliteTransaction {
    conn: OwnedMutexGuard<Connection>,
    open: bool,
}

#[async_trait]
impl SqlTransaction for SqliteTransaction {
    async fn query(&mut self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        run_query(&self.conn, sql, params)
    }

    async fn execute(&mut self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        run_execute(&self.conn, sql, params)
    }

    async fn commit(mut self: Box<Self>) -> Result<(), DbError> {
        self.open = false;
        if let Err(error) = self.conn.execute_batch("COMMIT") {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(map_error(error));
        }
        Ok(())
    }

    async fn rollback(mut self: Box<Self>) -> Result<(), DbError> {
        self.open = false;
        self.conn.execute_batch("ROLLBACK").map_err(map_error)
    }
}

impl Drop for SqliteTransaction {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}
