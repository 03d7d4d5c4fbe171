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
/// The committed events are also the business figures (opportunities created, submitted,
/// cancelled, completed; ARR submitted), counted here once per commit, never by the relay.
pub async fn after_commit(app: &App, cache_entry: Option<WriteThrough>, events: &[ChangeEvent]) {
    record_business_figures(events);
    if let Some(entry) = cache_entry
        && let Err(error) = app.cache.put(&entry.key, entry.version, &entry.body, entry.ttl).await
    {
        tracing::warn!(%error, key = entry.key, "write-through to the cache failed; the entry will be invalidated");
    }
    publish(app, events).await;
}

/// The business metrics of committed change events.
pub fn record_business_figures(events: &[ChangeEvent]) {
    use crate::metrics::{
        OPPORTUNITIES_CANCELLED, OPPORTUNITIES_COMPLETED, OPPORTUNITIES_CREATED, OPPORTUNITIES_SUBMITTED, record,
    };
    for event in events {
        match event.event_type.as_str() {
            "OpportunityCreated" => record(OPPORTUNITIES_CREATED, 1.0),
            "OpportunitySubmitted" => {
                record(OPPORTUNITIES_SUBMITTED, 1.0);
                let arr = &event.detail["annual_recurring_revenue"];
                if let (Some(amount), Some(currency)) = (
                    arr["amount"].as_str().and_then(|a| a.parse::<f64>().ok()),
                    arr["currency"].as_str(),
                ) {
                    crate::metrics::record_revenue(currency, amount);
                }
            }
            "OpportunityCancelled" => record(OPPORTUNITIES_CANCELLED, 1.0),
            "OpportunityStatusChanged" if event.detail["status"] == "completed" => {
                record(OPPORTUNITIES_COMPLETED, 1.0);
            }
            _ => {}
        }
    }
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
            let now = app.clock.now();
            let lag_ms = events
                .iter()
                .filter(|e| published.contains(&e.id))
                .map(|e| (now - e.occurred_at).whole_milliseconds().max(0) as f64)
                .fold(None, |max: Option<f64>, lag| Some(max.map_or(lag, |m| m.max(lag))));
            if let Some(lag_ms) = lag_ms {
                crate::metrics::record(crate::metrics::OUTBOX_PUBLISHED, published.len() as f64);
                crate::metrics::record(crate::metrics::OUTBOX_LAG, lag_ms);
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
