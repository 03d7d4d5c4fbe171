//! The function binaries run as Lambda runs them: started with `AWS_LAMBDA_RUNTIME_API` pointing
//! at a Runtime API, they fetch invocations and post responses. The database is the embedded
//! file, configured by environment, as `cargo lambda watch` would run them.

use std::process::Stdio;
use std::time::Duration;

use oms_tests::runtime_api::{Outcome, RuntimeApi};
use serde_json::Value;
use tokio::process::{Child, Command};

const OPPORTUNITY: &str = "0195f3a0-7c1e-7d2a-9b4e-3f1a2b3c4d5e";

fn sample(function: &str) -> Value {
    let path = oms_tests::workspace_root()
        .join("events")
        .join(format!("{function}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("JSON")
}

fn start(function: &str, api: &RuntimeApi, database: &std::path::Path) -> Child {
    start_with(function, api, database, &[])
}

/// [`start`] with more environment (a job's configuration).
fn start_with(function: &str, api: &RuntimeApi, database: &std::path::Path, extra: &[(&str, String)]) -> Child {
    Command::new(oms_tests::built_binary(function))
        .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", &api.address)
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{function}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/22/[$LATEST]0123456789abcdef")
        .env("OMS_DATABASE", format!("sqlite:{}", database.display()))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the function binary")
}

async fn next_outcome(api: &mut RuntimeApi) -> Outcome {
    tokio::time::timeout(Duration::from_secs(30), api.outcomes.recv())
        .await
        .expect("the function answered within 30 s")
        .expect("outcome")
}

fn body_of(outcome: &Outcome) -> Value {
    serde_json::from_str(outcome.body["body"].as_str().expect("proxy body")).expect("JSON body")
}

/// A database file with the customer and opportunity the samples name.
async fn seeded_database(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("oms.sqlite3");
    let executor = oms::sql::sqlite::SqliteExecutor::open(&path).expect("open");
    oms::sql::migrations::migrate(&executor).await.expect("migrate");
    let app = oms::app::App::over_sql(std::sync::Arc::new(executor));
    let created = oms::runtime::invoke_api_gateway_event(
        oms::routes::by_function("create-customer").expect("route"),
        &app,
        serde_json::json!({
            "resource": "/v1/customers", "path": "/v1/customers", "httpMethod": "POST",
            "headers": {"content-type": "application/json"}, "body": "{\"name\":\"Contoso\"}",
            "requestContext": {"stage": "prod", "requestId": "seed", "httpMethod": "POST", "resourcePath": "/v1/customers",
                "authorizer": {"claims": {"sub": "5f8d2c1e-3b4a-4c6d-8e9f-0a1b2c3d4e5f", "cognito:groups": "SalesManager", "exp": oms_tests::CLAIMS_EXP}}}
        }),
    )
    .await
    .expect("seed customer");
    assert_eq!(created["statusCode"], 201);
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_create_and_get_binaries_serve_invocations_through_the_runtime_api() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = seeded_database(&dir).await;
    let customer_id = {
        let executor = oms::sql::sqlite::SqliteExecutor::open(&database).expect("open");
        let rows = oms::sql::SqlExecutor::query(&executor, "SELECT id FROM customers", &[])
            .await
            .expect("query");
        rows[0].text("id").expect("id")
    };

    let mut api = RuntimeApi::start().await;
    let mut create = start("create-opportunity", &api, &database);
    let mut event = sample("create-opportunity");
    let mut body: Value = serde_json::from_str(event["body"].as_str().unwrap()).unwrap();
    body["customer"]["id"] = Value::String(customer_id);
    event["body"] = Value::String(body.to_string());
    api.invoke("invocation-1", &event).await;
    let created = next_outcome(&mut api).await;
    assert_eq!(
        (created.request_id.as_str(), created.kind.as_str()),
        ("invocation-1", "response")
    );
    assert_eq!(created.body["statusCode"], 201, "{:?}", created.body);
    let id = body_of(&created)["id"].as_str().expect("id").to_owned();

    // A warm invocation with a malformed body: a problem document, and the function keeps serving.
    let mut bad = sample("create-opportunity");
    bad["body"] = Value::String("{not json".into());
    bad["headers"]["Idempotency-Key"] = Value::String("other-key".into());
    api.invoke("invocation-2", &bad).await;
    let refused = next_outcome(&mut api).await;
    assert_eq!(refused.body["statusCode"], 400);
    assert_eq!(body_of(&refused)["code"], "malformed_json");
    create.kill().await.ok();

    let mut get = start("get-opportunity", &api, &database);
    let mut event = sample("get-opportunity");
    let path = event["path"].as_str().unwrap().replace(OPPORTUNITY, &id);
    event["path"] = Value::String(path);
    event["pathParameters"]["id"] = Value::String(id.clone());
    api.invoke("invocation-3", &event).await;
    let fetched = next_outcome(&mut api).await;
    assert_eq!(fetched.body["statusCode"], 200, "{:?}", fetched.body);
    assert_eq!(body_of(&fetched)["id"], id);
    assert_eq!(body_of(&fetched)["title"], "Serverless order platform");
    assert_eq!(fetched.body["multiValueHeaders"]["etag"][0], "\"1\"");

    api.invoke("invocation-4", &sample("get-opportunity")).await;
    let missing = next_outcome(&mut api).await;
    assert_eq!(missing.body["statusCode"], 404);
    get.kill().await.ok();
}

/// The authorizer binary under the Runtime API: configured from the environment at init, it
/// answers a token it cannot accept with the function error `Unauthorized`, the message API
/// Gateway turns into a 401, and keeps serving. (The tokens are refused before any key is
/// needed, so no JWKS is fetched.)
#[tokio::test]
async fn the_authorizer_binary_answers_unacceptable_tokens_with_unauthorized() {
    let mut api = RuntimeApi::start().await;
    let mut authorizer = Command::new(oms_tests::built_binary("authorizer"))
        .env("AWS_LAMBDA_RUNTIME_API", &api.address)
        .env("AWS_LAMBDA_FUNCTION_NAME", "authorizer")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("OMS_COGNITO_USER_POOL_ID", "eu-west-1_Ab12Cd34E")
        .env("OMS_COGNITO_APP_CLIENT_IDS", "4f2k9h3j5l7n1p3r5t7v9x1z3b")
        .env("OMS_COGNITO_TOKEN_USES", "id,access")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the authorizer binary");
    for (id, token) in [("auth-1", "Bearer not.a.jwt"), ("auth-2", "Basic dXNlcjpwYXNz")] {
        let mut event = sample("authorizer");
        event["authorizationToken"] = Value::String(token.into());
        api.invoke(id, &event).await;
        let outcome = next_outcome(&mut api).await;
        assert_eq!((outcome.request_id.as_str(), outcome.kind.as_str()), (id, "error"));
        assert_eq!(outcome.body["errorMessage"], "Unauthorized", "{:?}", outcome.body);
    }
    authorizer.kill().await.ok();
}

/// A fixed clock, for writing the database as it was at another time.
struct At(time::OffsetDateTime);

impl oms::ports::Clock for At {
    fn now(&self) -> time::OffsetDateTime {
        self.0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purge_and_export_jobs_run_their_scheduled_events_through_the_runtime_api() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("oms.sqlite3");
    let executor = oms::sql::sqlite::SqliteExecutor::open(&database).expect("open");
    oms::sql::migrations::migrate(&executor).await.expect("migrate");
    let mut app = oms::app::App::over_sql(std::sync::Arc::new(executor));
    let manager = "5f8d2c1e-3b4a-4c6d-8e9f-0a1b2c3d4e5f";
    // Eight years ago: one opportunity cancelled then (past its retention), one still a draft.
    app.clock = std::sync::Arc::new(At(time::OffsetDateTime::now_utc() - time::Duration::days(8 * 365)));
    let mut ids = Vec::new();
    for title in ["Cancelled long ago", "Old draft"] {
        let (status, created) = oms_tests::call(
            &app,
            "create-opportunity",
            oms_tests::api_event(
                "create-opportunity",
                None,
                Some(oms_tests::opportunity_body(title, "Contoso")),
                manager,
                "SalesManager",
            ),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let cancel = oms_tests::api_event(
        "cancel-opportunity",
        Some(ids[0].parse().unwrap()),
        Some(serde_json::json!({ "reason": "The customer chose another partner." })),
        manager,
        "SalesManager",
    );
    assert_eq!(oms_tests::call(&app, "cancel-opportunity", cancel).await.0, 200);

    let mut api = RuntimeApi::start().await;
    let mut purge = start("retention-purge", &api, &database);
    api.invoke("purge-1", &sample("retention-purge")).await;
    let purged = next_outcome(&mut api).await;
    assert_eq!(
        (purged.request_id.as_str(), purged.kind.as_str()),
        ("purge-1", "response"),
        "{:?}",
        purged.body
    );
    assert_eq!(purged.body["opportunities"], 1, "{:?}", purged.body);
    assert_eq!(purged.body["history"], 2, "created and cancelled");
    assert_eq!(purged.body["complete"], true);
    // A second run finds nothing left: idempotent.
    api.invoke("purge-2", &sample("retention-purge")).await;
    let again = next_outcome(&mut api).await;
    assert_eq!(again.body["opportunities"], 0, "{:?}", again.body);
    purge.kill().await.ok();

    let exports = dir.path().join("exports");
    let mut export = start_with(
        "opportunity-export",
        &api,
        &database,
        &[("OMS_EXPORTS_DIR", exports.display().to_string())],
    );
    api.invoke("export-1", &sample("opportunity-export")).await;
    let exported = next_outcome(&mut api).await;
    assert_eq!(exported.kind, "response", "{:?}", exported.body);
    assert_eq!(
        (exported.body["run"].as_i64(), exported.body["records"].as_i64()),
        (Some(1), Some(1))
    );
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(exports.join(exported.body["manifest"].as_str().unwrap())).expect("manifest written"),
    )
    .unwrap();
    assert_eq!(manifest["records"], 1);
    let part = exports.join(manifest["files"][0]["key"].as_str().unwrap());
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(part).unwrap()),
        &mut text,
    )
    .unwrap();
    let record: Value = serde_json::from_str(text.trim_end()).unwrap();
    assert_eq!(record["id"], ids[1].as_str(), "the draft, not the purged one");
    export.kill().await.ok();

    // Without a destination the run is a function error (Lambda retries it, the alarm sees it).
    let mut unconfigured = start("opportunity-export", &api, &dir.path().join("other.sqlite3"));
    api.invoke("export-2", &sample("opportunity-export")).await;
    let refused = next_outcome(&mut api).await;
    assert_eq!(refused.kind, "error", "{:?}", refused.body);
    assert!(
        refused.body.to_string().contains("OMS_EXPORTS_DIR"),
        "{:?}",
        refused.body
    );
    unconfigured.kill().await.ok();
}
