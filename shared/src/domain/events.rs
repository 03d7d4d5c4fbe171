//! Change events, written to the outbox in the same transaction as the change they describe.

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

/// A committed change, for the cache-invalidation function and the matching services.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeEvent {
    /// Event id: consumers deduplicate by it.
    pub id: Uuid,
    /// `OpportunityCreated`, `OpportunityUpdated`, `OpportunitySubmitted`, `OpportunityCancelled`, ...
    pub event_type: &'static str,
    /// The opportunity (or other aggregate) id.
    pub aggregate_id: Uuid,
    /// The aggregate's version after the change.
    pub aggregate_version: i64,
    /// When the change happened.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// Event-specific detail.
    pub detail: Value,
}
