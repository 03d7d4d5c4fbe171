//! The pipeline report, the retention purge and the export, on SQLite and PostgreSQL, through the
//! real handlers and jobs: exact sums per currency, filters, CSV, who may call; what the purge
//! deletes and keeps, idempotently; the export's files, manifest, watermark and restart.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use oms::app::App;
use oms::ports::Clock;
use oms::sql::SqlExecutor;
use oms_tests::recording::Recording;
use serde_json::{Value, json};
use time::OffsetDateTime;

const MANAGER: &str = "5f8d2c1e-3b4a-4c6d-8e9f-0a1b2c3d4e5f";
const OTHER_MANAGER: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const ADMIN: &str = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";

/// A clock the test moves.
struct TestClock(Mutex<OffsetDateTime>);

impl TestClock {
    fn at(t: OffsetDateTime) -> Arc<TestClock> {
        Arc::new(TestClock(Mutex::new(t)))
    }
    fn set(&self, t: OffsetDateTime) {
        *self.0.lock().unwrap() = t;
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// An application over `executor` with a movable clock.
fn app_over(executor: Arc<dyn SqlExecutor>, now: OffsetDateTime) -> (App, Arc<TestClock>) {
    let clock = TestClock::at(now);
    let mut app = App::over_sql(executor);
    app.clock = clock.clone();
    (app, clock)
}

fn with_query(mut event: Value, query: &[(&str, &str)]) -> Value {
    let single: serde_json::Map<String, Value> = query.iter().map(|(k, v)| ((*k).into(), json!(v))).collect();
    let multi: serde_json::Map<String, Value> = query.iter().map(|(k, v)| ((*k).into(), json!([v]))).collect();
    event["queryStringParameters"] = Value::Object(single);
    event["multiValueQueryStringParameters"] = Value::Object(multi);
    event
}

async fn create(app: &App, owner: &str, title: &str, priority: &str, amount: &str, currency: &str) -> String {
    let mut body = oms_tests::opportunity_body(title, "Contoso");
    body["priority"] = json!(priority);
    body["annual_recurring_revenue"] = json!({ "amount": amount, "currency": currency });
    let (status, created) = oms_tests::call(
        app,
        "create-opportunity",
        oms_tests::api_event("create-opportunity", None, Some(body), owner, "SalesManager"),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().expect("id").to_owned()
}

async fn cancel(app: &App, owner: &str, id: &str) {
    let id = uuid::Uuid::parse_str(id).unwrap();
    let (status, body) = oms_tests::call(
        app,
        "cancel-opportunity",
        oms_tests::api_event(
            "cancel-opportunity",
            Some(id),
            Some(json!({ "reason": "The customer chose another partner." })),
            owner,
            "SalesManager",
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn report(app: &App, groups: &str, query: &[(&str, &str)]) -> (u16, Value) {
    let event = with_query(
        oms_tests::api_event("get-pipeline-report", None, None, ADMIN, groups),
        query,
    );
    oms_tests::call(app, "get-pipeline-report", event).await
}

fn money(amount: &str, currency: &str) -> Value {
    json!({ "amount": amount, "currency": currency })
}

async fn the_pipeline_report_sums_each_currency_exactly_with_its_filters(executor: Arc<dyn SqlExecutor>) {
    let (app, clock) = app_over(executor, time::macros::datetime!(2026-03-01 10:00 UTC));
    create(&app, MANAGER, "A", "high", "999999999999.99", "EUR").await;
    create(&app, MANAGER, "B", "low", "0.01", "EUR").await;
    create(&app, MANAGER, "C", "high", "5", "JPY").await;
    clock.set(time::macros::datetime!(2026-06-01 10:00 UTC));
    let kwd = create(&app, OTHER_MANAGER, "D", "critical", "1.234", "KWD").await;
    cancel(&app, OTHER_MANAGER, &kwd).await;

    let (status, all) = report(&app, "Admin", &[]).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["total"]["count"], 4);
    // Never added across currencies; each at its own scale, exactly (no float rounding of
    // 999,999,999,999.99 + 0.01).
    assert_eq!(
        all["total"]["arr"],
        json!([
            money("1000000000000.00", "EUR"),
            money("5", "JPY"),
            money("1.234", "KWD")
        ])
    );
    let statuses: Vec<&str> = all["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 7, "every status listed");
    let count_of = |list: &Value, key: &str, value: &str| {
        list.as_array().unwrap().iter().find(|e| e[key] == value).unwrap()["count"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(count_of(&all["by_status"], "status", "draft"), 3);
    assert_eq!(count_of(&all["by_status"], "status", "cancelled"), 1);
    assert_eq!(count_of(&all["by_status"], "status", "completed"), 0);
    assert_eq!(count_of(&all["by_priority"], "priority", "high"), 2);
    assert_eq!(all["by_status_priority"].as_array().unwrap().len(), 28);
    let draft_high = all["by_status_priority"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["status"] == "draft" && e["priority"] == "high")
        .unwrap();
    assert_eq!(
        draft_high["arr"],
        json!([money("999999999999.99", "EUR"), money("5", "JPY")])
    );

    let (_, mine) = report(&app, "Admin", &[("owner_id", OTHER_MANAGER)]).await;
    assert_eq!(mine["total"], json!({ "count": 1, "arr": [money("1.234", "KWD")] }));
    assert_eq!(mine["filters"]["owner_id"], OTHER_MANAGER);
    let (_, early) = report(
        &app,
        "Admin",
        &[("created_from", "2026-01-01"), ("created_to", "2026-04-01")],
    )
    .await;
    assert_eq!(early["total"]["count"], 3);
    let (_, none) = report(
        &app,
        "Admin",
        &[("customer_id", "0195f3a0-7c1e-7d2a-9b4e-000000000000")],
    )
    .await;
    assert_eq!(none["total"], json!({ "count": 0, "arr": [] }));

    // The same figures as CSV.
    let mut event = oms_tests::api_event("get-pipeline-report", None, None, ADMIN, "Admin");
    event["headers"]["accept"] = json!("text/csv");
    let route = oms::routes::by_function("get-pipeline-report").unwrap();
    let response = oms::runtime::invoke_api_gateway_event(route, &app, event)
        .await
        .unwrap();
    assert_eq!(response["statusCode"], 200);
    let content_type = response["multiValueHeaders"]["content-type"][0]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/csv"), "{response}");
    let csv = response["body"].as_str().unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "dimension,status,priority,currency,count,arr_amount");
    assert!(lines.contains(&"total,,,EUR,2,1000000000000.00"), "{csv}");
    assert!(lines.contains(&"status,cancelled,,KWD,1,1.234"), "{csv}");
    assert!(lines.contains(&"status_priority,completed,low,,0,"), "{csv}");

    // Sales Managers may not; bad filters are a 400 naming the parameter.
    let (status, refused) = report(&app, "SalesManager", &[]).await;
    assert_eq!((status, refused["code"].as_str()), (403, Some("forbidden")));
    let (status, bad) = report(&app, "Admin", &[("customer_id", "nope")]).await;
    assert_eq!((status, bad["code"].as_str()), (400, Some("invalid_parameter")));
    let (status, _) = report(&app, "Admin", &[("created_from", "10000-01-01")]).await;
    assert_eq!(status, 400);
    let (status, _) = report(&app, "Admin", &[("region", "emea")]).await;
    assert_eq!(status, 400);
}

/// An object store that remembers which objects exist and can refuse deletions.
#[derive(Default)]
struct FakeObjects {
    keys: Mutex<std::collections::BTreeSet<String>>,
    refuse: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl oms::ports::objects::ObjectStore for FakeObjects {
    async fn presign_upload(
        &self,
        _: &str,
        _: &oms::ports::objects::UploadTerms,
        _: time::Duration,
    ) -> Result<oms::ports::objects::SignedRequest, oms::ports::objects::ObjectStoreError> {
        Err(oms::ports::objects::ObjectStoreError("not in this test".into()))
    }
    async fn presign_download(
        &self,
        _: &str,
        _: &str,
        _: time::Duration,
    ) -> Result<oms::ports::objects::SignedRequest, oms::ports::objects::ObjectStoreError> {
        Err(oms::ports::objects::ObjectStoreError("not in this test".into()))
    }
    async fn head(
        &self,
        _: &str,
    ) -> Result<Option<oms::domain::attachment::ObjectFacts>, oms::ports::objects::ObjectStoreError> {
        Ok(None)
    }
    async fn put(
        &self,
        _key: &str,
        _body: Vec<u8>,
        _content_type: &str,
    ) -> Result<(), oms::ports::objects::ObjectStoreError> {
        Err(oms::ports::objects::ObjectStoreError("not in this test".into()))
    }
    async fn delete(&self, key: &str) -> Result<(), oms::ports::objects::ObjectStoreError> {
        if self.refuse.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(oms::ports::objects::ObjectStoreError("service unavailable".into()));
        }
        self.keys.lock().unwrap().remove(key);
        Ok(())
    }
}

/// Registers an attachment row (and its object) for `opportunity` in `status`, created at `at`.
async fn attach(
    app: &App,
    objects: &FakeObjects,
    opportunity: &str,
    status: oms::domain::attachment::AttachmentStatus,
    at: OffsetDateTime,
) -> oms::domain::attachment::Attachment {
    let opportunity_id = uuid::Uuid::parse_str(opportunity).unwrap();
    let id = uuid::Uuid::now_v7();
    let attachment = oms::domain::attachment::Attachment {
        id,
        opportunity_id,
        owner_sub: MANAGER.into(),
        file_name: "proposal.pdf".into(),
        content_type: "application/pdf".into(),
        size_bytes: 10,
        sha256: None,
        object_key: oms::domain::attachment::object_key(opportunity_id, id),
        status,
        rejection_reason: None,
        created_at: at,
        upload_expires_at: at + time::Duration::minutes(15),
        completed_at: None,
    };
    app.attachments
        .register(&attachment, &oms_tests::fixture_event(opportunity_id, 1), None)
        .await
        .expect("register");
    objects.keys.lock().unwrap().insert(attachment.object_key.clone());
    attachment
}

const INSERT_OLD_IDEMPOTENCY_RECORD: &str = "INSERT INTO idempotency_records (caller_sub, idempotency_key, \
     request_hash, status_code, response_headers, response_body, created_at, expires_at) VALUES (:caller_sub, \
     :idempotency_key, 'h', 201, '[]', '{}', :at, :at)";

async fn the_purge_deletes_only_what_is_past_retention_and_a_rerun_finishes_what_a_failure_left(
    executor: Arc<dyn SqlExecutor>,
) {
    use oms::domain::attachment::AttachmentStatus;
    use oms::domain::retention::RetentionPolicy;

    let old = time::macros::datetime!(2018-01-01 10:00 UTC);
    let now = time::macros::datetime!(2026-11-22 03:00 UTC);
    let (mut app, clock) = app_over(executor.clone(), old);
    let objects = Arc::new(FakeObjects::default());
    app.objects = objects.clone();
    let mut closed = Vec::new();
    let mut closed_attachments = Vec::new();
    for i in 0..3 {
        let id = create(&app, MANAGER, &format!("Old {i}"), "high", "10.00", "EUR").await;
        closed_attachments.push(attach(&app, &objects, &id, AttachmentStatus::Available, old).await);
        cancel(&app, MANAGER, &id).await;
        closed.push(id);
    }
    let draft = create(&app, MANAGER, "Old draft", "low", "1.00", "EUR").await;
    let rejected = attach(&app, &objects, &draft, AttachmentStatus::Rejected, old).await;
    let kept_attachment = attach(&app, &objects, &draft, AttachmentStatus::Available, old).await;
    clock.set(now - time::Duration::days(1));
    let recent = create(&app, MANAGER, "Recently cancelled", "low", "1.00", "EUR").await;
    cancel(&app, MANAGER, &recent).await;
    let published: Vec<uuid::Uuid> = app
        .outbox
        .unpublished(1000)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    app.outbox.mark_published(&published, old).await.unwrap();
    executor
        .execute(
            oms::store::statements::INSERT_PROCESSED_EVENT,
            &oms::params!["event_id" => uuid::Uuid::now_v7(), "processed_at" => old],
        )
        .await
        .unwrap();
    executor
        .execute(
            INSERT_OLD_IDEMPOTENCY_RECORD,
            &oms::params!["caller_sub" => MANAGER, "idempotency_key" => "old-key", "at" => old],
        )
        .await
        .unwrap();
    let draft_version = app
        .opportunities
        .get(draft.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .version;

    clock.set(now);
    objects.refuse.store(true, std::sync::atomic::Ordering::SeqCst);
    let policy = RetentionPolicy {
        opportunity_batch: 2,
        row_batch: 2,
        ..RetentionPolicy::default()
    };
    let first = oms::jobs::purge::purge(&app, &policy).await.expect("purge");
    assert_eq!(first.opportunities, 3, "{first:?}");
    assert!(first.history >= 6, "{first:?}");
    assert_eq!((first.attachments, first.registrations), (3, 1), "{first:?}");
    assert_eq!((first.objects, first.objects_left), (0, 4), "{first:?}");
    assert_eq!(first.published_events, published.len() as u64);
    assert_eq!((first.processed_events, first.idempotency_records), (1, 1));
    // Two batches of opportunities (2 + 1), one of registrations, several of rows.
    assert!(first.batches >= 4, "opportunities in batches of 2: {first:?}");
    for id in &closed {
        assert!(app.opportunities.get(id.parse().unwrap()).await.unwrap().is_none());
    }
    for a in closed_attachments.iter().chain([&rejected]) {
        assert!(app.attachments.attachment(a.id).await.unwrap().is_none());
    }
    // What is not past its retention stays: the draft (old but open), the recent cancellation,
    // an available attachment.
    let kept = app.opportunities.get(draft.parse().unwrap()).await.unwrap().unwrap();
    assert!(
        kept.version > draft_version,
        "its view lost an attachment: a new version"
    );
    assert!(app.opportunities.get(recent.parse().unwrap()).await.unwrap().is_some());
    assert!(app.attachments.attachment(kept_attachment.id).await.unwrap().is_some());
    // The refused objects are still remembered, none forgotten.
    assert_eq!(app.retention.queued_object_deletions(100).await.unwrap().len(), 4);
    assert_eq!(objects.keys.lock().unwrap().len(), 5);
    let failed = oms::jobs::purge::handle(&app, json!({})).await;
    assert!(
        failed.is_err(),
        "a run that could not delete objects fails its invocation"
    );

    objects.refuse.store(false, std::sync::atomic::Ordering::SeqCst);
    let second = oms::jobs::purge::purge(&app, &policy).await.expect("purge");
    assert_eq!(
        (second.opportunities, second.objects, second.objects_left),
        (0, 4, 0),
        "{second:?}"
    );
    assert!(app.retention.queued_object_deletions(100).await.unwrap().is_empty());
    assert_eq!(
        objects.keys.lock().unwrap().iter().cloned().collect::<Vec<_>>(),
        vec![kept_attachment.object_key.clone()]
    );
    let third = oms::jobs::purge::purge(&app, &policy).await.expect("purge");
    assert_eq!(
        (
            third.opportunities,
            third.registrations,
            third.objects,
            third.published_events
        ),
        (0, 0, 0, 0),
        "idempotent: {third:?}"
    );
    assert!(third.complete);
}

/// A destination that fails its `n`-th write (counting from 1), then works.
struct FailingSink {
    inner: oms::adapters::export_sinks::FolderExportSink,
    fail_on: std::sync::atomic::AtomicUsize,
    puts: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl oms::ports::jobs::ExportSink for FailingSink {
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), oms::ports::jobs::ExportSinkError> {
        let n = self.puts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if n == self.fail_on.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(oms::ports::jobs::ExportSinkError("connection reset".into()));
        }
        self.inner.put(key, body, content_type).await
    }
    async fn delete(&self, key: &str) -> Result<(), oms::ports::jobs::ExportSinkError> {
        self.inner.delete(key).await
    }
    fn location(&self) -> String {
        self.inner.location()
    }
}

/// The records of a run's part files, checked against its manifest (counts and checksums).
fn read_run(dir: &std::path::Path, manifest_key: &str) -> (Value, Vec<Value>) {
    use sha2::Digest;
    use std::io::Read;
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.join(manifest_key)).unwrap()).unwrap();
    let mut records = Vec::new();
    for file in manifest["files"].as_array().unwrap() {
        let bytes = std::fs::read(dir.join(file["key"].as_str().unwrap())).unwrap();
        assert_eq!(file["bytes"], bytes.len() as u64);
        assert_eq!(file["sha256"], hex::encode(sha2::Sha256::digest(&bytes)));
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(file["records"], lines.len() as u64);
        records.extend(lines);
    }
    assert_eq!(manifest["records"], records.len() as u64);
    (manifest, records)
}

fn ids_of(records: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = records.iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

const ERASE_OWNER: &str = "UPDATE opportunities SET owner_sub = :pseudonym, updated_at = :at, version = version + 1 \
     WHERE owner_sub = :owner_sub";

async fn the_export_writes_each_change_once_with_its_manifest_and_resumes_a_failed_run(executor: Arc<dyn SqlExecutor>) {
    use oms::jobs::export::{ExportConfig, export};
    use time::Duration;

    let t0 = time::macros::datetime!(2026-11-20 10:00 UTC);
    let (mut app, clock) = app_over(executor.clone(), t0);
    let dir = tempfile::tempdir().unwrap();
    let folder = oms::adapters::export_sinks::FolderExportSink::new(dir.path());
    app.export_sink = Arc::new(folder.clone());
    let mut ids = Vec::new();
    for i in 0..5 {
        // Two share one updated_at: ties are ordered by id, never skipped or repeated.
        clock.set(t0 + Duration::seconds(i / 2));
        ids.push(
            create(
                &app,
                if i == 4 { OTHER_MANAGER } else { MANAGER },
                &format!("Export {i}"),
                "high",
                "10.00",
                "EUR",
            )
            .await,
        );
    }
    let config = ExportConfig {
        part_records: 2,
        ..ExportConfig::default()
    }
    .without_lag();

    clock.set(t0 + Duration::hours(1));
    let first = export(&app, &config).await.expect("export");
    assert_eq!((first.run, first.records, first.files.len()), (1, 5, 3), "{first:?}");
    let (manifest, records) = read_run(dir.path(), &first.manifest);
    assert_eq!(manifest["watermark"]["to_inclusive"], "2026-11-20T11:00:00Z");
    assert!(
        first.files[0]
            .key
            .starts_with("opportunities/data/dt=2026-11-20/run-000001-part-00000")
    );
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(ids_of(&records), expected);
    assert_eq!(
        records[0]["annual_recurring_revenue"],
        money("10.00", "EUR"),
        "the public view"
    );
    // Nothing changed since: nothing is due.
    assert_eq!(export(&app, &config).await.unwrap().run, 0);

    clock.set(t0 + Duration::hours(2));
    cancel(&app, MANAGER, &ids[0]).await;
    clock.set(t0 + Duration::hours(3));
    let second = export(&app, &config).await.expect("export");
    let (_, records) = read_run(dir.path(), &second.manifest);
    assert_eq!(ids_of(&records), vec![ids[0].clone()]);
    assert_eq!(records[0]["status"], "cancelled");

    // A run that fails after its parts, before its manifest: the watermark does not move, and the
    // redo covers exactly the same window.
    clock.set(t0 + Duration::hours(4));
    cancel(&app, MANAGER, &ids[1]).await;
    cancel(&app, MANAGER, &ids[2]).await;
    cancel(&app, MANAGER, &ids[3]).await;
    let failing = Arc::new(FailingSink {
        inner: folder.clone(),
        fail_on: std::sync::atomic::AtomicUsize::new(3),
        puts: std::sync::atomic::AtomicUsize::new(0),
    });
    app.export_sink = failing.clone();
    clock.set(t0 + Duration::hours(5));
    assert!(export(&app, &config).await.is_err(), "the manifest write failed");
    let stale_part = dir
        .path()
        .join("opportunities/data/dt=2026-11-20/run-000003-part-00001.jsonl.gz");
    assert!(stale_part.exists(), "the failed attempt wrote two parts");
    // Changed again before the redo: it now belongs to the next window.
    clock.set(t0 + Duration::hours(5) + Duration::minutes(30));
    let reactivate = oms_tests::api_event(
        "reactivate-opportunity",
        Some(ids[3].parse().unwrap()),
        None,
        MANAGER,
        "SalesManager",
    );
    assert_eq!(oms_tests::call(&app, "reactivate-opportunity", reactivate).await.0, 200);
    app.export_sink = Arc::new(folder.clone());
    clock.set(t0 + Duration::hours(6));
    let redo = export(&app, &config).await.expect("redo");
    assert_eq!((redo.run, redo.resumed), (3, true), "{redo:?}");
    assert_eq!(redo.to_inclusive, t0 + Duration::hours(5), "the same window");
    let (_, records) = read_run(dir.path(), &redo.manifest);
    let mut changed = vec![ids[1].clone(), ids[2].clone()];
    changed.sort();
    assert_eq!(ids_of(&records), changed);
    assert!(!stale_part.exists(), "the part the redo did not write again is gone");

    // The reactivated one, and an erasure (owner rewritten to a pseudonym): the next run has them,
    // each once, and the erased id nowhere.
    executor
        .execute(
            ERASE_OWNER,
            &oms::params!["pseudonym" => "erased-7f3a", "at" => t0 + Duration::hours(6), "owner_sub" => OTHER_MANAGER],
        )
        .await
        .unwrap();
    clock.set(t0 + Duration::hours(7));
    let next = export(&app, &config).await.expect("export");
    assert_eq!(next.run, 4);
    let (_, records) = read_run(dir.path(), &next.manifest);
    let mut expected = vec![ids[3].clone(), ids[4].clone()];
    expected.sort();
    assert_eq!(ids_of(&records), expected);
    let erased = records.iter().find(|r| r["id"] == ids[4].as_str()).unwrap();
    assert_eq!(erased["owner_id"], "erased-7f3a");
    assert!(!serde_json::to_string(&records).unwrap().contains(OTHER_MANAGER));
}

on_every_backend!(
    the_pipeline_report_sums_each_currency_exactly_with_its_filters,
    the_purge_deletes_only_what_is_past_retention_and_a_rerun_finishes_what_a_failure_left,
    the_export_writes_each_change_once_with_its_manifest_and_resumes_a_failed_run,
);

/// Every SQL text of the report and the jobs runs in this suite, on both backends (each scenario
/// on a fresh database).
async fn the_suite_runs_every_statement_of_the_jobs(postgres: bool) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    for scenario in 0..3 {
        let (inner, _dir) = if postgres {
            (oms_tests::postgres_executor().await, None)
        } else {
            let (executor, dir) = oms_tests::sqlite_executor().await;
            (executor, Some(dir))
        };
        let recording: Arc<dyn SqlExecutor> = Arc::new(Recording {
            inner,
            seen: seen.clone(),
        });
        match scenario {
            0 => the_pipeline_report_sums_each_currency_exactly_with_its_filters(recording).await,
            1 => {
                the_purge_deletes_only_what_is_past_retention_and_a_rerun_finishes_what_a_failure_left(recording).await
            }
            _ => the_export_writes_each_change_once_with_its_manifest_and_resumes_a_failed_run(recording).await,
        }
    }
    let seen = seen.lock().unwrap();
    let missing: Vec<&str> = oms::store::reports::ALL
        .iter()
        .chain(oms::store::jobs::ALL.iter())
        .filter(|(_, sql)| !seen.contains(sql))
        .map(|(name, _)| *name)
        .collect();
    assert!(missing.is_empty(), "statements never run by the suite: {missing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_jobs_statement_runs_on_sqlite() {
    the_suite_runs_every_statement_of_the_jobs(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_jobs_statement_runs_on_postgres() {
    the_suite_runs_every_statement_of_the_jobs(true).await;
}
