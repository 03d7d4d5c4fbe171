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

use super::batch_response;
use crate::app::App;
use crate::application::opportunity_writes::{self, Mutation, OnConflict, WriteError};
use crate::domain::events::ChangeKind;
use crate::domain::lifecycle::{Action, Status, may_apply_later};
use crate::domain::opportunity::Opportunity;
use crate::ports::store::StoreError;

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
    // The rule that decides, on each state the write path loads: applied, or why not.
    let load = || async {
        let in_view = crate::handlers::opportunities::ATTACHMENTS_IN_VIEW;
        match app
            .opportunities
            .get_with_attachments(event.opportunity_id, in_view)
            .await
        {
            Ok(Some(found)) => Ok(found),
            Ok(None) => Err(Outcome::Rejected(format!(
                "unknown opportunity {}",
                event.opportunity_id
            ))),
            Err(error) => Err(Outcome::Retry(error.to_string())),
        }
    };
    let compute = |current: &Opportunity, now| {
        let t = match current.advance(action, now, &event.source, event.reason.clone()) {
            Ok(t) => t,
            Err(error) if current.status == event.status => {
                return Err(Outcome::Rejected(format!(
                    "stale: already {}: {error}",
                    current.status.as_str()
                )));
            }
            Err(_) if may_apply_later(current.status, current.status_before_cancel, event.status) => {
                return Err(Outcome::OutOfOrder(format!(
                    "out of order: {} cannot follow {} yet; waiting for the event it follows",
                    event.status.as_str(),
                    current.status.as_str()
                )));
            }
            Err(error) => return Err(Outcome::Rejected(format!("illegal: {error}"))),
        };
        let detail = json!({
            "status": t.next.status,
            "previous_status": current.status,
            "source": event.source,
            "source_event_id": event.event_id,
        });
        Ok(Mutation {
            events: vec![(ChangeKind::OpportunityStatusChanged, detail)],
            ..Mutation::of(t.next, vec![t.history])
        })
    };
    let view = |o: Opportunity, attachments: Vec<crate::domain::attachment::Attachment>| async move {
        let body = crate::handlers::opportunities::view_json_with(&o, &attachments).map_err(|e| e.to_string())?;
        Ok((o, body))
    };
    match opportunity_writes::write(app, load, compute, view, OnConflict::Recompute, Some(event.event_id)).await {
        Ok(_) => Outcome::Applied,
        Err(WriteError::Refused(outcome)) => outcome,
        Err(WriteError::Store(StoreError::AlreadyApplied)) => Outcome::Duplicate,
        Err(WriteError::Store(error)) => Outcome::Retry(error.to_string()),
        // Committed; only the view for the cache failed: the entry expires or is invalidated.
        Err(WriteError::View(error)) => {
            tracing::warn!(%error, "applied, but the cache entry could not be built");
            Outcome::Applied
        }
        Err(WriteError::KeptChanging) => Outcome::Retry("the opportunity kept changing concurrently".into()),
    }
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
