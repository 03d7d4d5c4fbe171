//! An embedded queue with SQS semantics for the local server: at-least-once delivery in batches of
//! up to ten, a visibility timeout, redelivery of failed messages, a maximum receive count and a
//! dead-letter queue. Consumers get the real SQS event JSON and answer with a partial batch
//! response, exactly as the Lambda event source mapping expects.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde_json::json;
use uuid::Uuid;

use crate::domain::events::ChangeEvent;
use crate::ports::events::{DeadLetters, EventPublisher, PublishError};

#[derive(Debug, Clone)]
struct Message {
    id: String,
    body: String,
    trace_header: Option<String>,
    sent_at: time::OffsetDateTime,
    receive_count: u32,
    visible_at: Instant,
    receipt: Option<String>,
}

/// One queue and its dead-letter queue.
#[derive(Debug)]
pub struct LocalQueue {
    name: String,
    visibility_timeout: Duration,
    max_receives: u32,
    messages: Mutex<VecDeque<Message>>,
    dead: Mutex<Vec<(String, String)>>,
    arrived: tokio::sync::Notify,
}

impl LocalQueue {
    /// A queue; a message received `max_receives` times without being deleted is dead-lettered.
    pub fn new(name: impl Into<String>, visibility_timeout: Duration, max_receives: u32) -> Self {
        LocalQueue {
            name: name.into(),
            visibility_timeout,
            max_receives,
            messages: Mutex::new(VecDeque::new()),
            dead: Mutex::new(Vec::new()),
            arrived: tokio::sync::Notify::new(),
        }
    }

    /// Enqueues a message body.
    pub fn send(&self, body: String) {
        self.send_traced(body, None);
    }

    /// Enqueues a message body with an X-Ray trace header (SQS's `AWSTraceHeader` system
    /// attribute, delivered in the record's `attributes` as SQS does).
    pub fn send_traced(&self, body: String, trace_header: Option<String>) {
        let message = Message {
            id: Uuid::new_v4().to_string(),
            body,
            trace_header,
            sent_at: time::OffsetDateTime::now_utc(),
            receive_count: 0,
            visible_at: Instant::now(),
            receipt: None,
        };
        if let Ok(mut messages) = self.messages.lock() {
            messages.push_back(message);
        }
        self.arrived.notify_one();
    }

    /// Messages waiting or in flight.
    pub fn depth(&self) -> usize {
        self.messages.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Dead-lettered messages: body and reason.
    pub fn dead_letters(&self) -> Vec<(String, String)> {
        self.dead.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// Receives up to `max` visible messages as an SQS event, moving over-received ones to the
    /// dead-letter queue first.
    pub fn receive(&self, max: usize) -> Option<SqsEvent> {
        let now = Instant::now();
        let mut messages = self.messages.lock().ok()?;
        let mut dead = Vec::new();
        messages.retain(|m| {
            let exhausted = m.visible_at <= now && m.receive_count >= self.max_receives;
            if exhausted {
                dead.push((
                    m.body.clone(),
                    format!("received {} times without success", m.receive_count),
                ));
            }
            !exhausted
        });
        if !dead.is_empty()
            && let Ok(mut d) = self.dead.lock()
        {
            d.extend(dead);
        }
        let mut records = Vec::new();
        for message in messages.iter_mut().filter(|m| m.visible_at <= now).take(max) {
            message.receive_count += 1;
            message.visible_at = now + self.visibility_timeout;
            let receipt = Uuid::new_v4().to_string();
            message.receipt = Some(receipt.clone());
            let mut attributes = json!({
                "ApproximateReceiveCount": message.receive_count.to_string(),
                "SentTimestamp": (message.sent_at.unix_timestamp_nanos() / 1_000_000).to_string(),
                "SenderId": "000000000000",
                "ApproximateFirstReceiveTimestamp": (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).to_string()
            });
            if let Some(trace) = &message.trace_header {
                attributes["AWSTraceHeader"] = json!(trace);
            }
            records.push(json!({
                "messageId": message.id,
                "receiptHandle": receipt,
                "body": message.body,
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": format!("arn:aws:sqs:local:000000000000:{}", self.name),
                "awsRegion": "local"
            }));
        }
        if records.is_empty() {
            return None;
        }
        serde_json::from_value(json!({ "Records": records })).ok()
    }

    /// Deletes every message of the event except those the response names as failed.
    pub fn acknowledge(&self, event: &SqsEvent, response: &SqsBatchResponse) {
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        let done: Vec<&str> = event
            .records
            .iter()
            .filter(|r| !failed.contains(&r.message_id.as_deref().unwrap_or_default()))
            .filter_map(|r| r.receipt_handle.as_deref())
            .collect();
        if let Ok(mut messages) = self.messages.lock() {
            messages.retain(|m| m.receipt.as_deref().is_none_or(|r| !done.contains(&r)));
        }
    }

    /// Delivers batches to `consumer` until the process ends (the local event source mapping).
    pub async fn run_consumer<F, Fut>(&self, consumer: F)
    where
        F: Fn(SqsEvent) -> Fut,
        Fut: Future<Output = SqsBatchResponse>,
    {
        loop {
            match self.receive(10) {
                Some(event) => {
                    let response = consumer(event.clone()).await;
                    self.acknowledge(&event, &response);
                }
                None => {
                    let _ = tokio::time::timeout(Duration::from_millis(200), self.arrived.notified()).await;
                }
            }
        }
    }
}

#[async_trait]
impl EventPublisher for LocalQueue {
    async fn publish(&self, events: &[ChangeEvent]) -> Result<Vec<Uuid>, PublishError> {
        let trace = crate::metrics::current_trace_header();
        for event in events {
            self.send_traced(
                serde_json::to_string(event).map_err(|e| PublishError(e.to_string()))?,
                trace.clone(),
            );
        }
        Ok(events.iter().map(|e| e.id).collect())
    }
}

#[async_trait]
impl DeadLetters for LocalQueue {
    async fn park(&self, body: &str, reason: &str) -> Result<(), PublishError> {
        self.dead
            .lock()
            .map_err(|_| PublishError("queue lock poisoned".into()))?
            .push((body.to_owned(), reason.to_owned()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::sqs::BatchItemFailure;

    fn fail(id: &str) -> SqsBatchResponse {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id.to_owned();
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures.push(failure);
        response
    }

    #[test]
    fn failed_messages_come_back_after_the_visibility_timeout_then_go_to_the_dead_letter_queue() {
        let queue = LocalQueue::new("q", Duration::from_millis(0), 2);
        queue.send("a".into());
        queue.send("b".into());
        let first = queue.receive(10).unwrap();
        assert_eq!(first.records.len(), 2);
        let failed_id = first.records[0].message_id.clone().unwrap();
        queue.acknowledge(&first, &fail(&failed_id));
        assert_eq!(queue.depth(), 1, "only the failed message remains");
        let second = queue.receive(10).unwrap();
        assert_eq!(second.records[0].attributes["ApproximateReceiveCount"], "2");
        queue.acknowledge(&second, &fail(&failed_id));
        assert!(queue.receive(10).is_none());
        assert_eq!(queue.dead_letters().len(), 1);
        assert_eq!(queue.dead_letters()[0].0, "a");
    }

    #[tokio::test]
    async fn published_events_carry_the_trace_header_of_the_invocation_that_sent_them() {
        let queue = LocalQueue::new("q", Duration::from_secs(60), 3);
        let header = "Root=1-6745c2a0-5f3b9c1d2e4f6a8b0c1d2e3f;Parent=53995c3f42cd8ad8;Sampled=1";
        let event = ChangeEvent {
            id: Uuid::now_v7(),
            event_type: crate::domain::events::ChangeKind::OpportunityUpdated,
            aggregate_id: Uuid::now_v7(),
            aggregate_version: 2,
            occurred_at: time::OffsetDateTime::now_utc(),
            detail: json!({}),
        };
        let info = crate::metrics::InvocationInfo {
            operation: "test".into(),
            cold_start: false,
            trace_header: Some(header.into()),
        };
        crate::metrics::in_invocation(info, async {
            (
                queue.publish(std::slice::from_ref(&event)).await,
                crate::metrics::Outcome::Success,
            )
        })
        .await
        .unwrap();
        queue.publish(&[event]).await.unwrap();
        let batch = queue.receive(10).unwrap();
        assert_eq!(
            batch.records[0].attributes.get("AWSTraceHeader").map(String::as_str),
            Some(header)
        );
        assert!(
            !batch.records[1].attributes.contains_key("AWSTraceHeader"),
            "no trace outside an invocation"
        );
    }

    #[test]
    fn in_flight_messages_are_invisible() {
        let queue = LocalQueue::new("q", Duration::from_secs(60), 3);
        queue.send("a".into());
        assert!(queue.receive(10).is_some());
        assert!(queue.receive(10).is_none());
    }
}
