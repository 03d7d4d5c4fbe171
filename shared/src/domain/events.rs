//! Change events, written to the outbox in the same transaction as the change they describe.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

/// A committed change, for the cache-invalidation function and the matching services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeEvent {
    /// Event id: consumers deduplicate by it.
    pub id: Uuid,
    /// `OpportunityCreated`, `OpportunityUpdated`, `OpportunitySubmitted`, `OpportunityCancelled`, ...
    pub event_type: String,
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

impl ChangeEvent {
    /// The cache keys this event makes stale.
    pub fn cache_keys(&self) -> Vec<String> {
        match self.event_type.as_str() {
            "SkillCreated" => vec![crate::ports::cache::SKILLS_CATALOG_KEY.to_owned()],
            _ => vec![crate::ports::cache::opportunity_key(self.aggregate_id)],
        }
    }
}
