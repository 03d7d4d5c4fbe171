//! Attachments and cache versions through the handlers, on SQLite and on PostgreSQL: single-use
//! upload URLs, objects that arrive late or replace a verified one, `Idempotency-Key` on
//! registration, the per-opportunity limits, and cache versions that strictly increase with every
//! change a cached view shows (attachments, the skills catalog), so that no stale view is cached.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use oms::adapters::local_objects::{LocalObjectStore, Refusal};
use oms::adapters::local_queue::LocalQueue;
use oms::adapters::memory_cache::MemoryCache;
use oms::app::App;
use oms::consumers::{attachments as completion, cache_invalidation};
use oms::domain::attachment::{AttachmentStatus, MAX_ATTACHMENTS_PER_OPPORTUNITY, object_key};
use oms::ports::Clock;
use oms::ports::cache::{Cache, CacheEntry, CacheError, SKILLS_CATALOG_KEY, opportunity_key};
use oms::ports::objects::{ObjectStore, UploadTerms};
use oms::sql::SqlExecutor;
use oms_tests::{api_event, call, opportunity_body};
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::sync::oneshot;
use uuid::Uuid;

const ALICE: &str = "alice";

struct Fixture {
    app: App,
    objects: LocalObjectStore,
    cache: Arc<MemoryCache>,
    queue: Arc<LocalQueue>,
    _dir: tempfile::TempDir,
}

fn fixture(executor: Arc<dyn SqlExecutor>) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let objects = oms_tests::attachment_fixtures::object_store(dir.path());
    let cache = Arc::new(MemoryCache::new());
    let queue = Arc::new(LocalQueue::new("change-events", Duration::from_secs(30), 3));
    let mut app = App::over_sql(executor);
    app.objects = Arc::new(objects.clone());
    app.cache = cache.clone();
    app.publisher = queue.clone();
    Fixture {
        app,
        objects,
        cache,
        queue,
        _dir: dir,
    }
}

async fn create_opportunity(app: &App) -> Uuid {
    let (status, body) = call(
        app,
        "create-opportunity",
        api_event(
            "create-opportunity",
            None,
            Some(opportunity_body("Attachments", "Contoso")),
            ALICE,
            "SalesManager",
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().parse().unwrap()
}

/// The bytes a registration of `size` is for: `hi` (the uploads below), repeated.
fn content(size: usize) -> Vec<u8> {
    b"hi".iter().cycle().take(size).copied().collect()
}

fn registration(size: usize) -> Value {
    json!({
        "file_name": "Angebot.txt", "content_type": "text/plain", "size_bytes": size,
        "sha256": oms_tests::attachment_fixtures::sha256_hex(&content(size)),
    })
}

async fn register_with(app: &App, opportunity: Uuid, body: Value, key: Option<&str>) -> (u16, Value) {
    let mut event = api_event("presign-upload", Some(opportunity), Some(body), ALICE, "SalesManager");
    if let Some(key) = key {
        event["headers"]["idempotency-key"] = json!(key);
    }
    call(app, "presign-upload", event).await
}

async fn register(app: &App, opportunity: Uuid, size: usize) -> Value {
    let (status, body) = register_with(app, opportunity, registration(size), None).await;
    assert_eq!(status, 201, "{body}");
    body
}

fn query_of(url: &str) -> BTreeMap<String, String> {
    url.split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            (
                k.to_owned(),
                percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned(),
            )
        })
        .collect()
}

fn key_of(registered: &Value) -> String {
    let opportunity: Uuid = registered["attachment"]["opportunity_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let attachment: Uuid = registered["attachment"]["id"].as_str().unwrap().parse().unwrap();
    object_key(opportunity, attachment)
}

/// The client's upload with the URL the registration returned.
fn upload(objects: &LocalObjectStore, registered: &Value, body: &[u8]) -> Result<(), Refusal> {
    let url = registered["upload"]["url"].as_str().unwrap();
    objects
        .accept_upload(&key_of(registered), &query_of(url), Some("text/plain"), body)
        .map(|_| ())
}

/// The S3 ObjectCreated notification for `key`, through attachment-complete.
async fn object_created(app: &App, key: &str) -> Value {
    let event = json!({ "Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "local",
        "eventTime": "2026-11-22T10:16:02.104Z", "eventName": "ObjectCreated:Put",
        "userIdentity": { "principalId": "local" },
        "requestParameters": { "sourceIPAddress": "127.0.0.1" },
        "responseElements": { "x-amz-request-id": "r", "x-amz-id-2": "r" },
        "s3": { "s3SchemaVersion": "1.0", "configurationId": "attachment-complete",
                "bucket": { "name": "b", "ownerIdentity": { "principalId": "local" }, "arn": "arn:aws:s3:::b" },
                "object": { "key": key, "size": 2, "eTag": "", "sequencer": "00" } }
    }]});
    completion::handle(app, serde_json::from_value(event).expect("an S3 event"))
        .await
        .expect("handled")
}

async fn attachment_status(app: &App, id: &str) -> AttachmentStatus {
    app.attachments
        .attachment(id.parse().unwrap())
        .await
        .unwrap()
        .expect("the record")
        .status
}

async fn get_opportunity(app: &App, id: Uuid) -> Value {
    let (status, body) = call(
        app,
        "get-opportunity",
        api_event("get-opportunity", Some(id), None, ALICE, "SalesManager"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn a_second_upload_to_a_still_valid_url_cannot_replace_a_verified_attachment(executor: Arc<dyn SqlExecutor>) {
    let f = fixture(executor);
    let opportunity = create_opportunity(&f.app).await;
    let registered = register(&f.app, opportunity, 2).await;
    assert_eq!(
        registered["upload"]["headers"]["if-none-match"], "*",
        "the client is told to send it"
    );
    let id = registered["attachment"]["id"].as_str().unwrap();
    upload(&f.objects, &registered, b"hi").expect("first upload");
    assert_eq!(
        object_created(&f.app, &key_of(&registered)).await["records"][0]["outcome"],
        "available"
    );
    assert_eq!(
        upload(&f.objects, &registered, b"hi"),
        Err(Refusal::AlreadyExists),
        "the URL was used, even for the same bytes"
    );
    assert!(
        upload(&f.objects, &registered, b"yo").is_err(),
        "other bytes are refused whatever else"
    );
    assert_eq!(attachment_status(&f.app, id).await, AttachmentStatus::Available);
    assert_eq!(
        f.objects.head(&key_of(&registered)).await.unwrap().unwrap().sha256,
        Some(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"hi")))
    );
}

async fn a_verified_object_replaced_by_another_is_rejected_and_removed(executor: Arc<dyn SqlExecutor>) {
    let f = fixture(executor);
    let opportunity = create_opportunity(&f.app).await;
    let registered = register(&f.app, opportunity, 2).await;
    let id = registered["attachment"]["id"].as_str().unwrap();
    let key = key_of(&registered);
    upload(&f.objects, &registered, b"hi").unwrap();
    object_created(&f.app, &key).await;
    assert_eq!(attachment_status(&f.app, id).await, AttachmentStatus::Available);
    // Someone with direct write access to the bucket replaces it (no URL of ours allows that).
    f.objects.delete(&key).await.unwrap();
    let other = UploadTerms {
        content_type: "text/plain".into(),
        size_bytes: 5,
        sha256: None,
    };
    let signed = f
        .objects
        .presign_upload(&key, &other, time::Duration::minutes(1))
        .await
        .unwrap();
    f.objects
        .accept_upload(&key, &query_of(&signed.url), Some("text/plain"), b"other")
        .unwrap();
    assert_eq!(
        object_created(&f.app, &key).await["records"][0]["outcome"],
        "replaced_object_rejected"
    );
    assert_eq!(attachment_status(&f.app, id).await, AttachmentStatus::Rejected);
    assert!(
        f.objects.head(&key).await.unwrap().is_none(),
        "unverified bytes are not served"
    );
    // A duplicate notification of the original upload changes nothing more.
    assert_eq!(
        object_created(&f.app, &key).await["records"][0]["outcome"],
        "late_object_deleted"
    );
}

async fn an_object_that_arrives_after_its_registration_was_rejected_or_deleted_is_removed(
    executor: Arc<dyn SqlExecutor>,
) {
    let f = fixture(executor);
    let opportunity = create_opportunity(&f.app).await;
    // Rejected by expire-uploads (its URL lapsed with no upload); the upload lands after.
    let expired = register(&f.app, opportunity, 2).await;
    let expired_id: Uuid = expired["attachment"]["id"].as_str().unwrap().parse().unwrap();
    let event = oms::handlers::attachments::attachment_event(
        &f.app,
        oms::domain::events::ChangeKind::AttachmentRejected,
        &f.app.attachments.attachment(expired_id).await.unwrap().unwrap(),
    );
    f.app
        .attachments
        .complete(
            expired_id,
            AttachmentStatus::Pending,
            AttachmentStatus::Rejected,
            Some("no upload arrived before the upload URL expired"),
            f.app.clock.now(),
            &event,
        )
        .await
        .unwrap()
        .expect("rejected");
    upload(&f.objects, &expired, b"hi").unwrap();
    assert_eq!(
        object_created(&f.app, &key_of(&expired)).await["records"][0]["outcome"],
        "late_object_deleted"
    );
    assert!(
        f.objects.head(&key_of(&expired)).await.unwrap().is_none(),
        "not kept for years"
    );
    // Deleted through the API before its upload arrived.
    let deleted = register(&f.app, opportunity, 2).await;
    let (status, _) = call(
        &f.app,
        "delete-attachment",
        api_event(
            "delete-attachment",
            Some(deleted["attachment"]["id"].as_str().unwrap().parse().unwrap()),
            None,
            ALICE,
            "SalesManager",
        ),
    )
    .await;
    assert_eq!(status, 204);
    upload(&f.objects, &deleted, b"hi").unwrap();
    assert_eq!(
        object_created(&f.app, &key_of(&deleted)).await["records"][0]["outcome"],
        "orphan_deleted"
    );
    assert!(f.objects.head(&key_of(&deleted)).await.unwrap().is_none());
    // Never registered at all.
    let unknown = object_key(opportunity, Uuid::now_v7());
    let signed = f
        .objects
        .presign_upload(
            &unknown,
            &UploadTerms {
                content_type: "text/plain".into(),
                size_bytes: 2,
                sha256: None,
            },
            time::Duration::minutes(1),
        )
        .await
        .unwrap();
    f.objects
        .accept_upload(&unknown, &query_of(&signed.url), Some("text/plain"), b"hi")
        .unwrap();
    assert_eq!(
        object_created(&f.app, &unknown).await["records"][0]["outcome"],
        "orphan_deleted"
    );
    assert!(f.objects.head(&unknown).await.unwrap().is_none());
}

async fn a_keyed_registration_is_answered_once(executor: Arc<dyn SqlExecutor>) {
    let f = fixture(executor);
    let opportunity = create_opportunity(&f.app).await;
    let (first_status, first) = register_with(&f.app, opportunity, registration(2), Some("upload-1")).await;
    assert_eq!(first_status, 201, "{first}");
    let (again_status, again) = register_with(&f.app, opportunity, registration(2), Some("upload-1")).await;
    assert_eq!(again_status, 201);
    assert_eq!(again, first, "the retry gets the first answer, URL included");
    let (reused, problem) = register_with(&f.app, opportunity, registration(3), Some("upload-1")).await;
    assert_eq!(
        (reused, problem["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    let listed = f.app.attachments.attachments(opportunity, None, 10).await.unwrap();
    assert_eq!(listed.len(), 1, "one attachment for one key");
    let (other_status, other) = register_with(&f.app, opportunity, registration(2), Some("upload-2")).await;
    assert_eq!(other_status, 201);
    assert_ne!(other["attachment"]["id"], first["attachment"]["id"]);
}

/// The idempotency record is claimed in the creating transaction: requests with one key that
/// race each other wait for the first to commit and then answer with its response, so exactly
/// one opportunity exists (on PostgreSQL the second claim blocks on the first's row).
async fn concurrent_creates_with_one_key_make_one_opportunity(executor: Arc<dyn SqlExecutor>) {
    let f = fixture(executor);
    let create = || {
        let mut event = api_event(
            "create-opportunity",
            None,
            Some(opportunity_body("Raced", "Contoso")),
            "alice",
            "SalesManager",
        );
        event["headers"]["idempotency-key"] = json!("raced-key");
        event
    };
    let racers: Vec<_> = (0..6)
        .map(|_| {
            let app = f.app.clone();
            let event = create();
            tokio::spawn(async move { call(&app, "create-opportunity", event).await })
        })
        .collect();
    let mut answers = Vec::new();
    for racer in racers {
        answers.push(racer.await.expect("racer"));
    }
    for (status, body) in &answers {
        assert_eq!(*status, 201, "{body}");
        assert_eq!(body, &answers[0].1, "every racer answers the first response");
    }
    let (_, list) = call(
        &f.app,
        "list-opportunities",
        api_event("list-opportunities", None, None, "alice", "SalesManager"),
    )
    .await;
    let titles: Vec<&Value> = list["items"].as_array().unwrap().iter().map(|o| &o["title"]).collect();
    assert_eq!(titles, vec!["Raced"], "one opportunity for one key");
}

async fn the_attachment_limit_is_a_conflict_with_a_stable_code(executor: Arc<dyn SqlExecutor>) {
    let f = fixture(executor);
    let opportunity = create_opportunity(&f.app).await;
    for _ in 0..MAX_ATTACHMENTS_PER_OPPORTUNITY {
        register(&f.app, opportunity, 1).await;
    }
    let (status, problem) = register_with(&f.app, opportunity, registration(1), None).await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["code"], "attachment_limit_reached");
    let (status, problem) = register_with(
        &f.app,
        create_opportunity(&f.app).await,
        json!({ "file_name": "big.pdf", "content_type": "application/pdf", "size_bytes": 104_857_600, "sha256": "ab".repeat(32) }),
        None,
    )
    .await;
    assert_eq!(status, 201, "another opportunity has its own limit: {problem}");
}

async fn every_attachment_change_makes_the_cached_view_newer(executor: Arc<dyn SqlExecutor>) {
    let f = fixture(executor);
    let opportunity = create_opportunity(&f.app).await;
    let mut versions = vec![get_opportunity(&f.app, opportunity).await["version"].as_i64().unwrap()];
    let registered = register(&f.app, opportunity, 2).await;
    let id = registered["attachment"]["id"].as_str().unwrap().to_owned();
    let view = get_opportunity(&f.app, opportunity).await;
    assert_eq!(
        view["attachments"][0]["status"], "pending",
        "the registration is visible at once"
    );
    versions.push(view["version"].as_i64().unwrap());
    upload(&f.objects, &registered, b"hi").unwrap();
    object_created(&f.app, &key_of(&registered)).await;
    let view = get_opportunity(&f.app, opportunity).await;
    assert_eq!(
        view["attachments"][0]["status"], "available",
        "not the cached pending view"
    );
    versions.push(view["version"].as_i64().unwrap());
    let (status, _) = call(
        &f.app,
        "delete-attachment",
        api_event(
            "delete-attachment",
            Some(id.parse().unwrap()),
            None,
            ALICE,
            "SalesManager",
        ),
    )
    .await;
    assert_eq!(status, 204);
    let view = get_opportunity(&f.app, opportunity).await;
    assert_eq!(view["attachments"], json!([]));
    versions.push(view["version"].as_i64().unwrap());
    assert!(
        versions.windows(2).all(|w| w[1] > w[0]),
        "each change a cached view shows has a newer version: {versions:?}"
    );
    // The change events carry those versions, so a late invalidation cannot hit a newer entry.
    let events: Vec<i64> = std::iter::from_fn(|| f.queue.receive(10))
        .flat_map(|batch| batch.records)
        .filter_map(|r| serde_json::from_str::<Value>(r.body.as_deref()?).ok())
        .filter(|e| e["event_type"].as_str().is_some_and(|t| t.starts_with("Attachment")))
        .map(|e| e["aggregate_version"].as_i64().unwrap())
        .collect();
    assert_eq!(events, versions[1..].to_vec());
    assert_eq!(
        f.cache
            .get(&opportunity_key(opportunity))
            .await
            .unwrap()
            .unwrap()
            .version,
        *versions.last().unwrap()
    );
}

type Hook = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A cache that, on the first fill of `key`, stops until the test let a change commit: the
/// window between a read of the database and the fill of the cache with what was read.
struct PausedFill {
    key: String,
    inner: Arc<MemoryCache>,
    reached: Mutex<Option<oneshot::Sender<()>>>,
    resume: Mutex<Option<oneshot::Receiver<()>>>,
}

impl PausedFill {
    fn new(key: String, inner: Arc<MemoryCache>) -> (Arc<PausedFill>, oneshot::Receiver<()>, oneshot::Sender<()>) {
        let (reached_tx, reached_rx) = oneshot::channel();
        let (resume_tx, resume_rx) = oneshot::channel();
        let cache = Arc::new(PausedFill {
            key,
            inner,
            reached: Mutex::new(Some(reached_tx)),
            resume: Mutex::new(Some(resume_rx)),
        });
        (cache, reached_rx, resume_tx)
    }
}

#[async_trait]
impl Cache for PausedFill {
    async fn get(&self, key: &str) -> Result<Option<CacheEntry>, CacheError> {
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, version: i64, body: &str, ttl: time::Duration) -> Result<bool, CacheError> {
        if key == self.key {
            let reached = self.reached.lock().unwrap().take();
            let resume = self.resume.lock().unwrap().take();
            if let (Some(reached), Some(resume)) = (reached, resume) {
                let _ = reached.send(());
                let _ = resume.await;
            }
        }
        self.inner.put(key, version, body, ttl).await
    }
    async fn invalidate(&self, key: &str, version: i64) -> Result<(), CacheError> {
        self.inner.invalidate(key, version).await
    }
}

/// Runs `read` until it is about to fill the cache, lets `change` commit, then lets the fill go.
async fn change_between_read_and_fill(
    app: &App,
    cache: Arc<PausedFill>,
    reached: oneshot::Receiver<()>,
    resume: oneshot::Sender<()>,
    read: impl FnOnce(App) -> Hook,
    change: Hook,
) {
    let mut reader_app = app.clone();
    reader_app.cache = cache;
    let reader = tokio::spawn(read(reader_app));
    reached.await.expect("the read reached its cache fill");
    change.await;
    resume.send(()).expect("resume the fill");
    reader.await.unwrap();
}

async fn an_attachment_change_between_a_read_and_its_cache_fill_leaves_no_stale_view(executor: Arc<dyn SqlExecutor>) {
    let f = fixture(executor);
    let opportunity = create_opportunity(&f.app).await;
    // The create wrote its view through; make the next read a miss that fills the cache.
    f.app.cache.invalidate(&opportunity_key(opportunity), 1).await.unwrap();
    let (paused, reached, resume) = PausedFill::new(opportunity_key(opportunity), f.cache.clone());
    let app = f.app.clone();
    change_between_read_and_fill(
        &f.app,
        paused,
        reached,
        resume,
        move |reader| {
            Box::pin(async move {
                let stale = get_opportunity(&reader, opportunity).await;
                assert_eq!(stale["attachments"], json!([]), "read before the registration");
            })
        },
        Box::pin(async move {
            register(&app, opportunity, 2).await;
        }),
    )
    .await;
    let view = get_opportunity(&f.app, opportunity).await;
    assert_eq!(
        view["attachments"].as_array().map(Vec::len),
        Some(1),
        "the slow reader's older view was not cached over the registration: {view}"
    );
}

/// A clock `offset` away from the system's, as another function's host may be.
struct Skewed(time::Duration);

impl Clock for Skewed {
    fn now(&self) -> OffsetDateTime {
        oms::ports::truncate_to_micros(OffsetDateTime::now_utc() + self.0)
    }
}

async fn create_skill(app: &App, name: &str) {
    let (status, body) = call(
        app,
        "create-skill",
        api_event(
            "create-skill",
            None,
            Some(json!({ "name": name, "category": "technical" })),
            "root",
            "Admin",
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

async fn skill_names(app: &App) -> Vec<String> {
    let event = api_event("list-skills", None, None, ALICE, "SalesManager");
    let (status, body) = call(app, "list-skills", event).await;
    assert_eq!(status, 200, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn drain_invalidations(app: &App, queue: &LocalQueue) {
    while let Some(batch) = queue.receive(10) {
        let response = cache_invalidation::handle(app, batch.clone()).await;
        queue.acknowledge(&batch, &response);
    }
}

async fn a_skill_created_on_a_host_with_a_slower_clock_still_refreshes_the_cached_catalog(
    executor: Arc<dyn SqlExecutor>,
) {
    let f = fixture(executor);
    create_skill(&f.app, "Rust").await;
    assert_eq!(skill_names(&f.app).await, vec!["Rust"]);
    assert!(
        f.cache.get(SKILLS_CATALOG_KEY).await.unwrap().is_some(),
        "the catalog is cached"
    );
    let mut behind = f.app.clone();
    behind.clock = Arc::new(Skewed(time::Duration::minutes(-10)));
    create_skill(&behind, "Go").await;
    drain_invalidations(&f.app, &f.queue).await;
    assert_eq!(
        skill_names(&f.app).await,
        vec!["Go", "Rust"],
        "the catalog version does not come from the wall clock"
    );
}

async fn a_skill_created_between_a_catalog_read_and_its_cache_fill_leaves_no_stale_catalog(
    executor: Arc<dyn SqlExecutor>,
) {
    let f = fixture(executor);
    create_skill(&f.app, "Rust").await;
    drain_invalidations(&f.app, &f.queue).await;
    let (paused, reached, resume) = PausedFill::new(SKILLS_CATALOG_KEY.into(), f.cache.clone());
    let app = f.app.clone();
    let queue = f.queue.clone();
    change_between_read_and_fill(
        &f.app,
        paused,
        reached,
        resume,
        move |reader| {
            Box::pin(async move {
                assert_eq!(skill_names(&reader).await, vec!["Rust"]);
            })
        },
        Box::pin(async move {
            create_skill(&app, "Go").await;
            drain_invalidations(&app, &queue).await;
        }),
    )
    .await;
    assert_eq!(skill_names(&f.app).await, vec!["Go", "Rust"]);
}

on_every_backend!(
    a_second_upload_to_a_still_valid_url_cannot_replace_a_verified_attachment,
    a_verified_object_replaced_by_another_is_rejected_and_removed,
    an_object_that_arrives_after_its_registration_was_rejected_or_deleted_is_removed,
    a_keyed_registration_is_answered_once,
    concurrent_creates_with_one_key_make_one_opportunity,
    the_attachment_limit_is_a_conflict_with_a_stable_code,
    every_attachment_change_makes_the_cached_view_newer,
    an_attachment_change_between_a_read_and_its_cache_fill_leaves_no_stale_view,
    a_skill_created_on_a_host_with_a_slower_clock_still_refreshes_the_cached_catalog,
    a_skill_created_between_a_catalog_read_and_its_cache_fill_leaves_no_stale_catalog,
);
