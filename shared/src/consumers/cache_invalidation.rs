//! `cache-invalidation`: consumes change events from SQS and marks the affected cache entries
//! stale at the event's version. Messages are processed independently; only the failed ones are
//! reported (partial batch response) and return to the queue; poison messages reach the
//! dead-letter queue through the queue's redrive policy.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

use super::batch_response;
use crate::app::App;
use crate::domain::events::ChangeEvent;

/// Handles one SQS batch.
pub async fn handle(app: &App, event: SqsEvent) -> SqsBatchResponse {
    let mut failed = Vec::new();
    for record in &event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let outcome = match serde_json::from_str::<ChangeEvent>(record.body.as_deref().unwrap_or_default()) {
            Err(error) => Err(format!("not a change event: {error}")),
            Ok(change) => {
                let mut result = Ok(());
                for key in crate::ports::cache::keys_made_stale(&change) {
                    if let Err(error) = app.cache.invalidate(&key, change.aggregate_version).await {
                        result = Err(error.to_string());
                    }
                }
                result
            }
        };
        if let Err(reason) = outcome {
            tracing::warn!(
                message_id = id,
                reason,
                "invalidation failed; the message returns to the queue"
            );
            failed.push(id);
        }
    }
    batch_response(failed)
}
