//! `oms-bench`: measures the fleet in one run and prints one markdown report.
//!
//! Run it through `scripts/bench` (it builds the release binaries first). Sections:
//! sizes; init time of every function under a Lambda Runtime API against a hello-world floor;
//! warm latency through the Runtime API and peak memory after 1,000 invocations; in-process
//! handler latency; the local server under load from this (separate) process; and the production
//! database path (`data_api`): round trips per operation, the local server on the Data API
//! adapter under the seeds' load, the first request after a cold start.

mod data_api;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use oms::app::App;
use oms_tests::fixtures::{Fixture, OPPORTUNITY, prepare};
use oms_tests::runtime_api::RuntimeApi;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

#[derive(Parser)]
#[command(about = "Benchmarks the Opportunity Management Service fleet")]
struct Args {
    /// Folder of the release binaries (scripts/bench builds them there, with the Lambda target's
    /// link flags).
    #[arg(long, default_value = "target/x86_64-unknown-linux-gnu/release")]
    bin_dir: PathBuf,
    /// Starts per function for the init measurement.
    #[arg(long, default_value_t = 20)]
    starts: usize,
    /// Invocations per function for latency and memory.
    #[arg(long, default_value_t = 1000)]
    invocations: usize,
    /// Seconds of each load phase against the local server.
    #[arg(long, default_value_t = 10)]
    load_seconds: u64,
    /// Where to write the report.
    #[arg(long, default_value = "bench-results/latest.md")]
    out: PathBuf,
    /// Measure only these functions (comma-separated); sizes and init only, for comparing builds.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Milliseconds the Data API stand-in adds to every call in the latency-model load run.
    #[arg(long, default_value_t = 20)]
    data_api_latency_ms: u64,
    /// Seconds of the steady 100 req/s phase of the latency-model load run.
    #[arg(long, default_value_t = 20)]
    data_api_steady_seconds: u64,
    /// The PostgreSQL the Data API stand-in runs on (scripts/bench starts one).
    #[arg(long, env = "OMS_TEST_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// moto's server, for the round-trip table's DynamoDB and SQS (scripts/bench starts one).
    #[arg(long, env = "OMS_TEST_MOTO_URL")]
    moto_url: Option<String>,
    /// Only the production database path: round trips, the latency-model load, the cold start.
    #[arg(long)]
    data_api_only: bool,
    /// Issue 16's init floor: the `lambda_http` hello world of the `floor` profile.
    #[arg(long, default_value = "target/floor/hello-lambda-http")]
    http_floor: PathBuf,
    /// Only the init of the built functions against the `lambda_http` floor (`--only` narrows
    /// the functions), for comparing builds and link options.
    #[arg(long)]
    init_only: bool,
    /// Also count the instructions of each init under callgrind (needs valgrind): deterministic,
    /// whatever else runs on the machine.
    #[arg(long)]
    instructions: bool,
}

/// The production database path's sections, when a PostgreSQL (and moto) is given.
async fn data_api_sections(args: &Args) -> String {
    let Some(postgres) = args.postgres_url.as_deref() else {
        return "\n(The Data API sections need OMS_TEST_POSTGRES_URL; scripts/bench starts a PostgreSQL.)\n".into();
    };
    let mut report = String::new();
    if let Some(moto) = args.moto_url.as_deref() {
        eprintln!("counting Data API round trips per operation…");
        report.push_str(&data_api::round_trip_report(moto).await);
    }
    eprintln!(
        "loading the local server on the Data API stand-in ({} ms per call)…",
        args.data_api_latency_ms
    );
    report.push_str(
        &data_api::load_report(
            &args.bin_dir.join("oms-local"),
            postgres,
            args.data_api_latency_ms,
            args.data_api_steady_seconds,
        )
        .await,
    );
    eprintln!("measuring the first request after a cold start, production configuration…");
    report.push_str(&data_api::cold_start_report(&args.bin_dir, postgres, args.data_api_latency_ms, 10).await);
    eprintln!("measuring init against the lambda_http floor…");
    report.push_str(
        &data_api::init_vs_http_floor(&args.bin_dir, &args.http_floor, args.starts, &[], args.instructions).await,
    );
    report
}

fn functions() -> Vec<&'static str> {
    oms::fleet::FLEET
        .iter()
        .filter(|f| f.name != "authorizer")
        .map(|f| f.name)
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values
}

fn sample(function: &str) -> Value {
    let path = oms_tests::workspace_root()
        .join("events")
        .join(format!("{function}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("JSON")
}

/// The environment a function gets in AWS (the variables its `template.yaml` entry sets, with
/// stand-in values), minus the network: its Data API, DynamoDB, SQS and S3 clients are configured
/// as at a real cold start, but nothing is called during init.
/// The floor (not in the template) gets only the AWS credentials and region.
fn production_environment(function: &str) -> Vec<(String, &'static str)> {
    let variables = oms_tests::template::function_environment(function).unwrap_or_default();
    let mut environment = Vec::new();
    for variable in variables {
        let value = match variable.as_str() {
            "OMS_DATABASE" => "data-api",
            "OMS_DB_CLUSTER_ARN" => "arn:aws:rds:eu-west-1:123456789012:cluster:opportunities",
            "OMS_DB_SECRET_ARN" => "arn:aws:secretsmanager:eu-west-1:123456789012:secret:opportunities-db",
            "OMS_DB_NAME" => "opportunities",
            "OMS_CACHE_TABLE" => "oms-cache",
            "OMS_CHANGE_EVENTS_QUEUE_URL" => "https://sqs.eu-west-1.amazonaws.com/123456789012/oms-change-events",
            "OMS_DEAD_LETTER_QUEUE_URL" => "https://sqs.eu-west-1.amazonaws.com/123456789012/oms-status-dlq",
            "OMS_ATTACHMENTS_BUCKET" => "oms-attachments-123456789012-eu-west-1",
            "OMS_ATTACHMENTS_KMS_KEY_ID" => {
                "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
            }
            "OMS_COGNITO_APP_CLIENT_IDS" => "4f2k9h3j5l7n1p3r5t7v9x1z3b",
            "OMS_COGNITO_TOKEN_USES" => "id",
            "OMS_ALLOWED_ORIGIN" => "https://localhost:3000",
            "RUST_LOG" => "error",
            _ => continue,
        };
        environment.push((variable, value));
    }
    for (variable, value) in [
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "example"),
        ("AWS_SESSION_TOKEN", "example"),
    ] {
        environment.push((variable.to_owned(), value));
    }
    environment
}

fn spawn(binary: &Path, function: &str, api: &RuntimeApi, configure: impl FnOnce(&mut Command)) -> Child {
    let mut command = runtime_command(binary, function, api);
    configure(&mut command);
    command
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()))
}

/// `program` with the environment Lambda gives a function (and nothing else), output discarded.
fn runtime_command(program: &Path, function: &str, api: &RuntimeApi) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &api.address)
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{function}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    command
}

/// Instructions a binary executes from its first one (the dynamic loader's) to its first
/// `GET /runtime/invocation/next`, counted by callgrind; `None` without valgrind.
///
/// The process is stopped by SIGUSR2 (which nothing in it handles) once that request arrived:
/// it is then parked on its socket, so the count is init alone, and the same from run to run.
async fn init_instructions(binary: &Path, function: &str, environment: &[(String, &'static str)]) -> Option<u64> {
    let valgrind = std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("valgrind"))
        .find(|path| path.is_file())?;
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("callgrind.out");
    let mut api = RuntimeApi::start().await;
    let mut command = runtime_command(&valgrind, function, &api);
    command
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(binary)
        .envs(environment.iter().map(|(k, v)| (k, v)));
    let mut child = command.spawn().unwrap_or_else(|e| panic!("start valgrind: {e}"));
    let first = tokio::time::timeout(Duration::from_secs(120), api.polls.recv())
        .await
        .ok()
        .flatten();
    let pid = child.id();
    if first.is_none() || pid.is_none() {
        let _ = child.kill().await;
        return None;
    }
    let _ = Command::new("kill").arg("-USR2").arg(pid?.to_string()).status().await;
    let _ = tokio::time::timeout(Duration::from_secs(60), child.wait()).await;
    let profile = std::fs::read_to_string(&out).ok()?;
    profile
        .lines()
        .find_map(|line| line.strip_prefix("summary:").or_else(|| line.strip_prefix("totals:")))
        .and_then(|total| total.split_whitespace().next()?.parse().ok())
}

/// Milliseconds from process start to its first `GET /runtime/invocation/next`, `starts` times.
async fn init_times(binary: &Path, function: &str, starts: usize) -> Vec<f64> {
    init_times_with(binary, function, &production_environment(function), starts).await
}

/// [`init_times`] with the environment already read from the template.
async fn init_times_with(
    binary: &Path,
    function: &str,
    environment: &[(String, &'static str)],
    starts: usize,
) -> Vec<f64> {
    init_samples_with(binary, function, environment, starts).await.wall
}

/// Init of `starts` starts of one binary, each list sorted.
#[derive(Default)]
struct Inits {
    /// Milliseconds from spawning the process to its first `GET /runtime/invocation/next`.
    wall: Vec<f64>,
    /// CPU milliseconds all of the process's threads had used by then (user and kernel, the
    /// scheduler's own count): the work of init, without the waits for a core that a shared
    /// machine adds to the wall time.
    cpu: Vec<f64>,
}

impl Inits {
    fn extend(&mut self, other: Inits) {
        self.wall.extend(other.wall);
        self.cpu.extend(other.cpu);
    }

    fn sorted(self) -> Inits {
        Inits {
            wall: sorted(self.wall),
            cpu: sorted(self.cpu),
        }
    }
}

/// CPU milliseconds used so far by every thread of a process (`/proc/<pid>/task/*/schedstat`).
fn cpu_ms(pid: u32) -> Option<f64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut nanoseconds = 0u64;
    for task in tasks.flatten() {
        let schedstat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        nanoseconds = nanoseconds.checked_add(schedstat.split_whitespace().next()?.parse().ok()?)?;
    }
    Some(nanoseconds as f64 / 1e6)
}

/// [`init_times_with`] with the CPU time of each init beside its wall time.
async fn init_samples_with(
    binary: &Path,
    function: &str,
    environment: &[(String, &'static str)],
    starts: usize,
) -> Inits {
    let mut inits = Inits::default();
    for _ in 0..starts {
        let mut api = RuntimeApi::start().await;
        let started = Instant::now();
        let mut child = spawn(binary, function, &api, |command| {
            command.envs(environment.iter().map(|(k, v)| (k, v)));
        });
        let first = tokio::time::timeout(Duration::from_secs(20), api.polls.recv())
            .await
            .ok()
            .flatten();
        if let Some(at) = first {
            inits.wall.push(at.duration_since(started).as_secs_f64() * 1000.0);
            // The scheduler brings a thread's count up to date when the thread stops running:
            // give the one that sent the request a moment to park on its socket.
            tokio::time::sleep(Duration::from_millis(5)).await;
            if let Some(cpu) = child.id().and_then(cpu_ms) {
                inits.cpu.push(cpu);
            }
        }
        let _ = child.kill().await;
    }
    inits.sorted()
}

/// Init of a binary and of the floor, `starts` each, started alternately.
async fn paired_init_times(binary: &Path, function: &str, floor: &Path, starts: usize) -> (Inits, Inits) {
    let (mut inits, mut floor_inits) = (Inits::default(), Inits::default());
    let (environment, floor_environment) = (production_environment(function), production_environment("hello-lambda"));
    for _ in 0..starts {
        floor_inits.extend(init_samples_with(floor, "hello-lambda", &floor_environment, 1).await);
        inits.extend(init_samples_with(binary, function, &environment, 1).await);
    }
    (inits.sorted(), floor_inits.sorted())
}

fn peak_rss_mb(pid: Option<u32>) -> f64 {
    let Some(pid) = pid else { return f64::NAN };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

struct Warm {
    latencies: Vec<f64>,
    peak_rss_mb: f64,
}

/// Runs `event` `n` times through the binary under the Runtime API, on the embedded database.
async fn warm(binary: &Path, function: &str, database: &Path, cache: bool, events: Vec<Value>) -> Warm {
    let mut api = RuntimeApi::start().await;
    let database = database.to_path_buf();
    let child = spawn(binary, function, &api, |command| {
        command.env("OMS_DATABASE", format!("sqlite:{}", database.display()));
        if cache {
            command.env("OMS_CACHE", "memory");
        }
    });
    let pid = child.id();
    let mut latencies = Vec::with_capacity(events.len());
    for (i, event) in events.iter().enumerate() {
        let started = Instant::now();
        api.invoke(&format!("bench-{i}"), event).await;
        match tokio::time::timeout(Duration::from_secs(20), api.outcomes.recv()).await {
            Ok(Some(_)) => latencies.push(started.elapsed().as_secs_f64() * 1000.0),
            _ => break,
        }
    }
    let peak = peak_rss_mb(pid);
    drop(child);
    Warm {
        latencies: sorted(latencies),
        peak_rss_mb: peak,
    }
}

async fn seeded_database(dir: &Path, fixture: Fixture) -> PathBuf {
    let path = dir.join(format!("bench-{}.sqlite3", uuid::Uuid::new_v4().simple()));
    let executor = oms::sql::sqlite::SqliteExecutor::open(&path).expect("sqlite");
    oms::sql::migrations::migrate(&executor).await.expect("migrate");
    prepare(&App::over_sql(Arc::new(executor)), fixture).await;
    path
}

fn zipped_size(binary: &Path) -> u64 {
    let out = std::env::temp_dir().join(format!("bench-{}.zip", uuid::Uuid::new_v4().simple()));
    let status = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED, compresslevel=9); z.write(sys.argv[1], 'bootstrap'); z.close()",
        ])
        .arg(binary)
        .arg(&out)
        .status();
    let size = if status.is_ok_and(|s| s.success()) {
        std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0)
    } else {
        0
    };
    let _ = std::fs::remove_file(out);
    size
}

/// The zipped size of the arm64 `bootstrap` that `sam build` (cargo-lambda) left in
/// `target/lambda/<function>/`, when `scripts/build-functions` has been run.
fn arm64_zipped_mb(function: &str) -> Option<f64> {
    let bootstrap = oms_tests::workspace_root()
        .join("target/lambda")
        .join(function)
        .join("bootstrap");
    bootstrap.exists().then(|| mb(zipped_size(&bootstrap)))
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

struct LoadResult {
    sent: usize,
    ok: usize,
    seconds: f64,
    latencies: Vec<f64>,
}

/// Open loop at `rate` requests per second (latency measured from the scheduled send time, so a
/// slow server cannot hide queueing), or closed loop with `concurrency` workers when `rate` is 0.
async fn load(
    client: &reqwest::Client,
    make: Arc<dyn Fn() -> reqwest::RequestBuilder + Send + Sync>,
    rate: u64,
    concurrency: usize,
    seconds: u64,
) -> LoadResult {
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<(bool, f64)>();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    if rate > 0 {
        let interval = Duration::from_secs_f64(1.0 / rate as f64);
        let mut next = started;
        let mut tasks = Vec::new();
        while next < deadline {
            tokio::time::sleep_until(next.into()).await;
            let scheduled = next;
            let request = make();
            let sender = sender.clone();
            tasks.push(tokio::spawn(async move {
                let ok = request.send().await.is_ok_and(|r| r.status().is_success());
                let _ = sender.send((ok, scheduled.elapsed().as_secs_f64() * 1000.0));
            }));
            next += interval;
        }
        for task in tasks {
            let _ = task.await;
        }
    } else {
        let mut workers = Vec::new();
        for _ in 0..concurrency {
            let make = make.clone();
            let sender = sender.clone();
            workers.push(tokio::spawn(async move {
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let ok = make().send().await.is_ok_and(|r| r.status().is_success());
                    let _ = sender.send((ok, t.elapsed().as_secs_f64() * 1000.0));
                }
            }));
        }
        for worker in workers {
            let _ = worker.await;
        }
    }
    let _ = client;
    let seconds = started.elapsed().as_secs_f64();
    drop(sender);
    let mut latencies = Vec::new();
    let (mut sent, mut ok) = (0, 0);
    while let Some((success, latency)) = receiver.recv().await {
        sent += 1;
        ok += usize::from(success);
        latencies.push(latency);
    }
    LoadResult {
        sent,
        ok,
        seconds,
        latencies: sorted(latencies),
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    format!("{cores} cores, {cpu}, {}", std::env::consts::ARCH)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let bin = |name: &str| args.bin_dir.join(name);
    if args.init_only {
        let report = format!(
            "Measured {} on {}: `oms-bench {}`.\n{}",
            time::OffsetDateTime::now_utc().date(),
            machine(),
            std::env::args().skip(1).collect::<Vec<_>>().join(" "),
            data_api::init_vs_http_floor(
                &args.bin_dir,
                &args.http_floor,
                args.starts,
                &args.only,
                args.instructions
            )
            .await
        );
        println!("{report}");
        return;
    }
    if !args.only.is_empty() {
        compare_builds(&args).await;
        return;
    }
    if args.data_api_only {
        let report = format!(
            "Measured {} on {}: `scripts/bench --data-api-only`.\n{}",
            time::OffsetDateTime::now_utc().date(),
            machine(),
            data_api_sections(&args).await
        );
        println!("{report}");
        if let Some(parent) = args.out.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        std::fs::write(&args.out, &report).expect("write the report");
        return;
    }
    for name in functions()
        .into_iter()
        .chain(["hello-lambda", "hello-lambda-current-thread", "oms-local"])
    {
        assert!(
            bin(name).exists(),
            "{} is missing: run scripts/bench (it builds the release binaries)",
            bin(name).display()
        );
    }
    let mut report = String::new();
    let now = time::OffsetDateTime::now_utc();
    report.push_str(&format!(
        "Measured {} on {} (release profile, x86_64 host build of the same code): `scripts/bench {}`.\n\n",
        now.date(),
        machine(),
        std::env::args().skip(1).collect::<Vec<_>>().join(" ")
    ));

    // Sizes and init. Each function's starts alternate with the floor's, and its ratio is taken
    // against the floor measured beside it, so that drift in the machine's speed cancels out.
    eprintln!(
        "measuring init ({} starts per function, alternating with the floor)…",
        args.starts
    );
    report.push_str("### Init (process start to first `GET /runtime/invocation/next`) and size\n\n");
    report.push_str("| function | init min ms | init median ms | init p95 ms | median vs floor | binary MB | zipped MB | arm64 zipped MB |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    let size_of = |name: &str| {
        (
            mb(std::fs::metadata(bin(name)).map(|m| m.len()).unwrap_or(0)),
            mb(zipped_size(&bin(name))),
        )
    };
    let mut floor_all = Vec::new();
    let mut rows = String::new();
    let mut worst_ratio: f64 = 0.0;
    let mut largest_zip: f64 = 0.0;
    let (mut largest_arm64_zip, mut arm64_built): (f64, usize) = (0.0, 0);
    for function in functions().into_iter().chain(["hello-lambda-current-thread"]) {
        let (inits, floor) = paired_init_times(&bin(function), function, &bin("hello-lambda"), args.starts).await;
        let (times, floor) = (inits.wall, floor.wall);
        let median = percentile(&times, 50.0);
        let ratio = median / percentile(&floor, 50.0);
        floor_all.extend(floor);
        let (size, zipped) = size_of(function);
        let arm64 = arm64_zipped_mb(function);
        let label = if function == "hello-lambda-current-thread" {
            "hello-world, current-thread runtime (for reference)"
        } else {
            worst_ratio = worst_ratio.max(ratio);
            largest_zip = largest_zip.max(zipped);
            if let Some(arm64) = arm64 {
                largest_arm64_zip = largest_arm64_zip.max(arm64);
                arm64_built += 1;
            }
            function
        };
        rows.push_str(&format!(
            "| {label} | {:.1} | {median:.1} | {:.1} | {ratio:.2}x | {size:.2} | {zipped:.2} | {} |\n",
            percentile(&times, 0.0),
            percentile(&times, 95.0),
            arm64.map_or_else(|| "–".to_owned(), |mb| format!("{mb:.2}"))
        ));
    }
    let floor_all = sorted(floor_all);
    let (floor_size, floor_zip) = size_of("hello-lambda");
    report.push_str(&format!(
        "| hello-world floor (all its starts) | {:.1} | {:.1} | {:.1} | 1.00x | {floor_size:.2} | {floor_zip:.2} | – |\n",
        percentile(&floor_all, 0.0),
        percentile(&floor_all, 50.0),
        percentile(&floor_all, 95.0)
    ));
    report.push_str(&rows);

    // Warm latency and memory through the Runtime API.
    eprintln!("measuring warm invocations ({} per function)…", args.invocations);
    let dir = tempfile::tempdir().expect("temp dir");
    report.push_str(&format!(
        "\n### Warm invocations through the Runtime API ({} per function, embedded SQLite database)\n\n",
        args.invocations
    ));
    report.push_str("| function / case | p50 ms | p99 ms | peak RSS MB |\n|---|---:|---:|---:|\n");
    let mut worst_rss: f64 = 0.0;
    for (label, function, cache, fixture) in [
        (
            "get-opportunity, cached read",
            "get-opportunity",
            true,
            Fixture::CompleteDraft,
        ),
        (
            "get-opportunity, uncached read",
            "get-opportunity",
            false,
            Fixture::CompleteDraft,
        ),
        (
            "create-opportunity, write",
            "create-opportunity",
            true,
            Fixture::Catalog,
        ),
    ] {
        let database = seeded_database(dir.path(), fixture).await;
        let events: Vec<Value> = (0..args.invocations)
            .map(|i| {
                let mut event = sample(function);
                if function == "create-opportunity" {
                    event["headers"]["Idempotency-Key"] = json!(format!("bench-{i}"));
                }
                event
            })
            .collect();
        let result = warm(&bin(function), function, &database, cache, events).await;
        worst_rss = worst_rss.max(result.peak_rss_mb);
        report.push_str(&format!(
            "| {label} | {:.2} | {:.2} | {:.1} |\n",
            percentile(&result.latencies, 50.0),
            percentile(&result.latencies, 99.0),
            result.peak_rss_mb
        ));
    }
    for function in functions() {
        let fixture = match function {
            "reactivate-opportunity" => Fixture::Cancelled,
            "opportunity-status-events" => Fixture::Submitted,
            _ => Fixture::CompleteDraft,
        };
        let database = seeded_database(dir.path(), fixture).await;
        let events = vec![sample(function); args.invocations];
        let result = warm(&bin(function), function, &database, true, events).await;
        worst_rss = worst_rss.max(result.peak_rss_mb);
        report.push_str(&format!(
            "| {function} (its sample event) | {:.2} | {:.2} | {:.1} |\n",
            percentile(&result.latencies, 50.0),
            percentile(&result.latencies, 99.0),
            result.peak_rss_mb
        ));
    }

    // In-process handler latency.
    eprintln!("measuring in-process handler latency…");
    report.push_str("\n### In-process handler latency (`dispatch` through the `lambda_http` adapter, 10,000 calls)\n\n| case | p50 µs | p99 µs |\n|---|---:|---:|\n");
    let mut cached_p99_us = f64::NAN;
    for (label, cache) in [
        ("get-opportunity, cached read", true),
        ("get-opportunity, uncached read (SQLite)", false),
    ] {
        let database = seeded_database(dir.path(), Fixture::CompleteDraft).await;
        let executor = oms::sql::sqlite::SqliteExecutor::open(&database).expect("sqlite");
        let mut app = App::over_sql(Arc::new(executor));
        if cache {
            app.cache = Arc::new(oms::adapters::memory_cache::MemoryCache::new());
        }
        let route = oms::routes::by_function("get-opportunity").expect("route");
        let event = sample("get-opportunity");
        let mut times = Vec::with_capacity(10_000);
        for i in 0..10_100 {
            let t = Instant::now();
            let response = oms::runtime::invoke_api_gateway_event(route, &app, event.clone())
                .await
                .expect("response");
            if i >= 100 {
                times.push(t.elapsed().as_secs_f64() * 1_000_000.0);
            }
            assert_eq!(response["statusCode"], 200);
        }
        let times = sorted(times);
        if cache {
            cached_p99_us = percentile(&times, 99.0);
        }
        report.push_str(&format!(
            "| {label} | {:.0} | {:.0} |\n",
            percentile(&times, 50.0),
            percentile(&times, 99.0)
        ));
    }

    // The local server under load.
    eprintln!("loading the local server…");
    let data_dir = tempfile::tempdir().expect("temp dir");
    let run_dir = tempfile::tempdir().expect("temp dir");
    let (ready_file, log) = (run_dir.path().join("ready"), run_dir.path().join("stderr.log"));
    let mut server = Command::new(bin("oms-local"));
    server
        .args(["serve", "--port", "0", "--ready-file"])
        .arg(&ready_file)
        .arg("--data-dir")
        .arg(data_dir.path())
        .env("RUST_LOG", "error")
        // One bench user sends the whole load: counted per request as always, never refused.
        .env("OMS_REQUESTS_PER_MINUTE", "1000000")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("server log"))
        .kill_on_drop(true);
    let mut server = server.spawn().expect("start oms-local");
    let base = oms_tests::ready::wait_for_url(&mut server, &ready_file, &log, Duration::from_secs(60)).await;
    let token_output = std::process::Command::new(bin("oms-local"))
        .args(["token", "--sub", "bench", "--group", "SalesManager", "--data-dir"])
        .arg(data_dir.path())
        .output()
        .expect("token");
    let token = String::from_utf8_lossy(&token_output.stdout).trim().to_owned();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");
    let body = oms_tests::opportunity_body("Load", "Contoso");
    let created: Value = client
        .post(format!("{base}/v1/opportunities"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .expect("seed")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let _ = OPPORTUNITY;
    report.push_str(&format!(
        "\n### Local server under load (load generator in a separate process, loopback, {} s per phase)\n\n| case | requests | ok | throughput req/s | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|\n",
        args.load_seconds
    ));
    let mut read_500_p99 = f64::NAN;
    for (label, rate, concurrency, write) in [
        ("read at 500 req/s", 500, 0, false),
        ("read at saturation (64 connections)", 0, 64, false),
        ("create at 500 req/s", 500, 0, true),
        ("create at saturation (64 connections)", 0, 64, true),
    ] {
        let make: Arc<dyn Fn() -> reqwest::RequestBuilder + Send + Sync> = {
            let (client, token, base, id, body) =
                (client.clone(), token.clone(), base.clone(), id.clone(), body.clone());
            if write {
                Arc::new(move || {
                    client
                        .post(format!("{base}/v1/opportunities"))
                        .bearer_auth(&token)
                        .json(&body)
                })
            } else {
                Arc::new(move || client.get(format!("{base}/v1/opportunities/{id}")).bearer_auth(&token))
            }
        };
        let result = load(&client, make, rate, concurrency, args.load_seconds).await;
        if label == "read at 500 req/s" {
            read_500_p99 = percentile(&result.latencies, 99.0);
        }
        report.push_str(&format!(
            "| {label} | {} | {} | {:.0} | {:.2} | {:.2} |\n",
            result.sent,
            result.ok,
            result.ok as f64 / result.seconds,
            percentile(&result.latencies, 50.0),
            percentile(&result.latencies, 99.0)
        ));
    }
    let _ = server.kill().await;

    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    // The shipped artifact is the arm64 bootstrap: judged on it when every function has been
    // built for arm64, else on the x86_64 host build (larger).
    let all_functions = functions().len();
    let (zip_measured, zip_ok) = if arm64_built == all_functions {
        (
            format!("largest {largest_arm64_zip:.2} MB arm64 (x86_64 host build: {largest_zip:.2} MB)"),
            largest_arm64_zip < 5.0,
        )
    } else {
        (
            format!(
                "largest {largest_zip:.2} MB x86_64 host build (arm64 built for {arm64_built} of {all_functions}: run scripts/build-functions)"
            ),
            largest_zip < 5.0,
        )
    };
    report.push_str(&format!(
        "\n### Targets\n\n| target | measured | |\n|---|---|---|\n\
         | init of every function within 2x the floor | worst median {worst_ratio:.2}x | {} |\n\
         | cached read in-process p99 < 1 ms | {cached_p99_us:.0} µs | {} |\n\
         | peak memory of every function < 40 MB | worst {worst_rss:.1} MB | {} |\n\
         | every zipped function < 5 MB | {zip_measured} | {} |\n\
         | local server: 500 req/s of reads with p99 < 20 ms | p99 {read_500_p99:.2} ms | {} |\n",
        verdict(worst_ratio <= 2.0),
        verdict(cached_p99_us < 1000.0),
        verdict(worst_rss < 40.0),
        verdict(zip_ok),
        verdict(read_500_p99 < 20.0),
    ));
    report.push_str(&data_api_sections(&args).await);
    println!("{report}");
    if let Some(parent) = args.out.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    std::fs::write(&args.out, &report).expect("write the report");
    eprintln!("report written to {}", args.out.display());
}

/// Init and size of a few functions of one build folder, against its hello-world floor.
async fn compare_builds(args: &Args) {
    let bin = |name: &str| args.bin_dir.join(name);
    let mut report = format!(
        "Build in {}\n\n| binary | init median ms | init p95 ms | binary MB | zipped MB |\n|---|---:|---:|---:|---:|\n",
        args.bin_dir.display()
    );
    for name in std::iter::once("hello-lambda").chain(args.only.iter().map(String::as_str)) {
        let times = init_times(&bin(name), name, args.starts).await;
        let size = mb(std::fs::metadata(bin(name)).map(|m| m.len()).unwrap_or(0));
        report.push_str(&format!(
            "| {name} | {:.1} | {:.1} | {size:.2} | {:.2} |\n",
            percentile(&times, 50.0),
            percentile(&times, 95.0),
            mb(zipped_size(&bin(name)))
        ));
    }
    println!("{report}");
}
