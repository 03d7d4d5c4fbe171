//! The pipeline report, the retention purge and the export, on SQLite and PostgreSQL, through the
//! real handlers and jobs: exact sums per currency, filters, CSV, who may call; what the purge
//! deletes and keeps, idempotently; the export's files, manifest, watermark and restart.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use oms::app::App;
use oms::ports::Clock;
use oms::sql::{DbError, Dialect, Param, Row, SqlExecutor, SqlTransaction};
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

/// Remembers every SQL text run, so that the suite can prove it ran each of the jobs' texts.
struct Recording {
    inner: Arc<dyn SqlExecutor>,
    seen: Arc<Mutex<Vec<&'static str>>>,
}

struct RecordingTx {
    inner: Box<dyn SqlTransaction>,
    seen: Arc<Mutex<Vec<&'static str>>>,
}

#[async_trait]
impl SqlTransaction for RecordingTx {
    async fn query(&mut self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        self.seen.lock().unwrap().push(sql);
        self.inner.query(sql, params).await
    }
    async fn execute(&mut self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        self.seen.lock().unwrap().push(sql);
        self.inner.execute(sql, params).await
    }
    async fn commit(self: Box<Self>) -> Result<(), DbError> {
        self.inner.commit().await
    }
    async fn rollback(self: Box<Self>) -> Result<(), DbError> {
        self.inner.rollback().await
    }
}

#[async_trait]
impl SqlExecutor for Recording {
    async fn query(&self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        self.seen.lock().unwrap().push(sql);
        self.inner.query(sql, params).await
    }
    async fn execute(&self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        self.seen.lock().unwrap().push(sql);
        self.inner.execute(sql, params).await
    }
    async fn begin(&self) -> Result<Box<dyn SqlTransaction>, DbError> {
        Ok(Box::new(RecordingTx {
            inner: self.inner.begin().await?,
            seen: self.seen.clone(),
        }))
    }
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
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

macro_rules! on_every_backend {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let (executor, _dir) = oms_tests::sqlite_executor().await;
                    super::$test(executor).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(oms_tests::postgres_executor().await).await;
                }
            )*
        }
    };
}

on_every_backend!(the_pipeline_report_sums_each_currency_exactly_with_its_filters,);

/// Every SQL text of the report and the jobs runs in this suite, on both backends.
async fn the_suite_runs_every_statement_of_the_jobs(executor: Arc<dyn SqlExecutor>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recording: Arc<dyn SqlExecutor> = Arc::new(Recording {
        inner: executor,
        seen: seen.clone(),
    });
    the_pipeline_report_sums_each_currency_exactly_with_its_filters(recording.clone()).await;
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
    let (executor, _dir) = oms_tests::sqlite_executor().await;
    the_suite_runs_every_statement_of_the_jobs(executor).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_jobs_statement_runs_on_postgres() {
    the_suite_runs_every_statement_of_the_jobs(oms_tests::postgres_executor().await).await;
}
