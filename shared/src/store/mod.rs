//! The system of record behind the store ports: one implementation over [`crate::sql::SqlExecutor`],
//! so Aurora (Data API), the test PostgreSQL and the embedded SQLite file run the same code and SQL.

pub mod jobs;
pub mod privacy;
pub mod privacy_sql;
pub mod reports;
pub mod round_trips;
mod sql_store;
pub mod statements;

pub use sql_store::{NO_START_DATE, SqlStore};
