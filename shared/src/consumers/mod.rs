//! Event-driven functions: the SQS consumers (cache invalidation, status events from the matching
//! and selection services) and the scheduled outbox relay. Also what every write does after its
//! transaction commits: write the cache through and publish the change events.

pub mod attachments;
pub mod cache_invalidation;
pub mod outbox_relay;
pub mod status_events;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse};
use time::Duration;

use crate::app::App;
use crate::domain::events::ChangeEvent;

/// After a commit: put the new state in the cache (conditional on its version) and publish the
/// events, marking them sent. Failures are logged, never returned: the data is committed, the
/// cache entry expires or is invalidated, and the relay publishes what was left in the outbox.
pub async fn after_commit(app: &App, cache_entry: Option<(String, i64, String, Duration)>, events: &[ChangeEvent]) {
    if let Some((key, version, body, ttl)) = cache_entry
        && let Err(error) = app.cache.put(&key, version, &body, ttl).await
    {
        tracing::warn!(%error, key, "write-through to the cache failed; the entry will be invalidated");
    }
    publish(app, events).await;
}

/// Publishes events and marks the accepted ones as sent.
pub async fn publish(app: &App, events: &[ChangeEvent]) -> usize {
    if events.is_empty() {
        return 0;
    }
    match app.publisher.publish(events).await {
        Ok(published) if published.is_empty() => 0,
        Ok(published) => {
            if let Err(error) = app.outbox.mark_published(&published, app.clock.now()).await {
                tracing::warn!(%error, "published events could not be marked; the relay may send them again (consumers deduplicate)");
            }
            published.len()
        }
        Err(error) => {
            tracing::warn!(%error, "publishing failed; the events stay in the outbox for the relay");
            0
        }
    }
}

/// A partial batch response naming the failed message ids.
pub fn batch_response(failed: Vec<String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for id in failed {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}
