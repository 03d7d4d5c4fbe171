//! Change events to SQS, and parking unprocessable messages in a dead-letter queue.

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    MessageAttributeValue, MessageSystemAttributeNameForSends, MessageSystemAttributeValue,
    SendMessageBatchRequestEntry,
};
use uuid::Uuid;

use crate::domain::events::ChangeEvent;
use crate::ports::events::{DeadLetters, EventPublisher, PublishError};

/// Publishes change events to one SQS queue, ten per request. Each message carries the X-Ray
/// trace header of the invocation that sends it (`AWSTraceHeader`), so that its consumer's trace
/// joins the request's: after a commit that is the request that made the change.
#[derive(Clone)]
pub struct SqsPublisher {
    client: Client,
    queue_url: String,
}

impl SqsPublisher {
    /// Wraps a client built once per cold start.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        SqsPublisher {
            client,
            queue_url: queue_url.into(),
        }
    }
}

fn attribute(value: &str) -> Result<MessageAttributeValue, PublishError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| PublishError(e.to_string()))
}

#[async_trait]
impl EventPublisher for SqsPublisher {
    async fn publish(&self, events: &[ChangeEvent]) -> Result<Vec<Uuid>, PublishError> {
        let mut published = Vec::with_capacity(events.len());
        let trace = match crate::metrics::current_trace_header() {
            Some(header) => Some(
                MessageSystemAttributeValue::builder()
                    .data_type("String")
                    .string_value(header)
                    .build()
                    .map_err(|e| PublishError(e.to_string()))?,
            ),
            None => None,
        };
        for chunk in events.chunks(10) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, event) in chunk.iter().enumerate() {
                let body = serde_json::to_string(event).map_err(|e| PublishError(e.to_string()))?;
                let mut entry = SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .message_attributes("event_type", attribute(event.event_type.as_str())?);
                if let Some(trace) = &trace {
                    entry = entry
                        .message_system_attributes(MessageSystemAttributeNameForSends::AwsTraceHeader, trace.clone());
                }
                entries.push(entry.build().map_err(|e| PublishError(e.to_string()))?);
            }
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| PublishError(format!("{:?}", e.into_service_error())))?;
            for ok in output.successful() {
                if let Some(event) = ok.id().parse::<usize>().ok().and_then(|i| chunk.get(i)) {
                    published.push(event.id);
                }
            }
            for failed in output.failed() {
                tracing::warn!(
                    entry = failed.id(),
                    code = failed.code(),
                    "an event was not accepted by SQS; it stays in the outbox"
                );
            }
        }
        Ok(published)
    }
}

/// Sends unprocessable messages to a dead-letter queue, with the reason as an attribute.
#[derive(Clone)]
pub struct SqsDeadLetters {
    client: Client,
    queue_url: String,
}

impl SqsDeadLetters {
    /// Wraps a client built once per cold start.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        SqsDeadLetters {
            client,
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl DeadLetters for SqsDeadLetters {
    async fn park(&self, body: &str, reason: &str) -> Result<(), PublishError> {
        let reason: String = reason.chars().take(250).collect();
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_attributes("reason", attribute(&reason)?)
            .send()
            .await
            .map_err(|e| PublishError(format!("{:?}", e.into_service_error())))?;
        Ok(())
    }
}
