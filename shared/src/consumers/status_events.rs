//! `opportunity-status-events`: applies status changes sent by the matching and selection services
//! (Matching in Progress, Matches Found, Architect Selected, Completed), with the same legal
//! transition checks and history records as the API. Each event is applied once (its id is
//! recorded in the same transaction); malformed, unknown, illegal or stale events are logged and
//! parked in the dead-letter queue at once instead of being retried. A standard queue reorders:
//! an event that arrives before the one it follows (`matches_found` while the opportunity is
//! still `submitted`) returns to the queue until its predecessor has been applied, and is parked
//! only on its last receive (`OMS_STATUS_EVENTS_MAX_RECEIVES`, the queue's `maxReceiveCount`).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{after_commit, batch_response};
use crate::app::App;
use crate::domain::events::ChangeEvent;
use crate::domain::history::{Change, HistoryEntry};
use crate::domain::lifecycle::{Action, Status, may_apply_later, next_status};
use crate::ports::store::{OpportunityUpdate, StoreError};

/// A status change from the matching or selection service.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusEvent {
    /// Unique per event; redeliveries carry the same id.
    pub event_id: Uuid,
    /// The opportunity.
    pub opportunity_id: Uuid,
    /// `matching_in_progress`, `matches_found`, `architect_selected` or `completed`.
    pub status: Status,
    /// When it happened at the source.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// The sending service (recorded as the history actor).
    pub source: String,
    /// Optional explanation.
    #[serde(default)]
    pub reason: Option<String>,
}

enum Outcome {
    Applied,
    Duplicate,
    /// Can never succeed: park it.
    Rejected(String),
    /// May succeed later: return it to the queue.
    Retry(String),
    /// Arrived before the event it follows: return it to the queue until its receives are spent.
    OutOfOrder(String),
}

/// The status-events queue's `maxReceiveCount` when `OMS_STATUS_EVENTS_MAX_RECEIVES` is unset.
pub const DEFAULT_MAX_RECEIVES: u32 = 5;

/// How many times the queue delivers a message before its redrive policy moves it
/// (`OMS_STATUS_EVENTS_MAX_RECEIVES`; the template sets the queue's `maxReceiveCount`).
pub fn max_receives() -> u32 {
    crate::app::env_var("OMS_STATUS_EVENTS_MAX_RECEIVES")
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_MAX_RECEIVES)
}

fn action_for(status: Status) -> Option<Action> {
    match status {
        Status::MatchingInProgress => Some(Action::StartMatching),
        Status::MatchesFound => Some(Action::MatchesFound),
        Status::ArchitectSelected => Some(Action::SelectArchitect),
        Status::Completed => Some(Action::Complete),
        _ => None,
    }
}

async fn apply(app: &App, body: &str) -> Outcome {
    let event: StatusEvent = match serde_json::from_str(body) {
        Ok(event) => event,
        Err(error) => return Outcome::Rejected(format!("malformed status event: {error}")),
    };
    let Some(action) = action_for(event.status) else {
        return Outcome::Rejected(format!("status {} is not set by events", event.status.as_str()));
    };
    match app.outbox.was_applied(event.event_id).await {
        Ok(true) => return Outcome::Duplicate,
        Ok(false) => {}
        Err(error) => return Outcome::Retry(error.to_string()),
    }
    for _ in 0..3 {
        let current = match app.opportunities.get(event.opportunity_id).await {
            Ok(Some(o)) => o,
            Ok(None) => return Outcome::Rejected(format!("unknown opportunity {}", event.opportunity_id)),
            Err(error) => return Outcome::Retry(error.to_string()),
        };
        let to = match next_status(current.status, action) {
            Ok(to) => to,
            Err(error) if current.status == event.status => {
                return Outcome::Rejected(format!("stale: already {}: {error}", current.status.as_str()));
            }
            Err(_) if may_apply_later(current.status, current.status_before_cancel, event.status) => {
                return Outcome::OutOfOrder(format!(
                    "out of order: {} cannot follow {} yet; waiting for the event it follows",
                    event.status.as_str(),
                    current.status.as_str()
                ));
            }
            Err(error) => return Outcome::Rejected(format!("illegal: {error}")),
        };
        let now = app.clock.now().max(current.updated_at);
        let mut next = current.clone();
        next.status = to;
        next.version = current.version + 1;
        next.updated_at = now;
        let change = |event_type: &str| ChangeEvent {
            id: app.ids.new_id(),
            event_type: event_type.to_owned(),
            aggregate_id: next.id,
            aggregate_version: next.version,
            occurred_at: now,
            detail: json!({ "status": to, "previous_status": current.status, "source": event.source, "source_event_id": event.event_id }),
        };
        let events = vec![change("OpportunityUpdated"), change("OpportunityStatusChanged")];
        let update = OpportunityUpdate {
            opportunity: next.clone(),
            expected_version: current.version,
            skill_requirements_changed: false,
            history: vec![HistoryEntry {
                change: Change::Status {
                    from: Some(current.status),
                    to,
                },
                at: now,
                actor: event.source.clone(),
                reason: event.reason.clone(),
            }],
            events: events.clone(),
            applies_event: Some(event.event_id),
        };
        match app.opportunities.update(update).await {
            Ok(()) => {
                let entry = crate::handlers::opportunities::cache_entry(app, &next).await;
                after_commit(app, entry, &events).await;
                return Outcome::Applied;
            }
            Err(StoreError::VersionConflict { .. }) => continue,
            Err(StoreError::AlreadyApplied) => return Outcome::Duplicate,
            Err(error) => return Outcome::Retry(error.to_string()),
        }
    }
    Outcome::Retry("the opportunity kept changing concurrently".into())
}

/// Handles one SQS batch of status events, with the receive limit from the environment.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    handle_with_receive_limit(app, event, max_receives()).await
}

/// How often this message was received (SQS's `ApproximateReceiveCount`; 1 when absent).
fn receive_count(record: &aws_lambda_events::event::sqs::SqsMessage) -> u32 {
    record
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(1)
}

async fn park(app: &App, id: &str, body: &str, reason: &str, failed: &mut Vec<String>) {
    tracing::warn!(
        message_id = id,
        reason,
        "status event rejected; parking it in the dead-letter queue"
    );
    match app.dead_letters.park(body, reason).await {
        Ok(()) => crate::metrics::record(crate::metrics::DEAD_LETTER_PARKS, 1.0),
        Err(error) => {
            tracing::error!(%error, message_id = id, "parking failed; the message returns to the queue");
            failed.push(id.to_owned());
        }
    }
}

/// Handles one SQS batch of status events; a message received `max_receives` times that still
/// waits for its predecessor is parked instead of returned.
pub async fn handle_with_receive_limit(app: &App, event: SqsEvent, max_receives: u32) -> SqsBatchResponse {
    let mut failed = Vec::new();
    for record in &event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let body = record.body.as_deref().unwrap_or_default();
        match apply(app, body).await {
            Outcome::Applied => tracing::info!(message_id = id, "status event applied"),
            Outcome::Duplicate => tracing::info!(message_id = id, "status event already applied"),
            Outcome::Rejected(reason) => park(app, &id, body, &reason, &mut failed).await,
            Outcome::OutOfOrder(reason) => {
                let received = receive_count(record);
                if received >= max_receives {
                    let reason = format!("{reason}; still not applicable after {received} receives");
                    park(app, &id, body, &reason, &mut failed).await;
                } else {
                    tracing::info!(message_id = id, reason, received, "status event returns to the queue");
                    failed.push(id);
                }
            }
            Outcome::Retry(reason) => {
                tracing::warn!(message_id = id, reason, "status event failed; it returns to the queue");
                failed.push(id);
            }
        }
    }
    batch_response(failed)
}
