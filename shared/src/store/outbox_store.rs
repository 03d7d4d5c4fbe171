//! [`OutboxStore`] over SQL: the transactional outbox the relay publishes from, and the
//! processed-event ids of the consumers.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::sql_store::*;
use super::statements as sql;
use crate::domain::events::ChangeEvent;
use crate::params;
use crate::ports::store::{OutboxStore, StoreError};
use crate::sql::{DbError, Param};

#[async_trait]
impl OutboxStore for SqlStore {
    async fn unpublished(&self, limit: i64) -> Result<Vec<ChangeEvent>, StoreError> {
        let rows = self
            .executor
            .query(sql::SELECT_UNPUBLISHED_EVENTS, &params!["limit" => limit])
            .await?;
        rows.iter()
            .map(|row| {
                serde_json::from_str(&row.text("payload")?)
                    .map_err(|e| StoreError::from(DbError::Decode(e.to_string())))
            })
            .collect()
    }

    /// One batch (one Data API call) for every event.
    async fn mark_published(&self, ids: &[Uuid], at: OffsetDateTime) -> Result<(), StoreError> {
        let sets: Vec<Vec<Param>> = ids
            .iter()
            .map(|id| Vec::from(params!["published_at" => at, "id" => *id]))
            .collect();
        self.executor.execute_batch(sql::MARK_EVENT_PUBLISHED, &sets).await?;
        Ok(())
    }

    async fn was_applied(&self, event_id: Uuid) -> Result<bool, StoreError> {
        Ok(!self
            .executor
            .query(sql::SELECT_PROCESSED_EVENT, &params!["event_id" => event_id])
            .await?
            .is_empty())
    }
}
