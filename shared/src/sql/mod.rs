//! SQL access shared by every backend.
//!
//! The repository ([`crate::store::SqlStore`]) speaks to an [`SqlExecutor`]: one SQL text per query,
//! with named `:parameters` exactly as the RDS Data API takes them. Three executors run those same
//! texts: [`rdsdata::DataApiExecutor`] (Aurora PostgreSQL in production), [`sqlite::SqliteExecutor`]
//! (the embedded default) and, behind the `postgres` feature, `postgres::PostgresExecutor` (the test
//! suite's proof that what Aurora runs is valid PostgreSQL). Values cross the boundary in the Data
//! API's typed model ([`SqlValue`] with a type hint), so every executor sees what Aurora would see.

pub mod limits;
pub mod migrations;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod rdsdata;
pub mod sqlite;
#[cfg(feature = "data-api-standin")]
pub mod standin;
pub mod value;

use async_trait::async_trait;
pub use value::{Param, Row, SqlValue};

/// Why a statement failed, in terms the repository can act on.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A unique or primary key constraint refused the write.
    #[error("unique constraint violated: {0}")]
    UniqueViolation(String),
    /// A foreign key constraint refused the write.
    #[error("foreign key constraint violated: {0}")]
    ForeignKeyViolation(String),
    /// The database could not serialise this transaction with a concurrent one; retrying is safe.
    #[error("transaction conflict, retry: {0}")]
    Conflict(String),
    /// A result column did not have the expected name or type.
    #[error("unexpected result shape: {0}")]
    Decode(String),
    /// Anything else: connection, permission, syntax, service errors.
    #[error("database error: {0}")]
    Other(String),
}

/// A running transaction. Dropping it without [`SqlTransaction::commit`] rolls it back.
#[async_trait]
pub trait SqlTransaction: Send {
    /// Runs a statement that returns rows.
    async fn query(&mut self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError>;
    /// Runs a statement and returns the number of rows it changed.
    async fn execute(&mut self, sql: &'static str, params: &[Param]) -> Result<u64, DbError>;
    /// Runs one statement once per parameter set, in order: one `BatchExecuteStatement` call on
    /// the Data API, whatever the number of sets (none: no call). Executors without batches run
    /// the sets one by one, with the same effect.
    async fn execute_batch(&mut self, sql: &'static str, sets: &[Vec<Param>]) -> Result<(), DbError> {
        for set in sets {
            self.execute(sql, set).await?;
        }
        Ok(())
    }
    /// Makes every change of the transaction durable, or none of them.
    async fn commit(self: Box<Self>) -> Result<(), DbError>;
    /// Discards every change of the transaction.
    async fn rollback(self: Box<Self>) -> Result<(), DbError>;
}

/// Runs the shared SQL texts against one database.
///
/// SQL texts are `&'static str` on purpose: statements are constants, never assembled from input.
#[async_trait]
pub trait SqlExecutor: Send + Sync {
    /// Runs a statement that returns rows, outside any explicit transaction.
    async fn query(&self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError>;
    /// Runs a statement and returns the number of rows it changed (autocommit).
    async fn execute(&self, sql: &'static str, params: &[Param]) -> Result<u64, DbError>;
    /// Runs one statement once per parameter set (autocommit): one `BatchExecuteStatement` call on
    /// the Data API (none for no sets); elsewhere the sets one by one.
    async fn execute_batch(&self, sql: &'static str, sets: &[Vec<Param>]) -> Result<(), DbError> {
        for set in sets {
            self.execute(sql, set).await?;
        }
        Ok(())
    }
    /// Starts a transaction.
    async fn begin(&self) -> Result<Box<dyn SqlTransaction>, DbError>;
    /// Which dialect's migrations this database takes.
    fn dialect(&self) -> Dialect;
}

/// The schema dialect: DDL differs, queries do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL, through the Data API or a direct connection.
    Postgres,
    /// The embedded SQLite database file.
    Sqlite,
}

/// Copies `sql`, handing each `:name` placeholder to `placeholder` (which writes what replaces
/// it); quoted text and `::` casts are copied as they are. The one scanner of the placeholder
/// rewrites below.
fn rewrite_placeholders(sql: &str, mut placeholder: impl FnMut(&str, &mut String)) -> String {
    let mut out = String::with_capacity(sql.len());
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    let mut in_quote = false;
    while i < chars.len() {
        let c = chars[i];
        if in_quote || c == '\'' {
            if c == '\'' {
                in_quote = !in_quote;
            }
            out.push(c);
            i += 1;
            continue;
        }
        if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push_str("::");
            i += 2;
            continue;
        }
        if c == ':' && chars.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic() || *n == '_') {
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && (chars[end].is_ascii_alphanumeric() || chars[end] == '_') {
                end += 1;
            }
            let name: String = chars[start..end].iter().collect();
            placeholder(&name, &mut out);
            i = end;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Rewrites `:name` placeholders into positional ones (`$1` for PostgreSQL), returning the names in
/// order of first appearance. Quoted text and `::` casts are left alone.
pub fn positional_placeholders(sql: &str) -> (String, Vec<String>) {
    let mut names: Vec<String> = Vec::new();
    let out = rewrite_placeholders(sql, |name, out| {
        let position = match names.iter().position(|n| n == name) {
            Some(p) => p + 1,
            None => {
                names.push(name.to_owned());
                names.len()
            }
        };
        out.push('$');
        out.push_str(&position.to_string());
    });
    (out, names)
}

/// The names of the parameters that hold instants, in any of `sets`.
pub fn timestamp_names<'a>(sets: impl IntoIterator<Item = &'a [Param]>) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for set in sets {
        for param in set {
            if matches!(param.value, SqlValue::Timestamp(_)) && !names.contains(&param.name) {
                names.push(param.name);
            }
        }
    }
    names
}

/// `sql` with each use of an instant parameter (`names`) read as UTC whatever the session's
/// `timezone` says: `:at` becomes `(CAST(:at AS timestamp) AT TIME ZONE 'UTC')`.
///
/// PostgreSQL (Aurora through the Data API, whose `TIMESTAMP` type hint is a timestamp *without*
/// zone, and the direct executor, which binds the same type) converts such a value to `timestamptz`
/// in the session's time zone: on a cluster whose `timezone` is not UTC every instant would be
/// stored and compared hours off. `AT TIME ZONE 'UTC'` reads it as UTC instead, and the cast keeps a
/// NULL typed. The SQL text is still the constant's, with the same bound parameters: only how they
/// are read changes. Quoted text and `::` casts are left alone.
pub fn utc_timestamp_parameters<'a>(sql: &'a str, names: &[&str]) -> std::borrow::Cow<'a, str> {
    if names.is_empty() {
        return std::borrow::Cow::Borrowed(sql);
    }
    std::borrow::Cow::Owned(rewrite_placeholders(sql, |name, out| {
        if names.contains(&name) {
            out.push_str(&format!("(CAST(:{name} AS timestamp) AT TIME ZONE 'UTC')"));
        } else {
            out.push(':');
            out.push_str(name);
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instant_parameters_are_read_as_utc_and_nothing_else_changes() {
        let sql = "UPDATE t SET at = :at, n = :n WHERE since >= :at AND s = ':at' AND x::text = :n";
        assert_eq!(
            utc_timestamp_parameters(sql, &["at"]),
            "UPDATE t SET at = (CAST(:at AS timestamp) AT TIME ZONE 'UTC'), n = :n WHERE since >= \
             (CAST(:at AS timestamp) AT TIME ZONE 'UTC') AND s = ':at' AND x::text = :n"
        );
        assert!(matches!(
            utc_timestamp_parameters(sql, &[]),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(utc_timestamp_parameters("WHERE a = :at_2", &["at"]), "WHERE a = :at_2");
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let sets = [
            vec![
                Param {
                    name: "at",
                    value: SqlValue::Null,
                },
                Param {
                    name: "n",
                    value: SqlValue::Int(1),
                },
            ],
            vec![Param {
                name: "at",
                value: SqlValue::Timestamp(now),
            }],
        ];
        assert_eq!(timestamp_names(sets.iter().map(Vec::as_slice)), vec!["at"]);
    }

    #[test]
    fn placeholders_become_positional_in_order_of_first_use() {
        let (sql, names) = positional_placeholders(
            "SELECT a FROM t WHERE a = :a AND b = :b_2 OR a = :a AND c = 'x:y' AND d::text = ''",
        );
        assert_eq!(
            sql,
            "SELECT a FROM t WHERE a = $1 AND b = $2 OR a = $1 AND c = 'x:y' AND d::text = ''"
        );
        assert_eq!(names, vec!["a".to_string(), "b_2".to_string()]);
    }
}
