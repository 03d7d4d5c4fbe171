//! Faults under load: the local server with its AWS adapters (DynamoDB cache, SQS change events)
//! pointed at a moto server of the test's own, which is stopped in the middle of a mixed load and
//! started again on the same port. Every request must still get its correct answer (reads fall
//! back to the database, writes commit and leave their events in the outbox), nothing
//! acknowledged may be lost, and the relay must publish every event that was pending once moto
//! is back. On SQLite and on PostgreSQL.
//!
//! moto keeps its state in memory only (its server has no persistence; its recorder replays
//! calls, which would replay the messages too): a restarted moto has no table and no queue, so
//! the test creates them again, as an operator would restore a service. Messages moto held when
//! it stopped die with it; they had been acknowledged by the queue, which is all the service can
//! know, so the test counts on the queue only what was pending at the restart.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use oms::ports::store::OutboxStore;
use oms::sql::SqlExecutor;
use oms::store::SqlStore;
use oms_tests::client::{Reply, Session};
use oms_tests::{LocalServer, opportunity_body};
use reqwest::Client;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

const TABLE: &str = "oms-cache";
const QUEUE: &str = "oms-change-events";
/// Workers, and create → read → update → read rounds per worker: 8 × 12 × 4 = 384 requests.
const WORKERS: usize = 8;
const ROUNDS: usize = 12;
const REQUESTS: usize = WORKERS * ROUNDS * 4;

/// moto's server binary: `OMS_TEST_MOTO_SERVER` (scripts/lib.sh exports it), else the project's
/// virtualenv, else `moto_server` on the PATH.
fn moto_binary() -> String {
    if let Ok(path) = std::env::var("OMS_TEST_MOTO_SERVER") {
        return path;
    }
    let venv = std::env::var("OMS_VENV").map_or_else(|_| oms_tests::workspace_root().join(".venv"), Into::into);
    let candidate = venv.join("bin/moto_server");
    if candidate.exists() {
        return candidate.display().to_string();
    }
    "moto_server".into()
}

struct Moto {
    port: u16,
    child: Option<Child>,
}

impl Moto {
    async fn start(port: u16) -> Moto {
        let mut moto = Moto { port, child: None };
        moto.restart().await;
        moto
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn restart(&mut self) {
        let child = Command::new(moto_binary())
            .args(["-H", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start moto_server (set OMS_TEST_MOTO_SERVER)");
        self.child = Some(child);
        let client = Client::new();
        for _ in 0..150 {
            if client
                .get(format!("{}/moto-api/", self.url()))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto did not start on port {}", self.port);
    }

    async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
            let _ = child.wait().await;
        }
    }

    async fn config(&self) -> aws_config::SdkConfig {
        oms_tests::moto_config_at(&self.url()).await
    }

    /// Creates the cache table and the change-event queue; returns the queue URL.
    async fn create_resources(&self) -> String {
        let config = self.config().await;
        oms_tests::create_cache_table(&aws_sdk_dynamodb::Client::new(&config), TABLE).await;
        aws_sdk_sqs::Client::new(&config)
            .create_queue()
            .queue_name(QUEUE)
            .send()
            .await
            .expect("create the queue")
            .queue_url
            .expect("queue url")
    }

    /// Every event id on the queue (received and deleted until it is empty).
    async fn drain(&self, queue_url: &str) -> Vec<uuid::Uuid> {
        let sqs = aws_sdk_sqs::Client::new(&self.config().await);
        let mut ids = Vec::new();
        let mut empty = 0;
        while empty < 2 {
            let received = sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("receive");
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                empty += 1;
                continue;
            }
            empty = 0;
            for message in messages {
                let body: Value = serde_json::from_str(message.body().unwrap_or_default()).expect("event JSON");
                ids.push(body["id"].as_str().and_then(|s| s.parse().ok()).expect("an event id"));
                sqs.delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(message.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete");
            }
        }
        ids
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// What went wrong with one request, if anything.
fn wrong(what: &str, reply: &Reply, expected: u16) -> Option<String> {
    (reply.status != expected).then(|| format!("{what}: {} (expected {expected}): {}", reply.status, reply.body))
}

/// One worker: create, read, update, read; every answer checked.
async fn worker(alice: Session, worker: usize, done: Arc<AtomicUsize>) -> (Vec<(String, String)>, Vec<String>) {
    let mut created = Vec::new();
    let mut errors = Vec::new();
    for round in 0..ROUNDS {
        let title = format!("Fault {worker}-{round}");
        let create = alice.create_opportunity(&opportunity_body(&title, "Contoso")).await;
        done.fetch_add(1, Ordering::SeqCst);
        if let Some(e) = wrong("create", &create, 201) {
            errors.push(e);
            continue;
        }
        let id = create.body["id"].as_str().unwrap_or_default().to_owned();
        let read = alice.get_opportunity(&id).await;
        done.fetch_add(1, Ordering::SeqCst);
        errors.extend(wrong("read", &read, 200));
        if read.body["title"] != title.as_str() || read.body["version"] != 1 {
            errors.push(format!("read of {id}: wrong content {}", read.body));
        }
        let patched = alice
            .if_match(1)
            .merge_patch_opportunity(&id, &json!({ "priority": "critical" }))
            .await;
        done.fetch_add(1, Ordering::SeqCst);
        errors.extend(wrong("update", &patched, 200));
        let again = alice.get_opportunity(&id).await;
        done.fetch_add(1, Ordering::SeqCst);
        errors.extend(wrong("read after update", &again, 200));
        if again.body["priority"] != "critical" || again.body["version"] != 2 {
            errors.push(format!("read after update of {id}: stale {}", again.body));
        }
        created.push((id, title));
    }
    (created, errors)
}

async fn moto_stops_and_restarts_under_load(database: &str, store: SqlStore, server: LocalServer, mut moto: Moto) {
    let queue_url = format!("{}/123456789012/{QUEUE}", moto.url());
    let alice = server.sales_manager("alice").await;
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| tokio::spawn(worker(alice.clone(), w, done.clone())))
        .collect();
    // Stop moto a quarter of the way in, start it again at 60 %.
    while done.load(Ordering::SeqCst) < REQUESTS / 4 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    moto.stop().await;
    let stopped_at = done.load(Ordering::SeqCst);
    while done.load(Ordering::SeqCst) < REQUESTS * 6 / 10 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pending_at_restart: BTreeSet<uuid::Uuid> = store
        .unpublished(100_000)
        .await
        .expect("outbox")
        .into_iter()
        .map(|e| e.id)
        .collect();
    let restarted_at = done.load(Ordering::SeqCst);
    moto.restart().await;
    assert_eq!(moto.create_resources().await, queue_url, "the same queue again");
    let mut created = Vec::new();
    let mut errors = Vec::new();
    for worker in workers {
        let (ids, problems) = worker.await.expect("a worker panicked");
        created.extend(ids);
        errors.extend(problems);
    }
    let load_took = started.elapsed();
    assert!(errors.is_empty(), "{database}: wrong answers: {errors:#?}");
    assert_eq!(created.len(), WORKERS * ROUNDS, "{database}: every create acknowledged");
    assert!(
        !pending_at_restart.is_empty(),
        "{database}: the outage left nothing in the outbox, so it proved nothing"
    );
    // The relay (every second here) empties the outbox once the queue is back.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = store.unpublished(100_000).await.expect("outbox").len();
        if left == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{database}: {left} events still unpublished");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let received: BTreeSet<uuid::Uuid> = moto.drain(&queue_url).await.into_iter().collect();
    let missing: Vec<_> = pending_at_restart.difference(&received).collect();
    assert!(
        missing.is_empty(),
        "{database}: pending events never reached the queue: {missing:?}"
    );
    // Every acknowledged write is there, in its final state.
    for (id, title) in &created {
        let body = alice.get_opportunity(id).await.body;
        assert_eq!(
            (
                body["title"].as_str(),
                body["priority"].as_str(),
                body["version"].as_i64()
            ),
            (Some(title.as_str()), Some("critical"), Some(2)),
            "{database}: {id}"
        );
    }
    eprintln!(
        "{database}: {REQUESTS} requests in {:.1} s, all answered correctly; moto stopped after {stopped_at} and \
         restarted after {restarted_at} requests; {} events pending at the restart, all {} on the queue afterwards \
         (it received {} events after the restart); {} opportunities read back in their final state",
        load_took.as_secs_f64(),
        pending_at_restart.len(),
        pending_at_restart.len(),
        received.len(),
        created.len()
    );
    server.stop().await;
    moto.stop().await;
}

/// The server's environment: its cache and change events in moto, a fast relay, one retry.
fn aws_environment(moto: &Moto, database: Option<String>) -> Vec<(&'static str, String)> {
    let mut environment = vec![
        ("AWS_ENDPOINT_URL", moto.url()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_MAX_ATTEMPTS", "2".into()),
        ("OMS_CACHE_TABLE", TABLE.into()),
        (
            "OMS_CHANGE_EVENTS_QUEUE_URL",
            format!("{}/123456789012/{QUEUE}", moto.url()),
        ),
        ("OMS_LOCAL_RELAY_SECONDS", "1".into()),
    ];
    if let Some(database) = database {
        environment.push(("OMS_DATABASE", database));
    }
    environment
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_stopped_and_restarted_under_load_loses_nothing_on_sqlite() {
    let moto = Moto::start(free_port()).await;
    moto.create_resources().await;
    let server = LocalServer::start_with(&aws_environment(&moto, None)).await;
    let executor: Arc<dyn SqlExecutor> = Arc::new(
        oms::sql::sqlite::SqliteExecutor::open(&server.data_dir.path().join("oms.sqlite3")).expect("open the file"),
    );
    moto_stops_and_restarts_under_load("sqlite", SqlStore::new(executor), server, moto).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_stopped_and_restarted_under_load_loses_nothing_on_postgres() {
    let moto = Moto::start(free_port()).await;
    moto.create_resources().await;
    let url = oms_tests::postgres_schema_url().await;
    let server = LocalServer::start_with(&aws_environment(&moto, Some(url.clone()))).await;
    let executor: Arc<dyn SqlExecutor> = Arc::new(oms::sql::postgres::PostgresExecutor::new(&url, 2));
    moto_stops_and_restarts_under_load("postgres", SqlStore::new(executor), server, moto).await;
}
