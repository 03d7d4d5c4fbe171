//! The production configuration end to end, offline: the real function binaries under a Lambda
//! Runtime API with `OMS_DATABASE=data-api` (the Data API client pointed at the stand-in over
//! PostgreSQL by `AWS_ENDPOINT_URL_RDS_DATA`) and DynamoDB and SQS at moto; and `oms-local serve
//! --database data-api`, the whole local API on the same production adapter.

use std::process::Stdio;
use std::time::Duration;

use oms::app::App;
use oms::sql::standin::DataApiStandin;
use oms_tests::data_api::{self, CLUSTER_ARN, SECRET_ARN};
use oms_tests::fixtures::{Fixture, OPPORTUNITY, prepare};
use oms_tests::runtime_api::{Outcome, RuntimeApi};
use serde_json::Value;
use tokio::process::Command;
use uuid::Uuid;

/// The app client the samples' tokens belong to.
const SAMPLE_APP_CLIENT: &str = "4f2k9h3j5l7n1p3r5t7v9x1z3b";

fn sample(function: &str) -> Value {
    let path = oms_tests::workspace_root()
        .join("events")
        .join(format!("{function}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("JSON")
}

/// The production environment of a function (as its template entry sets it), pointed at the
/// stand-ins.
struct Production {
    standin: DataApiStandin,
    moto: String,
    table: String,
    queue_url: String,
}

impl Production {
    async fn start() -> Production {
        let standin = data_api::migrated_standin(|_| {}).await;
        let moto = std::env::var("OMS_TEST_MOTO_URL").expect("OMS_TEST_MOTO_URL (scripts/test starts moto)");
        let aws = oms_tests::moto_config_at(&moto).await;
        let table = format!("oms-e2e-{}", Uuid::new_v4().simple());
        oms_tests::create_cache_table(&aws_sdk_dynamodb::Client::new(&aws), &table).await;
        let queue_url = aws_sdk_sqs::Client::new(&aws)
            .create_queue()
            .queue_name(format!("oms-e2e-{}", Uuid::new_v4().simple()))
            .send()
            .await
            .expect("queue")
            .queue_url
            .expect("queue url");
        Production {
            standin,
            moto,
            table,
            queue_url,
        }
    }

    fn environment(&self) -> Vec<(&'static str, String)> {
        vec![
            ("OMS_DATABASE", "data-api".into()),
            ("OMS_DB_CLUSTER_ARN", CLUSTER_ARN.into()),
            ("OMS_DB_SECRET_ARN", SECRET_ARN.into()),
            ("OMS_DB_NAME", "opportunities".into()),
            ("AWS_ENDPOINT_URL_RDS_DATA", self.standin.endpoint_url()),
            ("AWS_ENDPOINT_URL", self.moto.clone()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("OMS_CACHE_TABLE", self.table.clone()),
            ("OMS_REQUEST_COUNTER_TABLE", self.table.clone()),
            ("OMS_CHANGE_EVENTS_QUEUE_URL", self.queue_url.clone()),
            ("OMS_DEAD_LETTER_QUEUE_URL", self.queue_url.clone()),
            ("OMS_COGNITO_APP_CLIENT_IDS", SAMPLE_APP_CLIENT.into()),
            ("OMS_COGNITO_TOKEN_USES", "id,access".into()),
            ("RUST_LOG", "warn".into()),
        ]
    }

    /// Runs `event` through the function binary `function` as Lambda does, returning its outcome.
    async fn invoke(&self, function: &str, event: &Value) -> Outcome {
        self.invoke_with(function, event, &[]).await
    }

    /// [`Production::invoke`] with more environment.
    async fn invoke_with(&self, function: &str, event: &Value, extra: &[(&str, &str)]) -> Outcome {
        let mut api = RuntimeApi::start().await;
        let mut child = Command::new(oms_tests::built_binary(function))
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", &api.address)
            .env("AWS_LAMBDA_FUNCTION_NAME", function)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .envs(self.environment())
            .envs(extra.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the function binary");
        api.invoke(&format!("{function}-1"), event).await;
        let outcome = tokio::time::timeout(Duration::from_secs(30), api.outcomes.recv())
            .await
            .unwrap_or_else(|_| panic!("{function} answered within 30 s"))
            .expect("outcome");
        let _ = child.kill().await;
        outcome
    }
}

fn status_of(outcome: &Outcome) -> u64 {
    outcome.body["statusCode"].as_u64().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_function_binaries_serve_their_samples_on_the_data_api_and_moto() {
    let production = Production::start().await;
    // The records the samples name, written through the same production executor.
    let app = App::over_sql(data_api::shared_executor(&production.standin));
    prepare(&app, Fixture::Draft).await;

    let mut calls_before = production.standin.calls();
    for (function, expected) in [
        ("get-opportunity", 200),
        ("patch-opportunity", 200),
        ("put-problem-statement", 200),
        ("put-skill-requirements", 200),
        ("submit-opportunity", 200),
        ("list-opportunities", 200),
        ("get-opportunity-history", 200),
        ("create-opportunity", 201),
    ] {
        let outcome = production.invoke(function, &sample(function)).await;
        assert_eq!(outcome.kind, "response", "{function}: {:?}", outcome.body);
        assert_eq!(status_of(&outcome), expected, "{function}: {:?}", outcome.body);
        let calls = production.standin.calls();
        assert!(
            calls.since(&calls_before).total() > 0,
            "{function} ran its statements through the Data API stand-in"
        );
        calls_before = calls;
    }
    // The status event the matching service sends, through the SQS consumer binary.
    let outcome = production
        .invoke("opportunity-status-events", &sample("opportunity-status-events"))
        .await;
    assert_eq!(outcome.kind, "response", "{:?}", outcome.body);
    assert_eq!(
        outcome.body["batchItemFailures"],
        serde_json::json!([]),
        "{:?}",
        outcome.body
    );

    let stored = oms::ports::store::OpportunityStore::get(app.opportunities.as_ref(), OPPORTUNITY)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(stored.status.as_str(), "matching_in_progress");
    assert_eq!(stored.priority.as_str(), "critical");
    assert_eq!(production.standin.open_transactions(), 0, "every transaction ended");
}

/// An `events/auth/` sample.
fn auth_sample(name: &str) -> Value {
    let path = oms_tests::workspace_root()
        .join("events/auth")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_function_binaries_take_the_caller_only_from_what_the_authorizer_verified() {
    let production = Production::start().await;
    for (sample, function, expected) in [
        ("two-authorization-headers", "create-skill", 401),
        ("edited-groups-in-the-header", "create-skill", 403),
        ("group-named-with-a-comma", "create-skill", 403),
        ("expired-token", "get-me", 401),
        ("access-token", "get-me", 200),
    ] {
        let outcome = production.invoke(function, &auth_sample(sample)).await;
        assert_eq!(outcome.kind, "response", "{sample}: {:?}", outcome.body);
        assert_eq!(status_of(&outcome), expected, "{sample}: {:?}", outcome.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_user_limit_is_counted_in_the_cache_table_across_cold_starts() {
    let production = Production::start().await;
    let limit = [("OMS_REQUESTS_PER_MINUTE", "2")];
    // The three calls must fall in one minute of the clock (a window): start early in one.
    let second = time::OffsetDateTime::now_utc().unix_timestamp().rem_euclid(60);
    if second > 30 {
        tokio::time::sleep(Duration::from_secs(u64::try_from(61 - second).unwrap_or(1))).await;
    }
    // Each invocation is a new process (a new sandbox): the count lives in DynamoDB, not memory.
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let outcome = production.invoke_with("get-me", &sample("get-me"), &limit).await;
        statuses.push(status_of(&outcome));
        last = Some(outcome);
    }
    assert_eq!(statuses, [200, 200, 429]);
    let refused = last.expect("three calls").body;
    let retry_after = refused["multiValueHeaders"]["retry-after"][0]
        .as_str()
        .unwrap_or_default();
    assert!(
        retry_after.parse::<u64>().is_ok_and(|s| (1..=60).contains(&s)),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_server_runs_the_whole_api_on_the_data_api_adapter() {
    let production = Production::start().await;
    let environment: Vec<(&str, String)> = production
        .environment()
        .into_iter()
        .filter(|(name, _)| !name.starts_with("OMS_COGNITO") && *name != "RUST_LOG")
        .collect();
    let before = production.standin.calls();
    let server = oms_tests::LocalServer::start_with(&environment).await;
    let alice = server.sales_manager("alice").await;
    let created = alice
        .create_opportunity(&oms_tests::opportunity_body("Data API end to end", "Contoso"))
        .await
        .body;
    let id = created["id"].as_str().expect("created").to_owned();
    assert_eq!(alice.get_opportunity(&id).await.status, 200);
    let calls = production.standin.calls().since(&before);
    assert!(
        calls.of("BeginTransaction") >= 1 && calls.of("CommitTransaction") >= 1 && calls.of("ExecuteStatement") >= 1,
        "the server migrated, seeded and wrote through the Data API: {calls:?}"
    );
    server.stop().await;
}
