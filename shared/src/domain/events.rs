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
    /// What happened.
    pub event_type: ChangeKind,
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

/// The kinds of change event. Their names are the wire format (outbox rows, queue messages, the
/// `event_type` message attribute); a new kind is a new variant, never a new string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ChangeKind {
    /// A draft was created.
    OpportunityCreated,
    /// Any committed change to an opportunity (every write emits it, with the new status).
    OpportunityUpdated,
    /// Draft to submitted.
    OpportunitySubmitted,
    /// Cancelled, with the reason and the status it was cancelled in.
    OpportunityCancelled,
    /// Back from cancelled.
    OpportunityReactivated,
    /// A status the matching and selection services reported.
    OpportunityStatusChanged,
    /// A customer was added.
    CustomerCreated,
    /// A catalog skill was added.
    SkillCreated,
    /// An upload was registered.
    AttachmentRegistered,
    /// An uploaded attachment was checked and is available.
    AttachmentAvailable,
    /// An upload was refused (wrong size or checksum, or never completed).
    AttachmentRejected,
    /// An attachment was deleted.
    AttachmentDeleted,
}

impl ChangeKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::OpportunityCreated => "OpportunityCreated",
            ChangeKind::OpportunityUpdated => "OpportunityUpdated",
            ChangeKind::OpportunitySubmitted => "OpportunitySubmitted",
            ChangeKind::OpportunityCancelled => "OpportunityCancelled",
            ChangeKind::OpportunityReactivated => "OpportunityReactivated",
            ChangeKind::OpportunityStatusChanged => "OpportunityStatusChanged",
            ChangeKind::CustomerCreated => "CustomerCreated",
            ChangeKind::SkillCreated => "SkillCreated",
            ChangeKind::AttachmentRegistered => "AttachmentRegistered",
            ChangeKind::AttachmentAvailable => "AttachmentAvailable",
            ChangeKind::AttachmentRejected => "AttachmentRejected",
            ChangeKind::AttachmentDeleted => "AttachmentDeleted",
        }
    }
}

impl std::fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_serialises_as_its_wire_name() {
        for kind in [
            ChangeKind::OpportunityCreated,
            ChangeKind::SkillCreated,
            ChangeKind::AttachmentDeleted,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(kind.as_str()));
            assert_eq!(
                serde_json::from_value::<ChangeKind>(serde_json::json!(kind.as_str())).unwrap(),
                kind
            );
        }
    }
}
