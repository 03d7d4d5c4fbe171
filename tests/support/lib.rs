//! Helpers shared by the integration tests: fresh databases on every backend, the local server
//! as a child process, tokens, and the workspace's built binaries.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use oms::sql::postgres::PostgresExecutor;
use oms::sql::sqlite::SqliteExecutor;
use oms::sql::{SqlExecutor, migrations};
use tokio::process::{Child, Command};

pub mod client;
pub mod recording;
pub mod round_trips;
pub mod template;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A binary built by `cargo build --workspace` (the test command builds them first).
pub fn built_binary(name: &str) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(|_| workspace_root().join("target"), PathBuf::from);
    let path = target.join("debug").join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --workspace` first (scripts/test does)",
        path.display()
    );
    path
}

/// A fresh, migrated SQLite database in a temporary folder (kept alive by the returned guard).
pub async fn sqlite_executor() -> (Arc<dyn SqlExecutor>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let executor = SqliteExecutor::open(&dir.path().join("test.sqlite3")).expect("open sqlite");
    migrations::migrate(&executor).await.expect("migrate sqlite");
    (Arc::new(executor), dir)
}

/// The PostgreSQL server the test command started (`OMS_TEST_POSTGRES_URL`).
pub fn postgres_url() -> String {
    std::env::var("OMS_TEST_POSTGRES_URL").expect(
        "OMS_TEST_POSTGRES_URL is not set: run the suite with scripts/test, which starts a PostgreSQL server for it",
    )
}

/// A fresh, empty PostgreSQL schema of its own, as a URL whose connections use it.
pub async fn postgres_schema_url() -> String {
    let url = postgres_url();
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect to the test PostgreSQL");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .expect("create schema");
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-csearch_path%3D{schema}")
}

/// A fresh, migrated PostgreSQL schema of its own (so tests run in parallel without sharing rows).
pub async fn postgres_executor() -> Arc<dyn SqlExecutor> {
    let executor = PostgresExecutor::new(&postgres_schema_url().await, 8);
    migrations::migrate(&executor).await.expect("migrate postgres");
    Arc::new(executor)
}

/// Processes of the workspace that report where they listen in a ready file (`oms-local serve
/// --ready-file`, `oms-local data-api --ready-file`): written whole, once they are bound.
pub mod ready {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use tokio::process::Child;

    /// Waits until `child` wrote its base URL to `ready_file`. Fails, with what it wrote to `log`
    /// (its stderr), when it exits first or takes longer than `timeout`.
    pub async fn wait_for_url(child: &mut Child, ready_file: &Path, log: &Path, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(url) = std::fs::read_to_string(ready_file) {
                let url = url.trim().to_owned();
                assert!(url.starts_with("http://"), "the ready file holds {url:?}");
                return url;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "the process exited before it was ready ({status}):\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the process was not ready within {timeout:?}:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The local server running as a child process on a free port, on its own data folder.
pub struct LocalServer {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// Its data folder (database file and issuer key).
    pub data_dir: tempfile::TempDir,
    /// Its ready file and its stderr (`stderr.log`), apart from the data folder it owns.
    run_dir: tempfile::TempDir,
    http: reqwest::Client,
    child: Child,
    stopped: bool,
}

impl LocalServer {
    /// Starts `oms-local serve --port 0` and waits until it listens.
    pub async fn start() -> LocalServer {
        Self::start_with(&[]).await
    }

    /// Starts it with more environment (a database, AWS adapters pointed at moto, ...).
    pub async fn start_with(environment: &[(&str, String)]) -> LocalServer {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let run_dir = tempfile::tempdir().expect("temp dir");
        let ready_file = run_dir.path().join("ready");
        let log = run_dir.path().join("stderr.log");
        let mut child = Command::new(built_binary("oms-local"))
            .args(["serve", "--port", "0", "--ready-file"])
            .arg(&ready_file)
            .arg("--data-dir")
            .arg(data_dir.path())
            .env_remove("OMS_DATABASE")
            .env("RUST_LOG", "warn")
            .envs(environment.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("server log"))
            .kill_on_drop(true)
            .spawn()
            .expect("start oms-local");
        let base_url = ready::wait_for_url(&mut child, &ready_file, &log, Duration::from_secs(30)).await;
        LocalServer {
            base_url,
            data_dir,
            run_dir,
            http: reqwest::Client::new(),
            child,
            stopped: false,
        }
    }

    /// A token from the server's own issuer (`oms-local token ...`).
    pub async fn token(&self, sub: &str, groups: &[&str], extra: &[&str]) -> String {
        let mut command = Command::new(built_binary("oms-local"));
        command
            .args([
                "token",
                "--sub",
                sub,
                "--email",
                &format!("{sub}@example.com"),
                "--data-dir",
            ])
            .arg(self.data_dir.path());
        for group in groups {
            command.args(["--group", group]);
        }
        command.args(extra);
        let output = command.output().await.expect("run oms-local token");
        assert!(
            output.status.success(),
            "token command failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let token = String::from_utf8(output.stdout).expect("utf-8").trim().to_owned();
        assert_eq!(
            token.split('.').count(),
            3,
            "the token command printed something other than a JWT"
        );
        token
    }

    /// A caller signed in as `sub` in `groups` (a token of the server's issuer).
    pub async fn session(&self, sub: &str, groups: &[&str]) -> client::Session {
        self.session_with(self.token(sub, groups, &[]).await)
    }

    /// A Sales Manager signed in as `sub`.
    pub async fn sales_manager(&self, sub: &str) -> client::Session {
        self.session(sub, &["SalesManager"]).await
    }

    /// An Admin signed in as `sub`.
    pub async fn admin(&self, sub: &str) -> client::Session {
        self.session(sub, &["Admin"]).await
    }

    /// A caller presenting `token`, whatever it is.
    pub fn session_with(&self, token: impl Into<String>) -> client::Session {
        client::Session::new(self.http.clone(), &self.base_url, Some(token.into()))
    }

    /// A caller without a token.
    pub fn anonymous(&self) -> client::Session {
        client::Session::new(self.http.clone(), &self.base_url, None)
    }

    /// The URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// What the server wrote to its stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.run_dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// Stops the server, failing the test if it panicked or died on its way.
    pub async fn stop(mut self) {
        self.assert_healthy();
        self.stopped = true;
        let _ = self.child.kill().await;
    }

    /// A panic in a handler ends the server (it aborts, as a released Lambda function does), and
    /// its log says so: either fails the test that used it, showing the log.
    fn assert_healthy(&mut self) {
        let log = self.log();
        let panics: Vec<&str> = log.lines().filter(|line| line.contains("panicked")).collect();
        assert!(panics.is_empty(), "the local server panicked: {panics:?}\n{log}");
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("the local server exited during the test: {status}\n{log}");
        }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if !self.stopped && !std::thread::panicking() {
            self.assert_healthy();
        }
    }
}

/// A valid create-opportunity body.
pub fn opportunity_body(title: &str, customer: &str) -> serde_json::Value {
    serde_json::json!({
        "customer": { "name": customer },
        "title": title,
        "description": "Move the order platform to a serverless architecture.",
        "priority": "high",
        "annual_recurring_revenue": { "amount": "125000.00", "currency": "EUR" },
        "timeline": { "start_date": "2027-02-01", "duration_days": 90, "flexible": true }
    })
}

/// A stand-in for the Lambda Runtime API (`AWS_LAMBDA_RUNTIME_API`): it hands queued events to
/// `GET /2018-06-01/runtime/invocation/next` and collects what the function posts back.
pub mod runtime_api {
    use std::collections::VecDeque;
    use std::convert::Infallible;
    use std::sync::Arc;

    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper::body::Incoming;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper::{Request, Response};
    use hyper_util::rt::TokioIo;
    use tokio::net::TcpListener;
    use tokio::sync::{Mutex, Notify, mpsc};

    /// What the function answered for one invocation.
    #[derive(Debug, Clone)]
    pub struct Outcome {
        /// The invocation's request id.
        pub request_id: String,
        /// `response` or `error`.
        pub kind: String,
        /// The posted body.
        pub body: serde_json::Value,
    }

    struct State {
        queue: Mutex<VecDeque<(String, String)>>,
        arrived: Notify,
        outcomes: mpsc::UnboundedSender<Outcome>,
        polls: mpsc::UnboundedSender<std::time::Instant>,
    }

    /// The running stand-in.
    pub struct RuntimeApi {
        /// `127.0.0.1:<port>`, the value of `AWS_LAMBDA_RUNTIME_API`.
        pub address: String,
        state: Arc<State>,
        /// Outcomes, in the order the function posted them.
        pub outcomes: mpsc::UnboundedReceiver<Outcome>,
        /// When each `GET .../invocation/next` arrived (the first one ends the function's init).
        pub polls: mpsc::UnboundedReceiver<std::time::Instant>,
    }

    impl RuntimeApi {
        /// Starts listening on a free loopback port.
        pub async fn start() -> RuntimeApi {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let address = listener.local_addr().expect("address").to_string();
            let (sender, outcomes) = mpsc::unbounded_channel();
            let (poll_sender, polls) = mpsc::unbounded_channel();
            let state = Arc::new(State {
                queue: Mutex::new(VecDeque::new()),
                arrived: Notify::new(),
                outcomes: sender,
                polls: poll_sender,
            });
            let shared = state.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let state = shared.clone();
                    tokio::spawn(async move {
                        let service = service_fn(move |request| {
                            let state = state.clone();
                            async move { Ok::<_, Infallible>(handle(state, request).await) }
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
            RuntimeApi {
                address,
                state,
                polls,
                outcomes,
            }
        }

        /// Queues an invocation.
        pub async fn invoke(&self, request_id: &str, event: &serde_json::Value) {
            self.state
                .queue
                .lock()
                .await
                .push_back((request_id.to_owned(), event.to_string()));
            self.state.arrived.notify_one();
        }
    }

    async fn handle(state: Arc<State>, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_owned();
        if path.ends_with("/runtime/invocation/next") {
            let _ = state.polls.send(std::time::Instant::now());
            let (request_id, event) = loop {
                if let Some(next) = state.queue.lock().await.pop_front() {
                    break next;
                }
                state.arrived.notified().await;
            };
            let deadline = (std::time::SystemTime::now() + std::time::Duration::from_secs(30))
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default();
            return Response::builder()
                .header("lambda-runtime-aws-request-id", request_id)
                .header("lambda-runtime-deadline-ms", deadline.to_string())
                .header(
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:eu-west-1:123456789012:function:test",
                )
                .header(
                    "lambda-runtime-trace-id",
                    "Root=1-6740580a-3f2b1c4d5e6f7a8b9c0d1e2f;Parent=1a2b3c4d5e6f7a8b;Sampled=0",
                )
                .body(Full::new(Bytes::from(event)))
                .unwrap_or_default();
        }
        let body = request
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let segments: Vec<&str> = path.split('/').collect();
        if let [.., "invocation", request_id, kind] = segments.as_slice() {
            let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
            let _ = state.outcomes.send(Outcome {
                request_id: (*request_id).to_owned(),
                kind: (*kind).to_owned(),
                body,
            });
        } else if path.ends_with("/init/error") {
            let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
            let _ = state.outcomes.send(Outcome {
                request_id: "init".into(),
                kind: "init-error".into(),
                body,
            });
        }
        let mut response = Response::new(Full::new(Bytes::from_static(b"{\"status\":\"OK\"}")));
        *response.status_mut() = hyper::StatusCode::ACCEPTED;
        response
    }
}

/// A change event for records a test writes directly through the store.
pub fn fixture_event(aggregate_id: uuid::Uuid, version: i64) -> oms::domain::events::ChangeEvent {
    oms::domain::events::ChangeEvent {
        id: uuid::Uuid::now_v7(),
        event_type: oms::domain::events::ChangeKind::OpportunityUpdated,
        aggregate_id,
        aggregate_version: version,
        occurred_at: time::OffsetDateTime::now_utc(),
        detail: serde_json::Value::Null,
    }
}

/// The `exp` of the test events' claims: 2100-01-01T00:00:00Z, since the functions refuse claims
/// that expired (as the samples in `events/` carry).
pub const CLAIMS_EXP: i64 = 4_102_444_800;

/// An API Gateway REST proxy event for `function`, with Cognito claims for `sub` in `groups`.
pub fn api_event(
    function: &str,
    path_id: Option<uuid::Uuid>,
    body: Option<serde_json::Value>,
    sub: &str,
    groups: &str,
) -> serde_json::Value {
    let route = oms::routes::by_function(function).expect("route");
    let path = match path_id {
        Some(id) => route.path.replace("{id}", &id.to_string()),
        None => route.path.to_owned(),
    };
    serde_json::json!({
        "resource": route.path,
        "path": path,
        "httpMethod": route.method.as_str(),
        "headers": { "content-type": "application/json" },
        "pathParameters": path_id.map(|id| serde_json::json!({ "id": id })),
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false,
        "requestContext": {
            "stage": "test", "requestId": uuid::Uuid::new_v4().to_string(), "httpMethod": route.method.as_str(), "resourcePath": route.path,
            "authorizer": { "claims": { "sub": sub, "cognito:groups": groups, "exp": CLAIMS_EXP } }
        }
    })
}

/// Runs an event through a function's handler and returns the status and the JSON body.
pub async fn call(app: &oms::app::App, function: &str, event: serde_json::Value) -> (u16, serde_json::Value) {
    let route = oms::routes::by_function(function).expect("route");
    let response = oms::runtime::invoke_api_gateway_event(route, app, event)
        .await
        .expect("proxy response");
    let status = response["statusCode"].as_u64().unwrap_or_default() as u16;
    let body = response["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(serde_json::Value::Null);
    (status, body)
}

/// The moto server the test command started (`OMS_TEST_MOTO_URL`), as an AWS SDK configuration.
pub async fn moto_config() -> aws_config::SdkConfig {
    let url = std::env::var("OMS_TEST_MOTO_URL")
        .expect("OMS_TEST_MOTO_URL is not set: run the suite with scripts/test, which starts moto's server for it");
    moto_config_at(&url).await
}

/// An AWS SDK configuration for the moto server at `url`.
pub async fn moto_config_at(url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "testing", "testing", None, None, "moto",
        ))
        .load()
        .await
}

/// Creates a cache table as the template defines it (string key `pk`, on demand).
pub async fn create_cache_table(client: &aws_sdk_dynamodb::Client, name: &str) {
    use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute definition"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key schema"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create the cache table");
}

/// The records the samples in `events/` name, and the states a sample may need them in.
pub mod fixtures {
    use oms::app::App;
    use oms::domain::catalog::{Customer, Skill};
    use oms::domain::events::ChangeEvent;
    use oms::domain::history::{Change, HistoryEntry};
    use oms::domain::lifecycle::Status;
    use oms::domain::money::Money;
    use oms::domain::opportunity::{
        CustomerRef, Importance, Opportunity, Priority, ProblemStatement, Proficiency, SkillCategory, SkillRef,
        SkillRequirement, Timeline,
    };
    use oms::ports::store::{CustomerChoice, NewOpportunity, OpportunityUpdate};
    use oms::ports::{Clock, SystemClock};
    use serde_json::Value;
    use time::macros::date;
    use uuid::{Uuid, uuid};

    /// The opportunity the samples name.
    pub const OPPORTUNITY: Uuid = uuid!("0195f3a0-7c1e-7d2a-9b4e-3f1a2b3c4d5e");
    /// The catalog skill the samples name.
    pub const SKILL: Uuid = uuid!("0195f3a0-7c1e-7d2a-9b4e-5e6f7a8b9c0d");
    /// The customer the samples name.
    pub const CUSTOMER: Uuid = uuid!("0195f3a0-7c1e-7d2a-9b4e-1a2b3c4d5e6f");
    /// The Sales Manager of the samples' claims.
    pub const SALES_MANAGER: &str = "5f8d2c1e-3b4a-4c6d-8e9f-0a1b2c3d4e5f";

    /// What the sample's request finds in the database.
    #[derive(Clone, Copy)]
    pub enum Fixture {
        /// The skill and the customer only.
        Catalog,
        /// A draft opportunity.
        Draft,
        /// A draft with a problem statement, a timeline and a must-have skill.
        CompleteDraft,
        /// A cancelled opportunity, within its reactivation window.
        Cancelled,
        /// A submitted opportunity.
        Submitted,
    }

    /// Writes the records a sample needs, in the state `fixture` names.
    pub async fn prepare(app: &App, fixture: Fixture) {
        let now = SystemClock.now();
        app.skills
            .create(
                Skill {
                    id: SKILL,
                    name: "AWS Lambda".into(),
                    category: SkillCategory::Technical,
                    description: None,
                    created_at: now,
                },
                None,
                crate::fixture_event(SKILL, 1),
                None,
            )
            .await
            .expect("skill");
        app.customers
            .create(
                Customer {
                    id: CUSTOMER,
                    name: "Contoso".into(),
                    created_at: now,
                },
                SALES_MANAGER,
                crate::fixture_event(CUSTOMER, 1),
                None,
            )
            .await
            .expect("customer");
        if matches!(fixture, Fixture::Catalog) {
            return;
        }
        let draft = Opportunity {
            id: OPPORTUNITY,
            owner_sub: SALES_MANAGER.into(),
            customer: CustomerRef {
                id: CUSTOMER,
                name: "Contoso".into(),
            },
            title: "Serverless order platform".into(),
            description: "Event-driven order platform".into(),
            priority: Priority::High,
            annual_recurring_revenue: Money {
                amount: "125000.00".parse().unwrap(),
                currency: "EUR".into(),
            },
            timeline: Some(Timeline {
                start_date: date!(2027 - 02 - 01),
                end_date: Some(date!(2027 - 04 - 30)),
                duration_days: None,
                flexible: true,
                specific_days: vec![],
            }),
            problem_statement: None,
            skill_requirements: vec![],
            status: Status::Draft,
            status_before_cancel: None,
            cancelled_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
            owner_name: None,
        };
        let event = |o: &Opportunity| ChangeEvent {
            id: Uuid::now_v7(),
            event_type: oms::domain::events::ChangeKind::OpportunityUpdated,
            aggregate_id: o.id,
            aggregate_version: o.version,
            occurred_at: now,
            detail: Value::Null,
        };
        let history = |to| HistoryEntry {
            change: Change::Status { from: None, to },
            at: now,
            actor: SALES_MANAGER.into(),
            reason: None,
        };
        app.opportunities
            .create(
                NewOpportunity {
                    event: event(&draft),
                    history: history(Status::Draft),
                    customer: CustomerChoice::Existing(CUSTOMER),
                    draft: draft.clone().into(),
                },
                None,
            )
            .await
            .expect("draft");
        if matches!(fixture, Fixture::Draft) {
            return;
        }
        let mut next = draft.clone();
        next.version = 2;
        next.problem_statement = Some(ProblemStatement {
            markdown: "x".repeat(120),
        });
        next.skill_requirements = vec![SkillRequirement {
            skill: SkillRef::Catalog {
                id: SKILL,
                name: Some("AWS Lambda".into()),
            },
            category: SkillCategory::Technical,
            importance: Importance::MustHave,
            min_proficiency: Proficiency::Expert,
        }];
        if matches!(fixture, Fixture::Cancelled) {
            next.status = Status::Cancelled;
            next.status_before_cancel = Some(Status::Draft);
            next.cancelled_at = Some(now);
        }
        if matches!(fixture, Fixture::Submitted) {
            next.status = Status::Submitted;
        }
        app.opportunities
            .update(OpportunityUpdate {
                events: vec![event(&next)],
                history: vec![history(next.status)],
                opportunity: next,
                expected_version: 1,
                skill_requirements_changed: true,
                applies_event: None,
            })
            .await
            .expect("update");
    }
}

/// Attachments for the samples: a record with the id the samples name, and its object.
pub mod attachment_fixtures {
    use std::collections::BTreeMap;

    use oms::adapters::local_objects::LocalObjectStore;
    use oms::app::App;
    use oms::domain::attachment::{Attachment, AttachmentStatus, object_key};
    use oms::ports::objects::{ObjectStore, UploadTerms};
    use uuid::{Uuid, uuid};

    use super::fixtures::{OPPORTUNITY, SALES_MANAGER};

    /// The attachment the samples name.
    pub const ATTACHMENT: Uuid = uuid!("0195f3a0-7c1e-7d2a-9b4e-7a8b9c0d1e2f");
    /// Its registered size.
    pub const SIZE: i64 = 482_133;

    /// A local object store in `dir`.
    pub fn object_store(dir: &std::path::Path) -> LocalObjectStore {
        LocalObjectStore::new(
            dir.join("objects"),
            "http://127.0.0.1:9",
            b"test-signing-key-of-enough-length".to_vec(),
        )
    }

    /// Uploads `body` under the attachment's key through a signed URL, as a client would.
    pub async fn upload(objects: &LocalObjectStore, body: &[u8], content_type: &str) {
        let key = object_key(OPPORTUNITY, ATTACHMENT);
        let terms = UploadTerms {
            content_type: content_type.into(),
            size_bytes: body.len() as i64,
            sha256: Some(sha256_hex(body)),
        };
        let signed = objects
            .presign_upload(&key, &terms, time::Duration::minutes(15))
            .await
            .expect("presign");
        let query: BTreeMap<String, String> = signed
            .url
            .split_once('?')
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
            .collect();
        objects
            .accept_upload(&key, &query, Some(content_type), body)
            .expect("upload accepted");
    }

    /// The lower-case hex SHA-256 of `bytes`.
    pub fn sha256_hex(bytes: &[u8]) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(bytes))
    }

    /// The bytes the sample attachment is registered for: [`SIZE`] bytes of 1.
    pub fn registered_body() -> Vec<u8> {
        vec![1u8; SIZE as usize]
    }

    /// Registers the sample attachment in `status`, for [`registered_body`].
    pub async fn register(app: &App, status: AttachmentStatus) -> Attachment {
        let now = time::OffsetDateTime::now_utc();
        let attachment = Attachment {
            id: ATTACHMENT,
            opportunity_id: OPPORTUNITY,
            owner_sub: SALES_MANAGER.into(),
            file_name: "Architecture Overview Q3.pdf".into(),
            content_type: "application/pdf".into(),
            size_bytes: SIZE,
            sha256: Some(sha256_hex(&registered_body())),
            object_key: object_key(OPPORTUNITY, ATTACHMENT),
            status,
            rejection_reason: None,
            created_at: now,
            upload_expires_at: now + time::Duration::minutes(15),
            completed_at: None,
        };
        app.attachments
            .register(&attachment, &super::fixture_event(OPPORTUNITY, 1), None)
            .await
            .expect("register");
        attachment
    }
}

/// The Data API stand-in (`oms::sql::standin`) on a fresh PostgreSQL schema, and the production
/// executor pointed at it through the real SDK.
pub mod data_api {
    use std::sync::Arc;

    use oms::sql::SqlExecutor;
    use oms::sql::rdsdata::{DataApiExecutor, DataApiTarget, RetryPolicy};
    use oms::sql::standin::{DataApiStandin, Options};

    /// The cluster ARN the executor names (the stand-in serves one database, whatever the ARN).
    pub const CLUSTER_ARN: &str = "arn:aws:rds:eu-west-1:123456789012:cluster:opportunities";
    /// The secret ARN the executor names.
    pub const SECRET_ARN: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:opportunities-db";

    /// A stand-in on a fresh, empty schema, configured by `configure`; the schema's URL beside it.
    pub async fn standin(configure: impl FnOnce(&mut Options)) -> (DataApiStandin, String) {
        let url = crate::postgres_schema_url().await;
        let mut options = Options::new(&url);
        configure(&mut options);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        (
            DataApiStandin::start(options, listener).expect("start the stand-in"),
            url,
        )
    }

    /// A stand-in on a fresh schema with the service's migrations applied (directly, not counted).
    pub async fn migrated_standin(configure: impl FnOnce(&mut Options)) -> DataApiStandin {
        let (standin, url) = standin(configure).await;
        let direct = oms::sql::postgres::PostgresExecutor::new(&url, 1);
        oms::sql::migrations::migrate(&direct).await.expect("migrate");
        standin
    }

    /// The SDK client of the production executor, pointed at `endpoint`, SDK retries off (as
    /// `DatabaseConfig::connect_with` builds it).
    pub fn client(endpoint: &str) -> aws_sdk_rdsdata::Client {
        let config = aws_sdk_rdsdata::Config::builder()
            .behavior_version(aws_sdk_rdsdata::config::BehaviorVersion::latest())
            .region(aws_sdk_rdsdata::config::Region::new("eu-west-1"))
            .credentials_provider(aws_sdk_rdsdata::config::Credentials::new(
                "AKIDEXAMPLE",
                "secret",
                None,
                None,
                "test",
            ))
            .endpoint_url(endpoint)
            .retry_config(aws_sdk_rdsdata::config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_rdsdata::Client::from_conf(config)
    }

    /// The production executor over the stand-in.
    pub fn executor(standin: &DataApiStandin, retry: RetryPolicy) -> DataApiExecutor {
        let target = DataApiTarget {
            cluster_arn: CLUSTER_ARN.into(),
            secret_arn: SECRET_ARN.into(),
            database: "opportunities".into(),
        };
        DataApiExecutor::new(client(&standin.endpoint_url()), target).with_retry(retry)
    }

    /// [`executor`] as the store's executor.
    pub fn shared_executor(standin: &DataApiStandin) -> Arc<dyn SqlExecutor> {
        Arc::new(executor(standin, RetryPolicy::default()))
    }
}
