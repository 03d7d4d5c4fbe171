//! `oms-bench-jobs`: the export and the retention purge over 10,000 opportunities, on the
//! embedded SQLite file (and PostgreSQL when `OMS_TEST_POSTGRES_URL` is set). Prints a markdown
//! table: export size and time, purge batches and time. Run through `scripts/bench` (release) or
//! `cargo run -p oms-bench --bin oms-bench-jobs` (debug: slower, the same counts and sizes).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use oms::app::App;
use oms::domain::retention::RetentionPolicy;
use oms::jobs::export::{ExportConfig, export};
use oms::ports::Clock;
use oms::sql::SqlExecutor;
use serde_json::json;
use time::{Duration, OffsetDateTime};

const MANAGER: &str = "5f8d2c1e-3b4a-4c6d-8e9f-0a1b2c3d4e5f";

struct TestClock(Mutex<OffsetDateTime>);

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The numbers of one backend.
struct Numbers {
    backend: &'static str,
    opportunities: usize,
    export_seconds: f64,
    export_records: u64,
    export_bytes: u64,
    export_parts: usize,
    purge_seconds: f64,
    purged: u64,
    history: u64,
    batches: u64,
    batch: i64,
}

async fn run(backend: &'static str, executor: Arc<dyn SqlExecutor>, count: usize) -> Numbers {
    let clock = Arc::new(TestClock(Mutex::new(
        OffsetDateTime::now_utc() - Duration::days(8 * 365),
    )));
    let mut app = App::over_sql(executor);
    app.clock = clock.clone();
    let dir = tempfile::tempdir().expect("temp dir");
    app.export_sink = Arc::new(oms::adapters::export_sinks::FolderExportSink::new(dir.path()));
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let mut body = oms_tests::opportunity_body(&format!("Opportunity {i}"), &format!("Customer {}", i % 500));
        body["description"] = json!(format!(
            "Move the order platform of customer {} to an event-driven, serverless architecture with a measurable \
             reduction of checkout latency during the holiday peak.",
            i % 500
        ));
        let (status, created) = oms_tests::call(
            &app,
            "create-opportunity",
            oms_tests::api_event("create-opportunity", None, Some(body), MANAGER, "SalesManager"),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().unwrap_or_default().to_owned());
    }
    // Half of them cancelled eight years ago: past the 7-year retention.
    for id in ids.iter().step_by(2) {
        let event = oms_tests::api_event(
            "cancel-opportunity",
            id.parse().ok(),
            Some(json!({ "reason": "The customer chose another partner." })),
            MANAGER,
            "SalesManager",
        );
        assert_eq!(oms_tests::call(&app, "cancel-opportunity", event).await.0, 200);
    }
    *clock.0.lock().unwrap_or_else(|e| e.into_inner()) = OffsetDateTime::now_utc();

    let started = Instant::now();
    let report = export(&app, &ExportConfig::default().without_lag())
        .await
        .expect("export");
    let export_seconds = started.elapsed().as_secs_f64();

    let policy = RetentionPolicy::default();
    let started = Instant::now();
    let purge = oms::jobs::purge::purge(&app, &policy).await.expect("purge");
    let purge_seconds = started.elapsed().as_secs_f64();
    Numbers {
        backend,
        opportunities: count,
        export_seconds,
        export_records: report.records,
        export_bytes: report.bytes,
        export_parts: report.files.len(),
        purge_seconds,
        purged: purge.opportunities,
        history: purge.history,
        batches: purge.batches,
        batch: policy.opportunity_batch,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let count: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let mut all = Vec::new();
    let (sqlite, _dir) = oms_tests::sqlite_executor().await;
    all.push(run("SQLite (embedded file)", sqlite, count).await);
    if std::env::var("OMS_TEST_POSTGRES_URL").is_ok() {
        all.push(run("PostgreSQL (direct)", oms_tests::postgres_executor().await, count).await);
    }
    println!(
        "#### Export and retention purge ({count} opportunities, profile {})\n",
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
    println!(
        "| backend | export s | records | records/s | gzip bytes | bytes/record | parts | purge s | purged | history rows | batches (size) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in &all {
        println!(
            "| {} | {:.2} | {} | {:.0} | {} | {:.0} | {} | {:.2} | {} | {} | {} ({}) |",
            n.backend,
            n.export_seconds,
            n.export_records,
            n.export_records as f64 / n.export_seconds.max(1e-9),
            n.export_bytes,
            n.export_bytes as f64 / (n.export_records.max(1)) as f64,
            n.export_parts,
            n.purge_seconds,
            n.purged,
            n.history,
            n.batches,
            n.batch
        );
        let _ = n.opportunities;
    }
}
