//! The Data API stand-in (`oms-local data-api`, `oms::sql::standin`) against the Data API's
//! documented JSON (the API reference's request and response syntax, the service model's error
//! codes), over plain HTTP as the SDK sends it, and the production executor through the real SDK
//! against it: typed fields and hints, result metadata, transactions, the size limits, one
//! statement per call, one running call per transaction, expiry, and the retries of section 6.

use std::time::{Duration, Instant};

use oms::params;
use oms::sql::rdsdata::RetryPolicy;
use oms::sql::standin::{DataApiStandin, ErrorCode};
use oms::sql::{DbError, SqlExecutor};
use oms_tests::data_api::{self, CLUSTER_ARN, SECRET_ARN};
use serde_json::{Value, json};

/// One call as the SDK makes it: `POST /<operation path>` with a JSON body.
async fn call(standin: &DataApiStandin, path: &str, mut body: Value) -> (u16, Option<String>, Value) {
    body["resourceArn"] = json!(CLUSTER_ARN);
    body["secretArn"] = json!(SECRET_ARN);
    raw(standin, path, body).await
}

async fn raw(standin: &DataApiStandin, path: &str, body: Value) -> (u16, Option<String>, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", standin.endpoint_url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("the stand-in answers");
    let status = response.status().as_u16();
    let error = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.json().await.unwrap_or(Value::Null);
    (status, error, body)
}

async fn execute(standin: &DataApiStandin, body: Value) -> Value {
    let (status, error, answer) = call(standin, "/Execute", body).await;
    assert_eq!((status, error), (200, None), "{answer}");
    answer
}

const CREATE: &str = "CREATE TABLE typed (id uuid PRIMARY KEY, at timestamptz, day date, amount numeric(16, 3), \
    doc json, n bigint, flag boolean, note text, ratio double precision, bytes bytea)";

#[tokio::test]
async fn execute_statement_takes_typed_parameters_and_returns_typed_records_with_metadata() {
    let (standin, _) = data_api::standin(|_| {}).await;
    let created = execute(&standin, json!({ "sql": CREATE })).await;
    assert_eq!(created["numberOfRecordsUpdated"], 0);
    let id = "01a200b9-ec79-70f2-8493-f00110d74466";
    let inserted = execute(
        &standin,
        json!({
            "sql": "INSERT INTO typed VALUES (:id, (CAST(:at AS timestamp) AT TIME ZONE 'UTC'), :day, :amount, :doc, :n, :flag, :note, :ratio, :bytes)",
            "parameters": [
                { "name": "id", "value": { "stringValue": id }, "typeHint": "UUID" },
                { "name": "at", "value": { "stringValue": "2026-11-22 10:11:12.123456" }, "typeHint": "TIMESTAMP" },
                { "name": "day", "value": { "stringValue": "2027-02-28" }, "typeHint": "DATE" },
                { "name": "amount", "value": { "stringValue": "125000.50" }, "typeHint": "DECIMAL" },
                { "name": "doc", "value": { "stringValue": "{\"k\":1}" }, "typeHint": "JSON" },
                { "name": "n", "value": { "longValue": 42 } },
                { "name": "flag", "value": { "booleanValue": true } },
                { "name": "note", "value": { "isNull": true } },
                { "name": "ratio", "value": { "doubleValue": 1.5 } },
                { "name": "bytes", "value": { "blobValue": "AAEC" } }
            ]
        }),
    )
    .await;
    assert_eq!(inserted["numberOfRecordsUpdated"], 1);
    assert!(
        inserted.get("records").is_none(),
        "no records for a statement without a result: {inserted}"
    );
    // As the service does: a TIMESTAMP parameter has no zone, so `timestamptz` takes it in the
    // session's (the test PostgreSQL's default is +05:45); `AT TIME ZONE 'UTC'` reads it as UTC,
    // which is what the production executor sends (`oms::sql::utc_timestamp_parameters`).
    let zone = execute(&standin, json!({ "sql": "SELECT current_setting('TimeZone') AS zone" })).await;
    if zone["records"][0][0]["stringValue"] != "UTC" {
        let shifted = execute(
            &standin,
            json!({
                "sql": "SELECT CAST(:at AS timestamptz) = (CAST(:at AS timestamp) AT TIME ZONE 'UTC') AS same",
                "parameters": [{ "name": "at", "value": { "stringValue": "2026-11-22 10:11:12" }, "typeHint": "TIMESTAMP" }]
            }),
        )
        .await;
        assert_eq!(shifted["records"][0][0]["booleanValue"], false, "{zone}");
    }

    let selected = execute(
        &standin,
        json!({
            "sql": "SELECT id, at, day, amount, doc, n, flag, note, ratio, bytes FROM typed WHERE id = :id",
            "parameters": [{ "name": "id", "value": { "stringValue": id }, "typeHint": "UUID" }],
            "includeResultMetadata": true
        }),
    )
    .await;
    assert_eq!(selected["numberOfRecordsUpdated"], 0);
    assert_eq!(
        selected["records"],
        json!([[
            { "stringValue": id },
            { "stringValue": "2026-11-22 10:11:12.123456" },
            { "stringValue": "2027-02-28" },
            { "stringValue": "125000.500" },
            { "stringValue": "{\"k\":1}" },
            { "longValue": 42 },
            { "booleanValue": true },
            { "isNull": true },
            { "doubleValue": 1.5 },
            { "blobValue": "AAEC" }
        ]])
    );
    let metadata = selected["columnMetadata"].as_array().expect("columnMetadata");
    let names: Vec<&str> = metadata
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "id", "at", "day", "amount", "doc", "n", "flag", "note", "ratio", "bytes"
        ]
    );
    for column in metadata {
        for field in [
            "name",
            "label",
            "typeName",
            "type",
            "nullable",
            "isSigned",
            "precision",
            "scale",
        ] {
            assert!(column.get(field).is_some(), "ColumnMetadata.{field} missing: {column}");
        }
    }
    assert_eq!(metadata[5]["typeName"], "int8");
    assert_eq!(metadata[5]["type"], -5, "JDBC BIGINT");

    // Without includeResultMetadata: records only. formatRecordsAs JSON: one JSON string.
    let bare = execute(
        &standin,
        json!({ "sql": "SELECT n, note FROM typed", "resultSetOptions": { "longReturnType": "STRING" } }),
    )
    .await;
    assert!(bare.get("columnMetadata").is_none(), "{bare}");
    assert_eq!(bare["records"], json!([[{ "stringValue": "42" }, { "isNull": true }]]));
    let formatted = execute(
        &standin,
        json!({ "sql": "SELECT n, flag, note FROM typed", "formatRecordsAs": "JSON" }),
    )
    .await;
    let records: Value =
        serde_json::from_str(formatted["formattedRecords"].as_str().expect("formattedRecords")).unwrap();
    assert_eq!(records, json!([{ "n": 42, "flag": true, "note": null }]));
    assert!(formatted.get("records").is_none());
}

#[tokio::test]
async fn transactions_commit_and_roll_back_with_the_documented_statuses_and_end_for_good() {
    let (standin, _) = data_api::standin(|_| {}).await;
    execute(&standin, json!({ "sql": "CREATE TABLE t (n bigint)" })).await;
    let insert = |id: &str, n: i64| json!({ "sql": "INSERT INTO t VALUES (:n)", "transactionId": id, "parameters": [{ "name": "n", "value": { "longValue": n } }] });
    let count = async |standin: &DataApiStandin| {
        execute(standin, json!({ "sql": "SELECT count(*) AS c FROM t" })).await["records"][0][0]["longValue"].clone()
    };

    let (_, _, begun) = call(&standin, "/BeginTransaction", json!({ "database": "opportunities" })).await;
    let committed_id = begun["transactionId"].as_str().expect("transactionId").to_owned();
    execute(&standin, insert(&committed_id, 1)).await;
    assert_eq!(
        count(&standin).await,
        0,
        "uncommitted rows are not visible outside the transaction"
    );
    let (status, _, ended) = call(&standin, "/CommitTransaction", json!({ "transactionId": committed_id })).await;
    assert_eq!(
        (status, ended),
        (200, json!({ "transactionStatus": "Transaction Committed" }))
    );
    assert_eq!(count(&standin).await, 1);

    let (_, _, begun) = call(&standin, "/BeginTransaction", json!({})).await;
    let rolled_back_id = begun["transactionId"].as_str().expect("transactionId").to_owned();
    execute(&standin, insert(&rolled_back_id, 2)).await;
    let (status, _, ended) = call(
        &standin,
        "/RollbackTransaction",
        json!({ "transactionId": rolled_back_id }),
    )
    .await;
    assert_eq!(
        (status, ended),
        (200, json!({ "transactionStatus": "Rollback Complete" }))
    );
    assert_eq!(count(&standin).await, 1);

    for id in [&committed_id, &rolled_back_id] {
        let (status, error, body) = call(&standin, "/Execute", insert(id, 3)).await;
        assert_eq!(
            (status, error.as_deref()),
            (404, Some("TransactionNotFoundException")),
            "{body}"
        );
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains(id.as_str())),
            "{body}"
        );
    }
    assert_eq!(standin.open_transactions(), 0);
}

#[tokio::test]
async fn a_transaction_is_rolled_back_once_idle_past_its_timeout() {
    let (standin, _) = data_api::standin(|o| o.transaction_timeout = Duration::from_millis(300)).await;
    execute(&standin, json!({ "sql": "CREATE TABLE t (n bigint)" })).await;
    let (_, _, begun) = call(&standin, "/BeginTransaction", json!({})).await;
    let id = begun["transactionId"].as_str().expect("id").to_owned();
    let insert = json!({ "sql": "INSERT INTO t VALUES (1)", "transactionId": id });
    // Calls within the timeout keep it alive.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        execute(&standin, insert.clone()).await;
    }
    tokio::time::sleep(Duration::from_millis(900)).await;
    let (status, error, _) = call(&standin, "/CommitTransaction", json!({ "transactionId": id })).await;
    assert_eq!((status, error.as_deref()), (404, Some("TransactionNotFoundException")));
    let counted = execute(&standin, json!({ "sql": "SELECT count(*) AS c FROM t" })).await;
    assert_eq!(
        counted["records"][0][0]["longValue"], 0,
        "the expired transaction's rows are gone"
    );
}

#[tokio::test]
async fn a_transaction_runs_one_call_at_a_time() {
    let (standin, _) = data_api::standin(|_| {}).await;
    let (_, _, begun) = call(&standin, "/BeginTransaction", json!({})).await;
    let id = begun["transactionId"].as_str().expect("id").to_owned();
    let slow = call(
        &standin,
        "/Execute",
        json!({ "sql": "SELECT 1 AS one FROM pg_sleep(0.6)", "transactionId": id }),
    );
    let second = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        call(&standin, "/Execute", json!({ "sql": "SELECT 1", "transactionId": id })).await
    };
    let ((slow_status, _, _), (status, error, body)) = tokio::join!(slow, second);
    assert_eq!(slow_status, 200);
    assert_eq!((status, error.as_deref()), (400, Some("BadRequestException")), "{body}");
    // Once the first call is done the transaction takes calls again.
    execute(&standin, json!({ "sql": "SELECT 1", "transactionId": id })).await;
}

#[tokio::test]
async fn rows_over_64_kb_and_responses_over_1_mib_are_refused_as_the_data_api_refuses_them() {
    let (standin, _) = data_api::standin(|_| {}).await;
    let rows = |count: i64, width: i64| {
        json!({
            "sql": "SELECT repeat('x', CAST(:width AS integer)) AS t FROM generate_series(1, :count)",
            "parameters": [{ "name": "width", "value": { "longValue": width } }, { "name": "count", "value": { "longValue": count } }]
        })
    };
    execute(&standin, rows(1, 64 * 1024)).await;
    let (status, error, body) = call(&standin, "/Execute", rows(1, 64 * 1024 + 1)).await;
    assert_eq!((status, error.as_deref()), (400, Some("BadRequestException")), "{body}");
    // 16 rows of 64,000 characters: under 1 MiB with the JSON around them; 17 are over.
    execute(&standin, rows(16, 64_000)).await;
    let (status, error, body) = call(&standin, "/Execute", rows(17, 64_000)).await;
    assert_eq!((status, error.as_deref()), (400, Some("BadRequestException")), "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("response size limit"),
        "{body}"
    );
}

#[tokio::test]
async fn one_statement_per_call_and_the_documented_error_shapes() {
    let (standin, _) = data_api::standin(|_| {}).await;
    let (status, error, body) = call(&standin, "/Execute", json!({ "sql": "SELECT 1; SELECT 2" })).await;
    assert_eq!((status, error.as_deref()), (400, Some("BadRequestException")));
    assert_eq!(body, json!({ "message": "Multistatements aren't supported." }));

    execute(&standin, json!({ "sql": "CREATE TABLE u (k text PRIMARY KEY)" })).await;
    execute(&standin, json!({ "sql": "INSERT INTO u VALUES ('a')" })).await;
    let (status, error, body) = call(&standin, "/Execute", json!({ "sql": "INSERT INTO u VALUES ('a')" })).await;
    assert_eq!((status, error.as_deref()), (400, Some("DatabaseErrorException")));
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("ERROR: duplicate key value violates unique constraint")
            && message.ends_with("SQLState: 23505"),
        "{message}"
    );

    let (status, error, _) = raw(&standin, "/Execute", json!({ "sql": "SELECT 1" })).await;
    assert_eq!(
        (status, error.as_deref()),
        (400, Some("BadRequestException")),
        "resourceArn and secretArn are required"
    );

    let (status, error, batch) = call(
        &standin,
        "/BatchExecute",
        json!({
            "sql": "INSERT INTO u VALUES (:k)",
            "parameterSets": [[{ "name": "k", "value": { "stringValue": "b" } }], [{ "name": "k", "value": { "stringValue": "c" } }]]
        }),
    )
    .await;
    assert_eq!((status, error), (200, None));
    assert_eq!(
        batch,
        json!({ "updateResults": [{ "generatedFields": [] }, { "generatedFields": [] }] })
    );
    // A failing batch outside a transaction changes nothing.
    let (status, _, _) = call(
        &standin,
        "/BatchExecute",
        json!({
            "sql": "INSERT INTO u VALUES (:k)",
            "parameterSets": [[{ "name": "k", "value": { "stringValue": "d" } }], [{ "name": "k", "value": { "stringValue": "a" } }]]
        }),
    )
    .await;
    assert_eq!(status, 400);
    let counted = execute(&standin, json!({ "sql": "SELECT count(*) AS c FROM u" })).await;
    assert_eq!(counted["records"][0][0]["longValue"], 3);
    assert_eq!(
        standin.calls().of("BatchExecuteStatement"),
        2,
        "calls are counted by operation, failed ones too"
    );
}

#[tokio::test]
async fn the_production_executor_runs_through_the_sdk_on_the_standin_and_batches_in_one_call() {
    let (standin, _) = data_api::standin(|_| {}).await;
    let executor = data_api::executor(&standin, RetryPolicy::default());
    executor
        .execute("CREATE TABLE t (id uuid PRIMARY KEY, n bigint NOT NULL)", &[])
        .await
        .expect("create");
    let ids: Vec<uuid::Uuid> = (0..50).map(|_| uuid::Uuid::now_v7()).collect();
    let before = standin.calls();
    let mut tx = executor.begin().await.expect("begin");
    let sets: Vec<Vec<oms::sql::Param>> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| params!["id" => *id, "n" => n as i64].to_vec())
        .collect();
    tx.execute_batch("INSERT INTO t (id, n) VALUES (:id, :n)", &sets)
        .await
        .expect("batch");
    tx.execute_batch("INSERT INTO t (id, n) VALUES (:id, :n)", &[])
        .await
        .expect("an empty batch is no call");
    tx.commit().await.expect("commit");
    let calls = standin.calls().since(&before);
    assert_eq!(calls.of("BatchExecuteStatement"), 1, "{calls:?}");
    assert_eq!(calls.total(), 3, "begin, one batch of 50, commit: {calls:?}");
    let rows = executor
        .query("SELECT count(*) AS c, sum(n) AS s FROM t", &[])
        .await
        .expect("count");
    assert_eq!(rows[0].int("c").unwrap(), 50);
    match executor
        .execute("INSERT INTO t (id, n) VALUES (:id, 0)", &params!["id" => ids[0]])
        .await
    {
        Err(DbError::UniqueViolation(_)) => {}
        other => panic!("a duplicate key is a UniqueViolation: {other:?}"),
    }
}

fn quick_retries(budget_ms: u64) -> RetryPolicy {
    RetryPolicy {
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        budget: Duration::from_millis(budget_ms),
    }
}

#[tokio::test]
async fn the_executor_retries_a_resuming_database_and_throttling_within_its_budget_and_fails_fast_otherwise() {
    let (standin, _) = data_api::standin(|_| {}).await;
    let executor = data_api::executor(&standin, quick_retries(2_000));
    for (code, count) in [
        (ErrorCode::DatabaseResuming, 3),
        (ErrorCode::Throttling, 2),
        (ErrorCode::ServiceUnavailable, 1),
    ] {
        standin.fail_next(code, count);
        let before = standin.calls();
        let rows = executor
            .query("SELECT 1 AS one", &[])
            .await
            .unwrap_or_else(|e| panic!("{code:?}: {e}"));
        assert_eq!(rows[0].int("one").unwrap(), 1);
        assert_eq!(
            standin.calls().since(&before).total(),
            count as u64 + 1,
            "{code:?}: refused {count} times, then run"
        );
    }
    // A transaction begun while the cluster resumes, and a statement throttled inside it.
    standin.fail_next(ErrorCode::DatabaseResuming, 2);
    let mut tx = executor.begin().await.expect("begin after resuming");
    standin.fail_next(ErrorCode::Throttling, 1);
    tx.query("SELECT 1 AS one", &[])
        .await
        .expect("statement after throttling");
    tx.commit().await.expect("commit");

    // Not retryable: one call, failed at once.
    for code in [ErrorCode::BadRequest, ErrorCode::StatementTimeout, ErrorCode::Forbidden] {
        standin.fail_next(code, 1);
        let before = standin.calls();
        let started = Instant::now();
        let outcome = executor.query("SELECT 1 AS one", &[]).await;
        assert!(outcome.is_err(), "{code:?}");
        assert_eq!(standin.calls().since(&before).total(), 1, "{code:?} is not retried");
        assert!(started.elapsed() < Duration::from_millis(500));
    }
}

#[tokio::test]
async fn a_database_still_resuming_past_the_budget_fails_within_the_budget() {
    let (standin, _) = data_api::standin(|o| o.paused_for = Duration::from_secs(30)).await;
    let executor = data_api::executor(&standin, quick_retries(400));
    let started = Instant::now();
    match executor.query("SELECT 1 AS one", &[]).await {
        Err(DbError::Other(message)) => assert!(message.contains("DatabaseResumingException"), "{message}"),
        other => panic!("still resuming: {other:?}"),
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(600),
        "gave up within its 400 ms budget: {elapsed:?}"
    );
    let calls = standin.calls().total();
    assert!(
        (3..=40).contains(&calls),
        "retried with backoff, not in a tight loop: {calls} calls"
    );

    // The fault endpoint and the pause are what `oms-local data-api` offers over HTTP too.
    let (status, _, _) = raw(
        &standin,
        "/_standin/faults",
        json!({ "error": "ThrottlingException", "count": 1 }),
    )
    .await;
    assert_eq!(status, 200);
    let counts: Value = reqwest::get(format!("{}/_standin/calls", standin.endpoint_url()))
        .await
        .expect("calls")
        .json()
        .await
        .expect("JSON");
    assert_eq!(counts["ExecuteStatement"], calls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_database_is_migrated_through_the_data_api_and_then_serves_the_store() {
    // The first deployment's path: every migration through the production executor, one
    // statement a call (0009's trigger function is one statement with semicolons in its body).
    let (standin, _url) = oms_tests::data_api::standin(|_| {}).await;
    let executor = oms_tests::data_api::shared_executor(&standin);
    let applied = oms::sql::migrations::migrate(executor.as_ref())
        .await
        .expect("migrate through the Data API");
    assert_eq!(
        applied,
        oms::sql::migrations::MIGRATIONS
            .iter()
            .map(|m| m.version)
            .collect::<Vec<_>>()
    );
    assert!(
        oms::sql::migrations::migrate(executor.as_ref())
            .await
            .expect("again")
            .is_empty(),
        "a second run applies nothing"
    );
    let app = oms::app::App::over_sql(executor);
    oms_tests::fixtures::prepare(&app, oms_tests::fixtures::Fixture::Draft).await;
    let read = app
        .opportunities
        .get(oms_tests::fixtures::OPPORTUNITY)
        .await
        .expect("read")
        .expect("the fixture's draft");
    assert_eq!(read.status.as_str(), "draft");
    assert_eq!(standin.open_transactions(), 0);
}
