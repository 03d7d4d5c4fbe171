//! The production database path, measured offline: the Data API round trips per operation, the
//! local server on the production adapter under the seeds' load with a realistic database (the
//! Data API stand-in over PostgreSQL with a latency per call), and the first request after a
//! cold start in the production configuration.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use oms_tests::data_api::{CLUSTER_ARN, SECRET_ARN};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::{percentile, sorted};

/// A child process that reported its URL in its ready file (`--ready-file`).
pub struct Listening {
    pub url: String,
    child: Child,
    /// Its ready file and its stderr (`stderr.log`).
    _run_dir: tempfile::TempDir,
}

impl Listening {
    async fn start(mut command: Command) -> Listening {
        let run_dir = tempfile::tempdir().expect("temp dir");
        let ready_file = run_dir.path().join("ready");
        let log = run_dir.path().join("stderr.log");
        command
            .arg("--ready-file")
            .arg(&ready_file)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .kill_on_drop(true);
        let mut child = command.spawn().expect("start");
        let url = oms_tests::ready::wait_for_url(&mut child, &ready_file, &log, Duration::from_secs(60)).await;
        Listening {
            url,
            child,
            _run_dir: run_dir,
        }
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A fresh schema on `postgres_url`, as a URL whose connections use it.
async fn fresh_schema(postgres_url: &str) -> String {
    let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let (client, connection) = tokio_postgres::connect(postgres_url, tokio_postgres::NoTls)
        .await
        .expect("connect to PostgreSQL");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .expect("create schema");
    let separator = if postgres_url.contains('?') { '&' } else { '?' };
    format!("{postgres_url}{separator}options=-csearch_path%3D{schema}")
}

async fn standin(oms_local: &Path, database: &str, latency_ms: u64, migrate: bool) -> Listening {
    let mut command = Command::new(oms_local);
    command
        .args([
            "data-api",
            "--port",
            "0",
            "--max-connections",
            "64",
            "--database",
            database,
        ])
        .args(["--latency-ms", &latency_ms.to_string()])
        .env("RUST_LOG", "error");
    if migrate {
        command.arg("--migrate");
    }
    Listening::start(command).await
}

/// The environment of the production Data API client pointed at `endpoint`.
fn data_api_environment(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("OMS_DATABASE", "data-api".into()),
        ("OMS_DB_CLUSTER_ARN", CLUSTER_ARN.into()),
        ("OMS_DB_SECRET_ARN", SECRET_ARN.into()),
        ("OMS_DB_NAME", "opportunities".into()),
        ("AWS_ENDPOINT_URL_RDS_DATA", endpoint.into()),
        ("AWS_REGION", "eu-west-1".into()),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE".into()),
        ("AWS_SECRET_ACCESS_KEY", "example".into()),
    ]
}

async fn local_server(oms_local: &Path, data_dir: &Path, endpoint: &str) -> Listening {
    let mut command = Command::new(oms_local);
    command
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(data_dir)
        .envs(data_api_environment(endpoint))
        .env("RUST_LOG", "error")
        // One bench user sends the whole load: counted per request as always, never refused.
        .env("OMS_REQUESTS_PER_MINUTE", "1000000");
    Listening::start(command).await
}

fn token(oms_local: &Path, data_dir: &Path) -> String {
    let output = std::process::Command::new(oms_local)
        .args(["token", "--sub", "bench", "--group", "SalesManager", "--data-dir"])
        .arg(data_dir)
        .output()
        .expect("token");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// What a request of the load is, for its latency target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    CachedRead,
    UncachedRead,
    Write,
}

impl Class {
    fn label(self) -> &'static str {
        match self {
            Class::CachedRead => "cached reads",
            Class::UncachedRead => "uncached reads",
            Class::Write => "writes",
        }
    }

    /// The latency target of the issue: a quarter (reads) and a half (writes) of the seeds'.
    fn p95_target_ms(self) -> f64 {
        match self {
            Class::CachedRead => 10.0,
            Class::UncachedRead => 50.0,
            Class::Write => 250.0,
        }
    }
}

struct Sample {
    class: Class,
    endpoint: &'static str,
    ok: bool,
    latency_ms: f64,
}

/// The opportunities and skills the load reads and writes.
struct Seeded {
    hot: String,
    cold: Vec<String>,
    writable: Vec<String>,
    skills: Vec<String>,
}

async fn seed(client: &reqwest::Client, base: &str, token: &str, cold: usize, writable: usize) -> Seeded {
    let skills: Value = client
        .get(format!("{base}/v1/skills?limit=10"))
        .bearer_auth(token)
        .send()
        .await
        .expect("skills")
        .json()
        .await
        .expect("JSON");
    let skills: Vec<String> = skills["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|s| s["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let total = 1 + cold + writable;
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..32 {
        let (client, base, token, next) = (client.clone(), base.to_owned(), token.to_owned(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let created: Value = client
                    .post(format!("{base}/v1/opportunities"))
                    .bearer_auth(&token)
                    .json(&oms_tests::opportunity_body("Load", "Contoso"))
                    .send()
                    .await
                    .expect("seed")
                    .json()
                    .await
                    .expect("JSON");
                ids.push(created["id"].as_str().expect("created").to_owned());
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for worker in workers {
        ids.extend(worker.await.expect("seed worker"));
    }
    let hot = ids.pop().expect("seeded");
    let writable = ids.split_off(ids.len() - writable);
    Seeded {
        hot,
        cold: ids,
        writable,
        skills,
    }
}

/// One request of the mix, by its sequence number: 80 % reads (40 % cached, 40 % uncached), 20 %
/// writes, every endpoint class.
fn request(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    seeded: &Seeded,
    n: usize,
) -> (Class, &'static str, reqwest::RequestBuilder) {
    let pick = |list: &[String], k: usize| list[k % list.len()].clone();
    let (class, endpoint, builder) = match n % 10 {
        0..=3 => (
            Class::CachedRead,
            "GET /v1/opportunities/{id} (cached)",
            client.get(format!("{base}/v1/opportunities/{}", seeded.hot)),
        ),
        4 | 5 => (
            Class::UncachedRead,
            "GET /v1/opportunities/{id} (uncached)",
            client.get(format!("{base}/v1/opportunities/{}", pick(&seeded.cold, n / 5))),
        ),
        6 => (
            Class::UncachedRead,
            "GET /v1/opportunities/{id}/history",
            client.get(format!(
                "{base}/v1/opportunities/{}/history",
                pick(&seeded.writable, n / 10)
            )),
        ),
        7 => (
            Class::UncachedRead,
            "GET /v1/opportunities",
            client.get(format!("{base}/v1/opportunities?limit=20")),
        ),
        8 => (
            Class::Write,
            "PATCH /v1/opportunities/{id}",
            client
                .patch(format!(
                    "{base}/v1/opportunities/{}",
                    pick(&seeded.writable, 2 * (n / 10))
                ))
                .header("content-type", "application/merge-patch+json")
                .body(json!({ "title": format!("Load {n}") }).to_string()),
        ),
        _ if (n / 10).is_multiple_of(2) => (
            Class::Write,
            "POST /v1/opportunities",
            client
                .post(format!("{base}/v1/opportunities"))
                .json(&oms_tests::opportunity_body("Load", "Contoso")),
        ),
        _ => {
            let items: Vec<Value> = seeded
                .skills
                .iter()
                .map(|id| json!({ "skill_id": id, "category": "technical", "importance": "must_have", "min_proficiency": "expert" }))
                .collect();
            (
                Class::Write,
                "PUT /v1/opportunities/{id}/skill-requirements (10)",
                client
                    .put(format!(
                        "{base}/v1/opportunities/{}/skill-requirements",
                        pick(&seeded.writable, 2 * (n / 10) + 1)
                    ))
                    .json(&json!({ "items": items })),
            )
        }
    };
    (class, endpoint, builder.bearer_auth(token))
}

/// An open-loop phase at `rate` requests per second (latency from the scheduled send time).
async fn phase(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    seeded: &Arc<Seeded>,
    counter: &AtomicUsize,
    rate: u64,
    duration: Duration,
) -> Vec<Sample> {
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<Sample>();
    let started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut next = started;
    let mut tasks = Vec::new();
    while next < started + duration {
        tokio::time::sleep_until(next.into()).await;
        let scheduled = next;
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let (class, endpoint, builder) = request(client, base, token, seeded, n);
        let sender = sender.clone();
        tasks.push(tokio::spawn(async move {
            let ok = builder.send().await.is_ok_and(|r| r.status().is_success());
            let _ = sender.send(Sample {
                class,
                endpoint,
                ok,
                latency_ms: scheduled.elapsed().as_secs_f64() * 1000.0,
            });
        }));
        next += interval;
    }
    for task in tasks {
        let _ = task.await;
    }
    drop(sender);
    let mut samples = Vec::new();
    while let Some(sample) = receiver.recv().await {
        samples.push(sample);
    }
    samples
}

fn rows_of(phase: &str, samples: &[Sample], verdicts: &mut Vec<(String, f64, f64, usize)>) -> String {
    let mut out = String::new();
    let mut endpoints: Vec<(Class, &str)> = samples.iter().map(|s| (s.class, s.endpoint)).collect();
    endpoints.sort_by_key(|(c, e)| (*c as u8, *e));
    endpoints.dedup();
    for class in [Class::CachedRead, Class::UncachedRead, Class::Write] {
        let of_class: Vec<&Sample> = samples.iter().filter(|s| s.class == class).collect();
        let latencies = sorted(of_class.iter().map(|s| s.latency_ms).collect());
        let errors = of_class.iter().filter(|s| !s.ok).count();
        let p95 = percentile(&latencies, 95.0);
        verdicts.push((
            format!("{phase}: {}", class.label()),
            p95,
            class.p95_target_ms(),
            errors,
        ));
        out.push_str(&format!(
            "| {phase} | **{}** | {} | {errors} | {:.1} | **{p95:.1}** | {:.1} |\n",
            class.label(),
            of_class.len(),
            percentile(&latencies, 50.0),
            percentile(&latencies, 99.0)
        ));
        for (_, endpoint) in endpoints.iter().filter(|(c, _)| *c == class) {
            let of_endpoint: Vec<&&Sample> = of_class.iter().filter(|s| s.endpoint == *endpoint).collect();
            let latencies = sorted(of_endpoint.iter().map(|s| s.latency_ms).collect());
            out.push_str(&format!(
                "| {phase} | {endpoint} | {} | {} | {:.1} | {:.1} | {:.1} |\n",
                of_endpoint.len(),
                of_endpoint.iter().filter(|s| !s.ok).count(),
                percentile(&latencies, 50.0),
                percentile(&latencies, 95.0),
                percentile(&latencies, 99.0)
            ));
        }
    }
    out
}

/// The local server on the production Data API adapter, on the stand-in with `latency_ms` per
/// call: 100 req/s steady, then bursts of 500 req/s, 80 % reads.
pub async fn load_report(oms_local: &Path, postgres_url: &str, latency_ms: u64, steady_seconds: u64) -> String {
    let database = fresh_schema(postgres_url).await;
    let data_dir = tempfile::tempdir().expect("temp dir");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .build()
        .expect("client");
    // Seeded without latency, by a server that is then stopped: the measured server starts
    // with an empty cache, so the first read of each seeded opportunity is uncached.
    let bursts = 3u64;
    let burst = Duration::from_secs(2);
    let gap = Duration::from_secs(3);
    let expected_requests = 100 * steady_seconds + bursts * (500 * burst.as_secs() + 100 * gap.as_secs());
    let cold = (expected_requests as usize) / 5 + 50;
    let seeded = {
        let fast = standin(oms_local, &database, 0, true).await;
        let server = local_server(oms_local, data_dir.path(), &fast.url).await;
        let token = token(oms_local, data_dir.path());
        let seeded = seed(&client, &server.url, &token, cold, 400).await;
        server.stop().await;
        fast.stop().await;
        Arc::new(seeded)
    };
    let slow = standin(oms_local, &database, latency_ms, false).await;
    let server = local_server(oms_local, data_dir.path(), &slow.url).await;
    let token = token(oms_local, data_dir.path());
    let base = server.url.clone();
    // Warm the hot entry and the connections.
    for _ in 0..20 {
        let _ = client
            .get(format!("{base}/v1/opportunities/{}", seeded.hot))
            .bearer_auth(&token)
            .send()
            .await;
    }
    let counter = AtomicUsize::new(0);
    let calls_before: Value = reqwest::get(format!("{}/_standin/calls", slow.url))
        .await
        .expect("calls")
        .json()
        .await
        .unwrap_or(Value::Null);
    eprintln!("  steady 100 req/s for {steady_seconds} s…");
    let steady = phase(
        &client,
        &base,
        &token,
        &seeded,
        &counter,
        100,
        Duration::from_secs(steady_seconds),
    )
    .await;
    let mut bursty = Vec::new();
    for _ in 0..bursts {
        eprintln!("  burst of 500 req/s for {} s…", burst.as_secs());
        bursty.extend(phase(&client, &base, &token, &seeded, &counter, 500, burst).await);
        bursty.extend(phase(&client, &base, &token, &seeded, &counter, 100, gap).await);
    }
    let calls_after: Value = reqwest::get(format!("{}/_standin/calls", slow.url))
        .await
        .expect("calls")
        .json()
        .await
        .unwrap_or(Value::Null);
    server.stop().await;
    slow.stop().await;

    let mut report = format!(
        "\n### The local server on the Data API adapter under the seeds' load\n\n\
         `oms-local serve --database data-api` (the production executor, through the SDK) on the Data API \
         stand-in (`oms-local data-api --latency-ms {latency_ms}`: **{latency_ms} ms added to every Data API call**, \
         a conservative in-region figure) over PostgreSQL; cache and queues are the local server's in-process ones. \
         Open loop from a separate process; 80 % reads (40 % cached, 40 % uncached), 20 % writes. Phases: \
         {steady_seconds} s at 100 req/s; then {bursts} bursts of {} s at 500 req/s, each followed by {} s at \
         100 req/s. Latency from the scheduled send time, in ms.\n\n\
         | phase | class / endpoint | requests | errors | p50 | p95 | p99 |\n|---|---|---:|---:|---:|---:|---:|\n",
        burst.as_secs(),
        gap.as_secs()
    );
    let mut verdicts = Vec::new();
    report.push_str(&rows_of("100 req/s steady", &steady, &mut verdicts));
    report.push_str(&rows_of("bursts of 500 req/s", &bursty, &mut verdicts));
    let calls = |v: &Value| {
        v.as_object()
            .map_or(0, |o| o.values().filter_map(Value::as_u64).sum::<u64>())
    };
    let requests = steady.len() + bursty.len();
    report.push_str(&format!(
        "\nData API calls during the load: {} for {requests} requests.\n\n\
         | target (p95, 0 errors) | measured p95 | errors | |\n|---|---:|---:|---|\n",
        calls(&calls_after).saturating_sub(calls(&calls_before))
    ));
    for (label, p95, target, errors) in verdicts {
        report.push_str(&format!(
            "| {label} < {target:.0} ms | {p95:.1} ms | {errors} | {} |\n",
            if p95 < target && errors == 0 { "met" } else { "NOT met" }
        ));
    }
    report
}

/// The first request after init, in the production configuration: the function binary's Data
/// API client (and DynamoDB, SQS) built at init, its first statement opening the connection.
pub async fn cold_start_report(bin_dir: &Path, postgres_url: &str, latency_ms: u64, starts: usize) -> String {
    let oms_local = bin_dir.join("oms-local");
    let database = fresh_schema(postgres_url).await;
    let standin = standin(&oms_local, &database, latency_ms, true).await;
    // The sample's opportunity, written through the stand-in without latency first.
    {
        let fast = self::standin(&oms_local, &database, 0, false).await;
        let client = oms_tests::data_api::client(&fast.url);
        let target = oms::sql::rdsdata::DataApiTarget {
            cluster_arn: CLUSTER_ARN.into(),
            secret_arn: SECRET_ARN.into(),
            database: "opportunities".into(),
        };
        let executor = oms::sql::rdsdata::DataApiExecutor::new(client, target);
        let app = oms::app::App::over_sql(Arc::new(executor));
        oms_tests::fixtures::prepare(&app, oms_tests::fixtures::Fixture::CompleteDraft).await;
        fast.stop().await;
    }
    let mut report = format!(
        "\n### First request after a cold start, production configuration ({latency_ms} ms per Data API call, {starts} starts)\n\n\
         `get-opportunity` with `OMS_DATABASE=data-api` (the stand-in, plain HTTP: the TLS handshake of the real \
         endpoint is not in these numbers) and no cache: init is process start to the first `/next`; the first \
         request opens the connection; the warm one reuses it. ms.\n\n\
         | case | median | p95 |\n|---|---:|---:|\n"
    );
    let (mut init, mut first, mut warm) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..starts {
        let mut api = oms_tests::runtime_api::RuntimeApi::start().await;
        let started = Instant::now();
        let mut child = Command::new(bin_dir.join("get-opportunity"))
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", &api.address)
            .env("AWS_LAMBDA_FUNCTION_NAME", "get-opportunity")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("OMS_COGNITO_APP_CLIENT_IDS", "4f2k9h3j5l7n1p3r5t7v9x1z3b")
            .env("RUST_LOG", "error")
            .envs(data_api_environment(&standin.url))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start get-opportunity");
        if let Ok(Some(at)) = tokio::time::timeout(Duration::from_secs(20), api.polls.recv()).await {
            init.push(at.duration_since(started).as_secs_f64() * 1000.0);
        }
        let event = crate::sample("get-opportunity");
        for (n, into) in [(1, &mut first), (2, &mut warm)] {
            let sent = Instant::now();
            api.invoke(&format!("cold-{n}"), &event).await;
            if let Ok(Some(outcome)) = tokio::time::timeout(Duration::from_secs(20), api.outcomes.recv()).await {
                assert_eq!(outcome.body["statusCode"], 200, "{:?}", outcome.body);
                into.push(sent.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let _ = child.kill().await;
    }
    standin.stop().await;
    for (label, values) in [
        ("init", init),
        ("first request (uncached read)", first),
        ("second request (uncached read, warm connection)", warm),
    ] {
        let values = sorted(values);
        report.push_str(&format!(
            "| {label} | {:.1} | {:.1} |\n",
            percentile(&values, 50.0),
            percentile(&values, 95.0)
        ));
    }
    report
}

/// The round-trip table: every operation's Data API calls against its budget.
pub async fn round_trip_report(moto_url: &str) -> String {
    let measured = oms_tests::round_trips::measure_every_operation(moto_url).await;
    let rows: Vec<(&str, u64)> = measured.iter().map(|m| (m.label, m.calls.total())).collect();
    format!(
        "\n### Data API round trips per operation (production executor on the stand-in; budgets in `shared/src/store/round_trips.rs`)\n\n{}",
        oms::store::round_trips::markdown_table(&rows)
    )
}

/// Init (process start to the first `/next`, production environment) of every built function
/// against issue 16's floor: a `lambda_http` hello world at opt-level 3, fat LTO, one codegen
/// unit, `panic = "abort"`, multi-thread runtime, started alternately with each.
pub async fn init_vs_http_floor(
    bin_dir: &Path,
    floor: &Path,
    starts: usize,
    only: &[String],
    instructions: bool,
) -> String {
    if !floor.exists() {
        return format!(
            "\n(No {}: build it with `cargo build --profile floor -p hello-lambda --bin hello-lambda-http`.)\n",
            floor.display()
        );
    }
    let mut report = format!(
        "\n### Init against the `lambda_http` floor (opt-level 3, fat LTO, 1 codegen unit, `panic = \"abort\"`, multi-thread runtime; {starts} alternating starts each)\n\n\
         Init is process start to the first `GET /runtime/invocation/next`, production environment. Each function's starts alternate with the floor's, and its ratios are taken against the floor's starts beside it (the floor columns). Wall: ms from spawning the process. CPU: ms its threads had run by then (user and kernel), which waits for a core on a shared machine do not inflate.{}\n\n\
         | binary | wall median ms | wall p95 ms | floor wall median ms | wall vs floor | CPU median ms | floor CPU median ms | CPU vs floor |{}\n|---|---:|---:|---:|---:|---:|---:|---:|{}\n",
        if instructions {
            " Instructions: callgrind, from the dynamic loader's first instruction to the first `/next`, one run each (deterministic)."
        } else {
            ""
        },
        if instructions {
            " instructions M | vs floor |"
        } else {
            ""
        },
        if instructions { "---:|---:|" } else { "" }
    );
    let floor_environment = crate::production_environment("hello-lambda");
    let floor_instructions = if instructions {
        crate::init_instructions(floor, "hello-lambda", &floor_environment).await
    } else {
        None
    };
    let counted = |count: Option<u64>| -> String {
        match (count, floor_instructions) {
            (Some(count), Some(floor)) => format!(" {:.2} | {:.2}x |", count as f64 / 1e6, count as f64 / floor as f64),
            (Some(count), None) => format!(" {:.2} | – |", count as f64 / 1e6),
            (None, _) => " – | – |".to_owned(),
        }
    };
    let mut floor_all = crate::Inits::default();
    let mut rows = String::new();
    let (mut worst, mut worst_cpu): (f64, f64) = (0.0, 0.0);
    let functions = crate::functions()
        .into_iter()
        .filter(|f| only.is_empty() || only.iter().any(|o| o == f))
        .filter(|f| bin_dir.join(f).exists());
    for function in functions {
        let binary = bin_dir.join(function);
        let (inits, floor_inits) = crate::paired_init_times(&binary, function, floor, starts).await;
        let (median, floor_median) = (percentile(&inits.wall, 50.0), percentile(&floor_inits.wall, 50.0));
        let (cpu, floor_cpu) = (percentile(&inits.cpu, 50.0), percentile(&floor_inits.cpu, 50.0));
        worst = worst.max(median / floor_median);
        worst_cpu = worst_cpu.max(cpu / floor_cpu);
        let count = if instructions {
            counted(crate::init_instructions(&binary, function, &crate::production_environment(function)).await)
        } else {
            String::new()
        };
        rows.push_str(&format!(
            "| {function} | {median:.1} | {:.1} | {floor_median:.1} | {:.2}x | {cpu:.2} | {floor_cpu:.2} | {:.2}x |{count}\n",
            percentile(&inits.wall, 95.0),
            median / floor_median,
            cpu / floor_cpu
        ));
        floor_all.extend(floor_inits);
    }
    let floor_all = floor_all.sorted();
    report.push_str(&format!(
        "| lambda_http hello world floor (all its starts) | {:.1} | {:.1} | {:.1} | 1.00x | {:.2} | {:.2} | 1.00x |{}\n{rows}\n\
         Worst median ratio: wall {worst:.2}x, CPU {worst_cpu:.2}x (target: within 1.5x).\n",
        percentile(&floor_all.wall, 50.0),
        percentile(&floor_all.wall, 95.0),
        percentile(&floor_all.wall, 50.0),
        percentile(&floor_all.cpu, 50.0),
        percentile(&floor_all.cpu, 50.0),
        if instructions { counted(floor_instructions) } else { String::new() }
    ));
    report
}
