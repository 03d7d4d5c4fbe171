//! The system of record behind the store ports: one implementation over [`crate::sql::SqlExecutor`],
//! so Aurora (Data API), the test PostgreSQL and the embedded SQLite file run the same code and SQL.

mod attachment_store;
mod catalog_store;
pub mod jobs;
mod opportunity_changes;
mod opportunity_store;
mod outbox_store;
pub mod privacy;
pub mod privacy_sql;
pub mod reports;
pub mod round_trips;
mod sql_store;
pub mod statements;

pub use sql_store::SqlStore;

/// The store port's failure for a database error: the adapter's own error type stays behind the
/// port, which only says the database failed and why, in words.
impl From<crate::sql::DbError> for crate::ports::store::StoreError {
    fn from(error: crate::sql::DbError) -> Self {
        crate::ports::store::StoreError::Database(error.to_string())
    }
}
