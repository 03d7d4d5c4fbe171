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

/// The `source` of the integration events on the bus.
pub const INTEGRATION_SOURCE: &str = "oms.opportunity-management";

/// The change event types published to the integration bus, each with its JSON Schema
/// (`schemas/events/<Type>.v1.json`) and sample (`events/integration/<Type>.json`).
pub const INTEGRATION_EVENT_TYPES: &[&str] = &[
    "OpportunityCreated",
    "OpportunityUpdated",
    "OpportunitySubmitted",
    "OpportunityCancelled",
    "OpportunityReactivated",
    "OpportunityStatusChanged",
    "CustomerCreated",
    "SkillCreated",
    "AttachmentRegistered",
    "AttachmentAvailable",
    "AttachmentRejected",
    "AttachmentDeleted",
];

/// A change event as the integration bus delivers it: EventBridge's envelope with the event's
/// type as `detail-type`, [`INTEGRATION_SOURCE`] as `source` and the change event itself as
/// `detail`. In AWS the EventBridge Pipe from the change-events queue builds exactly this (its
/// target parameters: `Source`, `DetailType: $.body.event_type`, `InputTemplate: <$.body>`) and
/// EventBridge sets `id`, `time`, `account` and `region`; the local server builds it here, with
/// the event's id and time.
pub fn integration_event(change: &ChangeEvent, account: &str, region: &str) -> Value {
    let time = change
        .occurred_at
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    serde_json::json!({
        "version": "0",
        "id": change.id,
        "detail-type": change.event_type,
        "source": INTEGRATION_SOURCE,
        "account": account,
        "time": time,
        "region": region,
        "resources": [],
        "detail": change,
    })
}
