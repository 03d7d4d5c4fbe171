//! Event-driven functions: the SQS consumers (cache invalidation, status events from the matching
//! and selection services) and the scheduled outbox relay. Also what every write does after its
//! transaction commits: write the cache through and publish the change events.

pub mod attachments;
pub mod cache_invalidation;
pub mod outbox_relay;
pub mod status_events;

use crate::app::App;
use crate::domain::events::ChangeEvent;
use crate::ports::cache::WriteThrough;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse};

/// After a commit: put the new state in the cache (conditional on its version) and publish the
/// events, marking them sent. Failures are not the client's: the data is committed, the cache
/// entry expires or is invalidated, and the relay publishes what was left in the outbox. A
/// publish failure is still an ERROR line and an `OutboxPublishFailures` metric, so that it alarms.
pub async fn after_commit(app: &App, cache_entry: Option<WriteThrough>, events: &[ChangeEvent]) {
    if let Some(entry) = cache_entry
        && let Err(error) = app.cache.put(&entry.key, entry.version, &entry.body, entry.ttl).await
    {
        tracing::warn!(%error, key = entry.key, "write-through to the cache failed; the entry will be invalidated");
    }
    publish(app, events).await;
}

/// What one publish did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Published {
    /// Events the queue accepted (and that are marked sent).
    pub sent: usize,
    /// Events a delivering publisher refused or could not take; they stay in the outbox.
    pub failed: usize,
}

/// Publishes events and marks the accepted ones as sent. Events a delivering publisher did not
/// accept are logged as an ERROR and counted in the `OutboxPublishFailures` metric; a process
/// without a queue ([`crate::ports::events::OutboxOnly`]) leaves them to the relay silently.
pub async fn publish(app: &App, events: &[ChangeEvent]) -> Published {
    if events.is_empty() {
        return Published::default();
    }
    let published = match app.publisher.publish(events).await {
        Ok(published) => {
            if !published.is_empty()
                && let Err(error) = app.outbox.mark_published(&published, app.clock.now()).await
            {
                tracing::warn!(%error, "published events could not be marked; the relay may send them again (consumers deduplicate)");
            }
            published.len()
        }
        Err(error) => {
            if app.publisher.delivers() {
                tracing::error!(%error, events = events.len(), "publishing failed; the events stay in the outbox for the relay");
            }
            0
        }
    };
    let failed = if app.publisher.delivers() {
        events.len().saturating_sub(published)
    } else {
        0
    };
    if failed > 0 {
        if published > 0 {
            tracing::error!(
                failed,
                sent = published,
                "some events were not accepted; they stay in the outbox for the relay"
            );
        }
        crate::metrics::outbox_publish_failures(failed as u64);
    }
    Published {
        sent: published,
        failed,
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
