//! The Data API executor's own mapping, proven through the real SDK against the Data API's
//! documented JSON: typed parameters with type hints, records mapped to rows by the column
//! metadata, transaction ids carried on every statement, and service errors classified.
//! The HTTP exchanges are replayed (no network): each request body is compared with what the
//! Data API expects, each response is what the Data API returns.

use aws_sdk_rdsdata::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;
use oms::params;
use oms::sql::rdsdata::{DataApiExecutor, DataApiTarget};
use oms::sql::{DbError, SqlExecutor, SqlValue};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::macros::{date, datetime};
use uuid::Uuid;

const CLUSTER: &str = "arn:aws:rds:eu-west-1:123456789012:cluster:opportunities";
const SECRET: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:opportunities-db";

fn exchange(operation: &str, request: Value, status: u16, response: Value, error_type: Option<&str>) -> ReplayEvent {
    let request = http::Request::builder()
        .method("POST")
        .uri(format!("https://rds-data.eu-west-1.amazonaws.com/{operation}"))
        .header("content-type", "application/json")
        .body(SdkBody::from(request.to_string()))
        .unwrap();
    let mut builder = http::Response::builder()
        .status(status)
        .header("content-type", "application/json");
    if let Some(kind) = error_type {
        builder = builder.header("x-amzn-errortype", kind);
    }
    ReplayEvent::new(request, builder.body(SdkBody::from(response.to_string())).unwrap())
}

fn executor(events: Vec<ReplayEvent>) -> (DataApiExecutor, StaticReplayClient) {
    let replay = StaticReplayClient::new(events);
    let config = aws_sdk_rdsdata::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("AKIDEXAMPLE", "secret", None, None, "test"))
        .http_client(replay.clone())
        .build();
    let target = DataApiTarget {
        cluster_arn: CLUSTER.into(),
        secret_arn: SECRET.into(),
        database: "opportunities".into(),
    };
    (
        DataApiExecutor::new(aws_sdk_rdsdata::Client::from_conf(config), target),
        replay,
    )
}

fn statement(sql: &str, parameters: Value, transaction_id: Option<&str>) -> Value {
    let mut body = json!({
        "resourceArn": CLUSTER,
        "secretArn": SECRET,
        "database": "opportunities",
        "sql": sql,
        "parameters": parameters,
        "includeResultMetadata": true,
    });
    if let Some(id) = transaction_id {
        body["transactionId"] = json!(id);
    }
    body
}

#[tokio::test]
async fn parameters_carry_the_data_api_types_and_hints() {
    const SQL: &str = "INSERT INTO t (a, b, c, d, e, f, g, h, i) VALUES (:a, :b, :c, :d, :e, :f, :g, :h, :i)";
    let id = Uuid::parse_str("01a200b9-ec79-70f2-8493-f00110d74466").unwrap();
    // The instant is read as UTC in the statement, whatever the session's time zone.
    let expected = statement(
        "INSERT INTO t (a, b, c, d, e, f, g, h, i) VALUES (:a, (CAST(:b AS timestamp) AT TIME ZONE 'UTC'), :c, :d, :e, :f, :g, :h, :i)",
        json!([
            { "name": "a", "value": { "stringValue": "01a200b9-ec79-70f2-8493-f00110d74466" }, "typeHint": "UUID" },
            { "name": "b", "value": { "stringValue": "2026-11-22 10:11:12.123456" }, "typeHint": "TIMESTAMP" },
            { "name": "c", "value": { "stringValue": "2027-02-28" }, "typeHint": "DATE" },
            { "name": "d", "value": { "stringValue": "125000.00" }, "typeHint": "DECIMAL" },
            { "name": "e", "value": { "stringValue": "plain text" } },
            { "name": "f", "value": { "longValue": 42 } },
            { "name": "g", "value": { "booleanValue": true } },
            { "name": "h", "value": { "isNull": true } },
            { "name": "i", "value": { "stringValue": "{\"k\":1}" }, "typeHint": "JSON" }
        ]),
        None,
    );
    let (executor, replay) = executor(vec![exchange(
        "Execute",
        expected,
        200,
        json!({ "numberOfRecordsUpdated": 1, "generatedFields": [] }),
        None,
    )]);
    let changed = executor
        .execute(
            SQL,
            &params![
                "a" => id,
                "b" => datetime!(2026-11-22 10:11:12.123456 UTC),
                "c" => date!(2027-02-28),
                "d" => Decimal::new(12500000, 2),
                "e" => "plain text",
                "f" => 42i64,
                "g" => true,
                "h" => SqlValue::Null,
                "i" => SqlValue::Json("{\"k\":1}".into()),
            ],
        )
        .await
        .expect("execute");
    assert_eq!(changed, 1);
    replay.relaxed_requests_match();
}

#[tokio::test]
async fn records_become_rows_named_by_the_column_metadata() {
    const SQL: &str = "SELECT id, created_at, arr_amount, start_date, version, flexible, problem_statement FROM opportunities WHERE id = :id";
    let id = Uuid::now_v7();
    let response = json!({
        "columnMetadata": [
            { "name": "id", "label": "id", "typeName": "uuid" },
            { "name": "created_at", "label": "created_at", "typeName": "timestamptz" },
            { "name": "arr_amount", "label": "arr_amount", "typeName": "numeric" },
            { "name": "start_date", "label": "start_date", "typeName": "date" },
            { "name": "version", "label": "version", "typeName": "int8" },
            { "name": "flexible", "label": "flexible", "typeName": "bool" },
            { "name": "problem_statement", "label": "problem_statement", "typeName": "text" }
        ],
        "records": [[
            { "stringValue": id.to_string() },
            { "stringValue": "2026-11-22 10:11:12.5" },
            { "stringValue": "125000.00" },
            { "stringValue": "2027-01-04" },
            { "longValue": 3 },
            { "booleanValue": false },
            { "isNull": true }
        ]],
        "numberOfRecordsUpdated": 0
    });
    let expected = statement(
        SQL,
        json!([{ "name": "id", "value": { "stringValue": id.to_string() }, "typeHint": "UUID" }]),
        None,
    );
    let (executor, replay) = executor(vec![exchange("Execute", expected, 200, response, None)]);
    let rows = executor.query(SQL, &params!["id" => id]).await.expect("query");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.uuid("id").unwrap(), id);
    assert_eq!(
        row.timestamp("created_at").unwrap(),
        datetime!(2026-11-22 10:11:12.5 UTC)
    );
    assert_eq!(row.decimal("arr_amount").unwrap(), Decimal::new(12500000, 2));
    assert_eq!(row.date("start_date").unwrap(), date!(2027 - 01 - 04));
    assert_eq!(row.int("version").unwrap(), 3);
    assert!(!row.bool("flexible").unwrap());
    assert_eq!(row.opt_text("problem_statement").unwrap(), None);
    replay.relaxed_requests_match();
}

#[tokio::test]
async fn a_transaction_carries_its_id_and_commits() {
    const SQL: &str = "UPDATE opportunities SET title = :title WHERE id = :id";
    let id = Uuid::now_v7();
    let begin = json!({ "resourceArn": CLUSTER, "secretArn": SECRET, "database": "opportunities" });
    let update = statement(
        SQL,
        json!([
            { "name": "title", "value": { "stringValue": "New" } },
            { "name": "id", "value": { "stringValue": id.to_string() }, "typeHint": "UUID" }
        ]),
        Some("tx-42"),
    );
    let end = json!({ "resourceArn": CLUSTER, "secretArn": SECRET, "transactionId": "tx-42" });
    let (executor, replay) = executor(vec![
        exchange(
            "BeginTransaction",
            begin,
            200,
            json!({ "transactionId": "tx-42" }),
            None,
        ),
        exchange("Execute", update, 200, json!({ "numberOfRecordsUpdated": 1 }), None),
        exchange(
            "CommitTransaction",
            end,
            200,
            json!({ "transactionStatus": "Transaction Committed" }),
            None,
        ),
    ]);
    let mut tx = executor.begin().await.expect("begin");
    assert_eq!(
        tx.execute(SQL, &params!["title" => "New", "id" => id])
            .await
            .expect("execute"),
        1
    );
    tx.commit().await.expect("commit");
    replay.relaxed_requests_match();
}

#[tokio::test]
async fn an_explicit_rollback_names_the_transaction() {
    let begin = json!({ "resourceArn": CLUSTER, "secretArn": SECRET, "database": "opportunities" });
    let end = json!({ "resourceArn": CLUSTER, "secretArn": SECRET, "transactionId": "tx-7" });
    let (executor, replay) = executor(vec![
        exchange("BeginTransaction", begin, 200, json!({ "transactionId": "tx-7" }), None),
        exchange(
            "RollbackTransaction",
            end,
            200,
            json!({ "transactionStatus": "Rollback Complete" }),
            None,
        ),
    ]);
    let tx = executor.begin().await.expect("begin");
    tx.rollback().await.expect("rollback");
    replay.relaxed_requests_match();
}

#[tokio::test]
async fn database_errors_are_classified_from_the_service_message() {
    const SQL: &str = "INSERT INTO customers (id) VALUES (:id)";
    let id = Uuid::now_v7();
    let request = || {
        statement(
            SQL,
            json!([{ "name": "id", "value": { "stringValue": id.to_string() }, "typeHint": "UUID" }]),
            None,
        )
    };
    let (executor, _replay) = executor(vec![
        exchange(
            "Execute",
            request(),
            400,
            json!({ "message": "ERROR: duplicate key value violates unique constraint \"customers_pkey\"\n  Detail: Key (id)=(x) already exists.; SQLState: 23505" }),
            Some("BadRequestException"),
        ),
        exchange(
            "Execute",
            request(),
            400,
            json!({ "message": "ERROR: insert or update on table \"opportunities\" violates foreign key constraint \"opportunities_customer_id_fkey\"; SQLState: 23503" }),
            Some("DatabaseErrorException"),
        ),
        exchange(
            "Execute",
            request(),
            403,
            json!({ "message": "User is not authorized" }),
            Some("ForbiddenException"),
        ),
        // An answer with no service code at all (a request over the 4 MiB limit): its HTTP status
        // is what says what happened.
        exchange(
            "Execute",
            request(),
            413,
            json!({ "message": "Request entity too large" }),
            None,
        ),
    ]);
    let params = params!["id" => id];
    assert!(matches!(
        executor.execute(SQL, &params).await,
        Err(DbError::UniqueViolation(_))
    ));
    assert!(matches!(
        executor.execute(SQL, &params).await,
        Err(DbError::ForeignKeyViolation(_))
    ));
    match executor.execute(SQL, &params).await {
        Err(DbError::Other(message)) => {
            assert!(
                message.contains("HTTP 403") && message.contains("ForbiddenException"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    match executor.execute(SQL, &params).await {
        Err(DbError::Other(message)) => assert!(message.contains("HTTP 413"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_version_counted_up_in_a_transaction_is_read_from_the_returned_record() {
    use oms::store::statements::{BUMP_CATALOG_VERSION, BUMP_OPPORTUNITY_VERSION};
    let id = Uuid::now_v7();
    let begin = json!({ "resourceArn": CLUSTER, "secretArn": SECRET, "database": "opportunities" });
    let version = |value: i64| {
        json!({
            "columnMetadata": [{ "name": "version", "label": "version", "typeName": "int8" }],
            "records": [[{ "longValue": value }]],
            "numberOfRecordsUpdated": 1
        })
    };
    let bump = statement(
        BUMP_OPPORTUNITY_VERSION,
        json!([{ "name": "id", "value": { "stringValue": id.to_string() }, "typeHint": "UUID" }]),
        Some("tx-7"),
    );
    let catalog = statement(BUMP_CATALOG_VERSION, json!([]), Some("tx-7"));
    let end = json!({ "resourceArn": CLUSTER, "secretArn": SECRET, "transactionId": "tx-7" });
    let (executor, replay) = executor(vec![
        exchange("BeginTransaction", begin, 200, json!({ "transactionId": "tx-7" }), None),
        exchange("Execute", bump, 200, version(8), None),
        exchange("Execute", catalog, 200, version(4_000_000_000_000_001), None),
        exchange(
            "CommitTransaction",
            end,
            200,
            json!({ "transactionStatus": "Transaction Committed" }),
            None,
        ),
    ]);
    let mut tx = executor.begin().await.expect("begin");
    let rows = tx
        .query(BUMP_OPPORTUNITY_VERSION, &params!["id" => id])
        .await
        .expect("bump");
    assert_eq!(rows[0].int("version").unwrap(), 8);
    let rows = tx.query(BUMP_CATALOG_VERSION, &[]).await.expect("catalog");
    assert_eq!(rows[0].int("version").unwrap(), 4_000_000_000_000_001);
    tx.commit().await.expect("commit");
    replay.relaxed_requests_match();
}
