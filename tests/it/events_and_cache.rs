//! Change events, the cache and status events, in process: the transactional outbox and its
//! relay, cache-aside reads with write-through and event-driven invalidation under races, and the
//! status-event consumer. Queues are the embedded SQS stand-in, so partial batch responses,
//! redelivery and dead-lettering behave as in AWS.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use oms::adapters::local_queue::LocalQueue;
use oms::adapters::memory_cache::MemoryCache;
use oms::app::App;
use oms::consumers::{cache_invalidation, outbox_relay, status_events};
use oms::domain::events::ChangeEvent;
use oms::ports::cache::{Cache, CacheEntry, CacheError, opportunity_key};
use oms::ports::events::{EventPublisher, PublishError};
use oms_tests::{api_event, call, opportunity_body};
use serde_json::{Value, json};
use uuid::Uuid;

const ALICE: &str = "alice";

async fn app_with(cache: Arc<dyn Cache>, publisher: Arc<dyn EventPublisher>) -> (App, tempfile::TempDir) {
    let (executor, dir) = oms_tests::sqlite_executor().await;
    let mut app = App::over_sql(executor);
    app.cache = cache;
    app.publisher = publisher;
    (app, dir)
}

async fn create(app: &App) -> Uuid {
    let (status, body) = call(
        app,
        "create-opportunity",
        api_event(
            "create-opportunity",
            None,
            Some(opportunity_body("Cached", "Contoso")),
            ALICE,
            "SalesManager",
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().parse().unwrap()
}

async fn get(app: &App, id: Uuid) -> Value {
    let (status, body) = call(
        app,
        "get-opportunity",
        api_event("get-opportunity", Some(id), None, ALICE, "SalesManager"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn patch_title(app: &App, id: Uuid, title: &str) -> u16 {
    call(
        app,
        "patch-opportunity",
        api_event(
            "patch-opportunity",
            Some(id),
            Some(json!({ "title": title })),
            ALICE,
            "SalesManager",
        ),
    )
    .await
    .0
}

/// Runs the cache-invalidation consumer until the queue is empty.
async fn drain(queue: &LocalQueue, app: &App) {
    while let Some(event) = queue.receive(10) {
        let response = cache_invalidation::handle(app, event.clone()).await;
        queue.acknowledge(&event, &response);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_right_after_an_update_sees_the_new_version() {
    let queue = Arc::new(LocalQueue::new("change-events", Duration::from_secs(30), 3));
    let cache = Arc::new(MemoryCache::new());
    let (app, _dir) = app_with(cache.clone(), queue.clone()).await;
    let id = create(&app).await;
    assert_eq!(get(&app, id).await["version"], 1);
    assert_eq!(
        cache.get(&opportunity_key(id)).await.unwrap().unwrap().version,
        1,
        "the read filled the cache"
    );
    assert_eq!(patch_title(&app, id, "Renamed").await, 200);
    let read = get(&app, id).await;
    assert_eq!(
        (read["version"].as_i64(), read["title"].as_str()),
        (Some(2), Some("Renamed"))
    );
    drain(&queue, &app).await;
    let after_invalidation = get(&app, id).await;
    assert_eq!(after_invalidation["version"], 2);
    // Another manager's cached opportunity is still a 404.
    let (status, _) = call(
        &app,
        "get-opportunity",
        api_event("get-opportunity", Some(id), None, "bob", "SalesManager"),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_readers_and_writers_leave_no_stale_entry_once_invalidation_ran() {
    let queue = Arc::new(LocalQueue::new("change-events", Duration::from_secs(30), 3));
    let cache = Arc::new(MemoryCache::new());
    let (app, _dir) = app_with(cache.clone(), queue.clone()).await;
    let app = Arc::new(app);
    let id = create(&app).await;
    let mut tasks = Vec::new();
    for w in 0..4 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                // A client retries what the service refused as a concurrent modification (409).
                while patch_title(&app, id, &format!("writer {w} round {i}")).await == 409 {}
            }
        }));
    }
    for _ in 0..6 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..30 {
                get(&app, id).await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    drain(&queue, &app).await;
    let stored = app.opportunities.get(id).await.unwrap().unwrap();
    assert_eq!(stored.version, 41, "every write landed");
    if let Some(entry) = cache.get(&opportunity_key(id)).await.unwrap() {
        assert_eq!(
            entry.version, stored.version,
            "the cache holds an older version than the database"
        );
    }
    assert_eq!(get(&app, id).await["version"], stored.version);
}

/// A publisher that can be switched off, as SQS being unreachable.
struct Flaky {
    up: AtomicBool,
    inner: Arc<LocalQueue>,
}

#[async_trait]
impl EventPublisher for Flaky {
    async fn publish(&self, events: &[ChangeEvent]) -> Result<Vec<Uuid>, PublishError> {
        if self.up.load(Ordering::SeqCst) {
            self.inner.publish(events).await
        } else {
            Err(PublishError("queue unreachable".into()))
        }
    }
}

#[tokio::test]
async fn events_that_could_not_be_published_stay_in_the_outbox_until_the_relay_sends_them() {
    let queue = Arc::new(LocalQueue::new("change-events", Duration::from_secs(30), 3));
    let flaky = Arc::new(Flaky {
        up: AtomicBool::new(false),
        inner: queue.clone(),
    });
    let (app, _dir) = app_with(Arc::new(MemoryCache::new()), flaky.clone()).await;
    let reported_before = oms::metrics::outbox_publish_failures_reported();
    let id = create(&app).await;
    assert_eq!(
        patch_title(&app, id, "Still committed").await,
        200,
        "a publish failure is not the client's problem"
    );
    assert!(
        oms::metrics::outbox_publish_failures_reported() >= reported_before + 2,
        "each event that failed after its commit is counted in the OutboxPublishFailures metric"
    );
    assert_eq!(queue.depth(), 0);
    let pending = app.outbox.unpublished(100).await.unwrap();
    assert_eq!(pending.len(), 2, "the create and the update events wait in the outbox");
    let failed_run = outbox_relay::relay(&app).await.unwrap();
    assert_eq!((failed_run.found, failed_run.published, failed_run.failed), (2, 0, 2));
    let invocation = outbox_relay::handle(&app, json!({})).await;
    assert!(
        invocation.as_ref().is_err_and(|e| e.contains("2 of 2")),
        "a relay run that could not publish fails its invocation, so its Errors alarm fires: {invocation:?}"
    );
    flaky.up.store(true, Ordering::SeqCst);
    let run = outbox_relay::relay(&app).await.unwrap();
    assert_eq!((run.found, run.published, run.failed), (2, 2, 0));
    assert!(app.outbox.unpublished(100).await.unwrap().is_empty());
    assert_eq!(queue.depth(), 2);
    let delivered = queue.receive(10).unwrap();
    let types: Vec<String> = delivered
        .records
        .iter()
        .map(|r| {
            serde_json::from_str::<ChangeEvent>(r.body.as_deref().unwrap())
                .unwrap()
                .event_type
                .to_string()
        })
        .collect();
    assert_eq!(types, vec!["OpportunityCreated", "OpportunityUpdated"]);
    assert_eq!(
        outbox_relay::relay(&app).await.unwrap().found,
        0,
        "nothing is sent twice by the relay"
    );
    assert!(
        outbox_relay::handle(&app, json!({})).await.is_ok(),
        "a run with nothing left to publish succeeds"
    );
}

/// A cache that fails for one key, as a throttled DynamoDB partition.
struct FailingFor {
    key: String,
    inner: MemoryCache,
}

#[async_trait]
impl Cache for FailingFor {
    async fn get(&self, key: &str) -> Result<Option<CacheEntry>, CacheError> {
        if key == self.key {
            Err(CacheError("throttled".into()))
        } else {
            self.inner.get(key).await
        }
    }
    async fn put(&self, key: &str, version: i64, body: &str, ttl: time::Duration) -> Result<bool, CacheError> {
        if key == self.key {
            Err(CacheError("throttled".into()))
        } else {
            self.inner.put(key, version, body, ttl).await
        }
    }
    async fn invalidate(&self, key: &str, version: i64) -> Result<(), CacheError> {
        if key == self.key {
            Err(CacheError("throttled".into()))
        } else {
            self.inner.invalidate(key, version).await
        }
    }
}

#[tokio::test]
async fn a_failed_invalidation_returns_only_that_message_to_the_queue() {
    let queue = Arc::new(LocalQueue::new("change-events", Duration::from_millis(0), 3));
    let (plain, _d1) = app_with(Arc::new(MemoryCache::new()), queue.clone()).await;
    let first = create(&plain).await;
    let second = create(&plain).await;
    let third = create(&plain).await;
    let cache = Arc::new(FailingFor {
        key: opportunity_key(second),
        inner: MemoryCache::new(),
    });
    let mut app = plain.clone();
    app.cache = cache.clone();
    let event = queue.receive(10).unwrap();
    assert_eq!(event.records.len(), 3);
    let response = cache_invalidation::handle(&app, event.clone()).await;
    assert_eq!(response.batch_item_failures.len(), 1);
    let failed = &response.batch_item_failures[0].item_identifier;
    let failed_body = &event
        .records
        .iter()
        .find(|r| r.message_id.as_ref() == Some(failed))
        .unwrap()
        .body;
    assert!(failed_body.as_deref().unwrap().contains(&second.to_string()));
    queue.acknowledge(&event, &response);
    let retry = queue.receive(10).unwrap();
    assert_eq!(retry.records.len(), 1, "only the failed message is redelivered");
    assert_eq!(retry.records[0].message_id.as_ref(), Some(failed));
    // A cache outage degrades reads to the database, never to an error.
    let read = get(&app, second).await;
    assert_eq!(read["id"], second.to_string());
    let _ = (first, third);
    // A poison message ends in the dead-letter queue after the receive limit.
    queue.send("not a change event".into());
    for _ in 0..5 {
        if let Some(batch) = queue.receive(10) {
            let response = cache_invalidation::handle(&app, batch.clone()).await;
            queue.acknowledge(&batch, &response);
        }
    }
    assert!(
        queue
            .dead_letters()
            .iter()
            .any(|(body, _)| body == "not a change event")
    );
}

fn status_event(id: Uuid, status: &str, event_id: Uuid) -> String {
    json!({ "event_id": event_id, "opportunity_id": id, "status": status, "occurred_at": "2026-11-22T10:00:00Z", "source": "matching-service", "reason": "auto" }).to_string()
}

/// A new opportunity, made submittable and submitted through the API.
async fn submitted(app: &App) -> Uuid {
    let id = create(app).await;
    let markdown = "x".repeat(150);
    call(
        app,
        "put-problem-statement",
        api_event(
            "put-problem-statement",
            Some(id),
            Some(json!({ "markdown": markdown })),
            ALICE,
            "SalesManager",
        ),
    )
    .await;
    let items = json!({ "items": [{ "custom_name": "Rust", "category": "technical", "importance": "must_have", "min_proficiency": "expert" }] });
    call(
        app,
        "put-skill-requirements",
        api_event("put-skill-requirements", Some(id), Some(items), ALICE, "SalesManager"),
    )
    .await;
    assert_eq!(
        call(
            app,
            "submit-opportunity",
            api_event("submit-opportunity", Some(id), None, ALICE, "SalesManager")
        )
        .await
        .0,
        200
    );
    id
}

#[tokio::test]
async fn status_events_apply_once_with_history_and_bad_ones_are_parked() {
    let dead = Arc::new(LocalQueue::new("status-dlq", Duration::from_secs(30), 3));
    let queue = Arc::new(LocalQueue::new("status-events", Duration::from_secs(30), 3));
    let cache = Arc::new(MemoryCache::new());
    let (mut app, _dir) = app_with(
        cache.clone(),
        Arc::new(LocalQueue::new("change-events", Duration::from_secs(30), 3)),
    )
    .await;
    app.dead_letters = dead.clone();
    let id = submitted(&app).await;

    let matching = Uuid::now_v7();
    queue.send(status_event(id, "matching_in_progress", matching));
    queue.send(status_event(id, "matching_in_progress", matching)); // redelivery of the same event
    queue.send(status_event(id, "submitted", Uuid::now_v7())); // not a status events set
    queue.send(status_event(Uuid::now_v7(), "matches_found", Uuid::now_v7())); // unknown opportunity
    queue.send("{\"garbage\": true}".into());
    let batch = queue.receive(10).unwrap();
    let response = status_events::handle(&app, batch.clone()).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "nothing here is worth retrying"
    );
    queue.acknowledge(&batch, &response);
    assert_eq!(queue.depth(), 0);
    let reasons: Vec<String> = dead.dead_letters().into_iter().map(|(_, reason)| reason).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("not set by events"), "{reasons:?}");
    assert!(reasons[1].starts_with("unknown opportunity"), "{reasons:?}");
    assert!(reasons[2].starts_with("malformed"), "{reasons:?}");

    let read = get(&app, id).await;
    assert_eq!(read["status"], "matching_in_progress");
    assert_eq!(
        cache.get(&opportunity_key(id)).await.unwrap().unwrap().version,
        read["version"].as_i64().unwrap(),
        "written through"
    );
    let (_, history) = call(
        &app,
        "get-opportunity-history",
        api_event("get-opportunity-history", Some(id), None, ALICE, "SalesManager"),
    )
    .await;
    let last = history["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["from"].as_str(), last["to"].as_str(), last["actor"].as_str()),
        (
            Some("submitted"),
            Some("matching_in_progress"),
            Some("matching-service")
        )
    );
    let applied = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["to"] == "matching_in_progress")
        .count();
    assert_eq!(applied, 1, "the redelivered event was applied once");

    // A stale event (the opportunity is already there) is parked too.
    queue.send(status_event(id, "matching_in_progress", Uuid::now_v7()));
    let batch = queue.receive(10).unwrap();
    let response = status_events::handle(&app, batch.clone()).await;
    assert!(response.batch_item_failures.is_empty());
    assert!(dead.dead_letters().last().unwrap().1.starts_with("stale"));
}

/// The status-events consumer with its queues: the source (redelivering at once) and where it parks.
async fn status_consumer(max_receives: u32) -> (App, Arc<LocalQueue>, Arc<LocalQueue>, tempfile::TempDir) {
    let dead = Arc::new(LocalQueue::new("status-dlq", Duration::from_secs(30), 3));
    let queue = Arc::new(LocalQueue::new("status-events", Duration::from_millis(0), max_receives));
    let (mut app, dir) = app_with(
        Arc::new(MemoryCache::new()),
        Arc::new(LocalQueue::new("change-events", Duration::from_secs(30), 3)),
    )
    .await;
    app.dead_letters = dead.clone();
    (app, queue, dead, dir)
}

/// One delivery round of the status-events queue; returns how many messages were received.
async fn deliver(app: &App, queue: &LocalQueue, max_receives: u32) -> usize {
    let Some(batch) = queue.receive(10) else { return 0 };
    let response = status_events::handle_with_receive_limit(app, batch.clone(), max_receives).await;
    queue.acknowledge(&batch, &response);
    batch.records.len()
}

async fn status_of(app: &App, id: Uuid) -> String {
    get(app, id).await["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_status_event_that_arrives_before_its_predecessor_waits_for_it_then_applies() {
    let (app, queue, dead, _dir) = status_consumer(5).await;
    let id = submitted(&app).await;
    queue.send(status_event(id, "matches_found", Uuid::now_v7()));
    assert_eq!(deliver(&app, &queue, 5).await, 1);
    assert_eq!(queue.depth(), 1, "returned to the queue, not lost");
    assert!(dead.dead_letters().is_empty(), "not parked on first sight");
    assert_eq!(status_of(&app, id).await, "submitted");
    queue.send(status_event(id, "matching_in_progress", Uuid::now_v7()));
    while deliver(&app, &queue, 5).await > 0 {}
    assert_eq!(
        status_of(&app, id).await,
        "matches_found",
        "both applied, in lifecycle order"
    );
    assert!(dead.dead_letters().is_empty(), "{:?}", dead.dead_letters());
    assert!(
        queue.dead_letters().is_empty(),
        "nothing reached the queue's own redrive"
    );
}

#[tokio::test]
async fn an_event_whose_predecessor_never_comes_is_parked_on_its_last_receive() {
    let (app, queue, dead, _dir) = status_consumer(3).await;
    let id = submitted(&app).await;
    queue.send(status_event(id, "completed", Uuid::now_v7()));
    for receive in 1..=2 {
        assert_eq!(deliver(&app, &queue, 3).await, 1);
        assert!(
            dead.dead_letters().is_empty(),
            "receive {receive} of 3 returns it to the queue"
        );
    }
    assert_eq!(deliver(&app, &queue, 3).await, 1);
    assert_eq!(queue.depth(), 0, "the last receive parks it");
    let parked = dead.dead_letters();
    assert_eq!(parked.len(), 1);
    assert!(
        parked[0].1.starts_with("out of order") && parked[0].1.contains("after 3 receives"),
        "{parked:?}"
    );
    assert!(
        queue.dead_letters().is_empty(),
        "parked by the consumer with its reason, not by redrive"
    );
    assert_eq!(status_of(&app, id).await, "submitted");
}

#[tokio::test]
async fn an_event_that_can_never_apply_is_parked_at_once() {
    let (app, queue, dead, _dir) = status_consumer(5).await;
    let id = submitted(&app).await;
    queue.send(status_event(id, "matching_in_progress", Uuid::now_v7()));
    queue.send(status_event(id, "matches_found", Uuid::now_v7()));
    while deliver(&app, &queue, 5).await > 0 {}
    assert_eq!(status_of(&app, id).await, "matches_found");
    // Behind the current status: it can never apply again.
    queue.send(status_event(id, "matching_in_progress", Uuid::now_v7()));
    assert_eq!(deliver(&app, &queue, 5).await, 1);
    assert_eq!(queue.depth(), 0, "not retried");
    let parked = dead.dead_letters();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert!(parked[0].1.starts_with("illegal"), "{parked:?}");
    // A cancelled opportunity cancelled before the event's predecessor may come back: it waits.
    let other = submitted(&app).await;
    let (status, body) = call(
        &app,
        "cancel-opportunity",
        api_event(
            "cancel-opportunity",
            Some(other),
            Some(json!({ "reason": "budget frozen" })),
            ALICE,
            "SalesManager",
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    queue.send(status_event(other, "matching_in_progress", Uuid::now_v7()));
    assert_eq!(deliver(&app, &queue, 5).await, 1);
    assert_eq!(queue.depth(), 1, "reactivation may still make it applicable");
}
