//! Publishing committed change events (after the outbox has them) and dead-lettering messages
//! that can never succeed.

use async_trait::async_trait;
use uuid::Uuid;

use crate::domain::events::ChangeEvent;

/// A publishing failure: the events stay in the outbox and the relay sends them later.
#[derive(Debug, thiserror::Error)]
#[error("publishing failed: {0}")]
pub struct PublishError(pub String);

/// Sends change events to their consumers (SQS in AWS, the embedded queue locally).
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes the events; returns the ids that were accepted (the rest stay in the outbox).
    async fn publish(&self, events: &[ChangeEvent]) -> Result<Vec<Uuid>, PublishError>;

    /// Whether this publisher delivers at all: events it does not accept are failures to alarm
    /// on. Only [`OutboxOnly`] (no queue configured) answers `false`.
    fn delivers(&self) -> bool {
        true
    }
}

/// Leaves events in the outbox for the relay: for processes without a queue configured.
#[derive(Debug, Default, Clone, Copy)]
pub struct OutboxOnly;

#[async_trait]
impl EventPublisher for OutboxOnly {
    async fn publish(&self, _events: &[ChangeEvent]) -> Result<Vec<Uuid>, PublishError> {
        Ok(Vec::new())
    }

    fn delivers(&self) -> bool {
        false
    }
}

/// Parks a message that can never be processed (malformed, illegal, stale) where operators
/// look, instead of letting it be retried until the queue gives up.
#[async_trait]
pub trait DeadLetters: Send + Sync {
    /// Stores the message body with the reason.
    async fn park(&self, body: &str, reason: &str) -> Result<(), PublishError>;
}

/// Without a dead-letter queue configured: the message and the reason go to the error log.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoggedDeadLetters;

#[async_trait]
impl DeadLetters for LoggedDeadLetters {
    async fn park(&self, body: &str, reason: &str) -> Result<(), PublishError> {
        tracing::error!(
            reason,
            message = body,
            "message parked: no dead-letter queue configured"
        );
        Ok(())
    }
}
