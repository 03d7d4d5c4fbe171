//! An executor that remembers every SQL text it runs, so that a suite can prove it ran each text
//! of a list (`statements::ALL`, `privacy_sql::ALL`, the reports' and jobs'), on each backend.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use oms::sql::{DbError, Dialect, Param, Row, SqlExecutor, SqlTransaction};

/// Runs everything on `inner`, noting each SQL text in `seen` (shared by the executors of a
/// suite's scenarios).
pub struct Recording {
    /// The executor that runs the statements.
    pub inner: Arc<dyn SqlExecutor>,
    /// Every SQL text run, in order, repeats included.
    pub seen: Arc<Mutex<Vec<&'static str>>>,
}

struct RecordingTx {
    inner: Box<dyn SqlTransaction>,
    seen: Arc<Mutex<Vec<&'static str>>>,
}

fn note(seen: &Mutex<Vec<&'static str>>, sql: &'static str) {
    seen.lock().unwrap_or_else(|e| e.into_inner()).push(sql);
}

#[async_trait]
impl SqlTransaction for RecordingTx {
    async fn query(&mut self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        note(&self.seen, sql);
        self.inner.query(sql, params).await
    }
    async fn execute(&mut self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        note(&self.seen, sql);
        self.inner.execute(sql, params).await
    }
    async fn commit(self: Box<Self>) -> Result<(), DbError> {
        self.inner.commit().await
    }
    async fn rollback(self: Box<Self>) -> Result<(), DbError> {
        self.inner.rollback().await
    }
}

#[async_trait]
impl SqlExecutor for Recording {
    async fn query(&self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        note(&self.seen, sql);
        self.inner.query(sql, params).await
    }
    async fn execute(&self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        note(&self.seen, sql);
        self.inner.execute(sql, params).await
    }
    async fn begin(&self) -> Result<Box<dyn SqlTransaction>, DbError> {
        Ok(Box::new(RecordingTx {
            inner: self.inner.begin().await?,
            seen: self.seen.clone(),
        }))
    }
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }
}
