//! `oms-local`: the whole Opportunity Management API on one port, on embedded storage.
//!
//! ```text
//! oms-local serve [--port 8080] [--data-dir .oms-data] [--database sqlite:...|postgres://...] [--ready-file PATH]
//! oms-local token --sub alice --email alice@example.com --group SalesManager
//! oms-local migrate [--database ...]
//! oms-local openapi > openapi.json
//! oms-local data-api --port 5200 --database postgres://... [--latency-ms 20] [--ready-file PATH]
//! ```

mod console;
mod datafile;
mod dev_guard;
mod issuer;
mod jobs;
mod ready;
mod server;

use std::path::PathBuf;
use std::sync::Arc;

use std::time::Duration;

use clap::{Parser, Subcommand};
use oms::adapters::local_objects::LocalObjectStore;
use oms::adapters::local_queue::LocalQueue;
use oms::adapters::memory_cache::MemoryCache;
use oms::app::{App, DatabaseConfig};
use oms::consumers::{cache_invalidation, outbox_relay, status_events};

#[derive(Parser)]
#[command(
    name = "oms-local",
    about = "Runs the Opportunity Management API locally, with its own token issuer."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "OMS_HOST", default_value = "127.0.0.1")]
        host: String,
        /// Port to listen on (0 picks a free one and prints it).
        #[arg(long, env = "OMS_PORT", default_value_t = 8080)]
        port: u16,
        /// Where the database file and the issuer key live.
        #[arg(long, env = "OMS_DATA_DIR", default_value = ".oms-data")]
        data_dir: PathBuf,
        /// `sqlite:<path>` (default: `<data-dir>/oms.sqlite3`), `postgres://...` or `data-api`
        /// (the production executor: `OMS_DB_CLUSTER_ARN`, `OMS_DB_SECRET_ARN`, and
        /// `AWS_ENDPOINT_URL_RDS_DATA` for the stand-in of `oms-local data-api`).
        #[arg(long, env = "OMS_DATABASE")]
        database: Option<String>,
        /// The web console's built files, served at `/` (`npm run build` in `console/`).
        #[arg(long, env = "OMS_CONSOLE_DIR", default_value = "console/dist")]
        console_dir: PathBuf,
        /// Once listening, write the base URL (`http://127.0.0.1:<port>`) to this file, atomically:
        /// how a script or test that passed `--port 0` learns the port without reading the log.
        #[arg(long)]
        ready_file: Option<PathBuf>,
    },
    /// Print a signed token for the local API, and nothing else.
    Token {
        /// Subject (user id).
        #[arg(long)]
        sub: String,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Cognito group (`SalesManager`, `Admin`); repeatable.
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Seconds until expiry; negative for an already expired token.
        #[arg(long, default_value_t = 3600, allow_negative_numbers = true)]
        expires_in: i64,
        /// Audience (app client id); anything but the default is refused by the server.
        #[arg(long, default_value = issuer::CLIENT_ID)]
        audience: String,
        /// `id` or `access`.
        #[arg(long, default_value = "id", value_parser = ["id", "access", "refresh"])]
        token_use: String,
        /// Where the issuer key lives (must match the server's).
        #[arg(long, env = "OMS_DATA_DIR", default_value = ".oms-data")]
        data_dir: PathBuf,
    },
    /// Apply schema migrations and exit.
    Migrate {
        /// `sqlite:<path>`, `postgres://...` or `data-api` (with the OMS_DB_* variables).
        #[arg(long, env = "OMS_DATABASE")]
        database: Option<String>,
        /// Default location of the SQLite file.
        #[arg(long, env = "OMS_DATA_DIR", default_value = ".oms-data")]
        data_dir: PathBuf,
    },
    /// Print the OpenAPI description.
    Openapi,
    /// Render what the fleet manifest (shared/src/fleet/manifest.rs) derives: the fleet section of
    /// template.yaml and openapi.json, in the repository at `--root` (default: the current
    /// directory). `--check` only reports whether they are current.
    Render {
        /// The repository's root.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Exit non-zero if a file differs from the rendering, writing nothing.
        #[arg(long)]
        check: bool,
    },
    /// Serve the RDS Data API on a PostgreSQL: a stand-in for Aurora's Data API that enforces its
    /// documented limits (see `oms::sql::standin`). Calls by operation: `GET /_standin/calls`;
    /// injected failures: `POST /_standin/faults` with `{"error": "DatabaseResumingException", "count": 3}`.
    DataApi {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Port to listen on (0 picks a free one and prints it).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// The PostgreSQL the statements run on (`postgres://...`).
        #[arg(long, env = "OMS_STANDIN_DATABASE")]
        database: String,
        /// Milliseconds added to every call (the Data API's round trip; 20 is a conservative in-region figure).
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        /// Seconds after its last call a transaction is rolled back (the Data API's 3 minutes).
        #[arg(long, default_value_t = 180)]
        transaction_timeout_secs: u64,
        /// Every call answers DatabaseResumingException for this long after start (a paused cluster).
        #[arg(long, default_value_t = 0)]
        paused_for_ms: u64,
        /// Connections to PostgreSQL (each open transaction holds one).
        #[arg(long, default_value_t = 32)]
        max_connections: usize,
        /// Apply the service's migrations to the database first.
        #[arg(long)]
        migrate: bool,
        /// Once listening, write the endpoint URL to this file, atomically (as `serve --ready-file`).
        #[arg(long)]
        ready_file: Option<PathBuf>,
    },
}

/// Writes (or with `check`, compares) the files the manifest renders. The OpenAPI text comes from
/// the running binary's code, never from a file it compiled in.
fn render(root: &std::path::Path, check: bool) -> Result<(), String> {
    let template_path = root.join("template.yaml");
    let template = std::fs::read_to_string(&template_path).map_err(|e| format!("{}: {e}", template_path.display()))?;
    let files = [
        (
            template_path,
            template.clone(),
            oms::fleet::template::splice(&template)?,
        ),
        (
            root.join("openapi.json"),
            std::fs::read_to_string(root.join("openapi.json")).unwrap_or_default(),
            oms::openapi::to_pretty_json(),
        ),
    ];
    let mut stale = Vec::new();
    for (path, current, rendered) in files {
        if current == rendered {
            continue;
        }
        if check {
            stale.push(path.display().to_string());
        } else {
            std::fs::write(&path, rendered.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("rendered {}", path.display());
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!("not current (run `oms-local render`): {}", stale.join(", ")))
    }
}

fn database_config(database: Option<String>, data_dir: &std::path::Path) -> Result<DatabaseConfig, String> {
    let choice = database.unwrap_or_else(|| format!("sqlite:{}", data_dir.join("oms.sqlite3").display()));
    match choice.as_str() {
        "data-api" => DatabaseConfig::from_env().map_err(|e| e.to_string()),
        other if other.starts_with("sqlite:") => Ok(DatabaseConfig::Sqlite(PathBuf::from(&other["sqlite:".len()..]))),
        other if other.starts_with("postgres://") || other.starts_with("postgresql://") => {
            Ok(DatabaseConfig::Postgres(other.to_owned()))
        }
        other => Err(format!(
            "unknown database {other:?}: use sqlite:<path>, postgres://... or data-api"
        )),
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve {
        host: std::env::var("OMS_HOST").unwrap_or_else(|_| "127.0.0.1".into()),
        port: std::env::var("OMS_PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(8080),
        data_dir: std::env::var("OMS_DATA_DIR").map_or_else(|_| PathBuf::from(".oms-data"), PathBuf::from),
        database: std::env::var("OMS_DATABASE").ok(),
        console_dir: std::env::var("OMS_CONSOLE_DIR").map_or_else(|_| PathBuf::from("console/dist"), PathBuf::from),
        ready_file: None,
    }) {
        Command::Serve {
            host,
            port,
            data_dir,
            database,
            console_dir,
            ready_file,
        } => serve(host, port, data_dir, database, console_dir, ready_file).await,
        Command::Token {
            sub,
            email,
            groups,
            expires_in,
            audience,
            token_use,
            data_dir,
        } => issuer::Issuer::load_or_create(&data_dir).and_then(|issuer| {
            issuer
                .token(&issuer::TokenRequest {
                    sub,
                    email,
                    groups,
                    expires_in,
                    audience,
                    token_use,
                })
                .map(|token| println!("{token}"))
        }),
        Command::Migrate { database, data_dir } => migrate(database, &data_dir).await,
        Command::Openapi => {
            print!("{}", oms::openapi::to_pretty_json());
            Ok(())
        }
        Command::Render { root, check } => render(&root, check),
        Command::DataApi {
            host,
            port,
            database,
            latency_ms,
            transaction_timeout_secs,
            paused_for_ms,
            max_connections,
            migrate,
            ready_file,
        } => {
            let mut options = oms::sql::standin::Options::new(&database);
            options.latency = Duration::from_millis(latency_ms);
            options.transaction_timeout = Duration::from_secs(transaction_timeout_secs);
            options.paused_for = Duration::from_millis(paused_for_ms);
            options.max_connections = max_connections;
            data_api(host, port, options, migrate, ready_file).await
        }
    };
    if let Err(error) = result {
        eprintln!("oms-local: {error}");
        std::process::exit(1);
    }
}

async fn migrate(database: Option<String>, data_dir: &std::path::Path) -> Result<(), String> {
    oms::telemetry::init("migrate");
    let config = database_config(database, data_dir)?;
    let executor = config.connect().await.map_err(|e| e.to_string())?;
    // SQLite and PostgreSQL are migrated on connect; the Data API is migrated here.
    let applied = oms::sql::migrations::migrate(executor.as_ref())
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("schema is current ({} migration(s) applied now)", applied.len());
    Ok(())
}

/// `oms-local data-api`: the Data API stand-in until interrupted, then its call counts.
async fn data_api(
    host: String,
    port: u16,
    options: oms::sql::standin::Options,
    migrate: bool,
    ready_file: Option<PathBuf>,
) -> Result<(), String> {
    oms::telemetry::init("oms-local-data-api");
    if migrate {
        let executor = oms::sql::postgres::PostgresExecutor::new(&options.database_url, 1);
        oms::sql::migrations::migrate(&executor)
            .await
            .map_err(|e| e.to_string())?;
    }
    let listener = tokio::net::TcpListener::bind((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
    let latency = options.latency;
    let standin = oms::sql::standin::DataApiStandin::start(options, listener).map_err(|e| e.to_string())?;
    let url = standin.endpoint_url();
    eprintln!(
        "oms-local data-api: listening on {url} ({} ms per call; calls: {url}/_standin/calls)",
        latency.as_millis()
    );
    if let Some(path) = &ready_file {
        ready::write(path, &url)?;
    }
    let _ = tokio::signal::ctrl_c().await;
    eprintln!(
        "oms-local data-api: stopping; calls by operation: {}",
        serde_json::to_string(&standin.calls()).unwrap_or_default()
    );
    Ok(())
}

async fn serve(
    host: String,
    port: u16,
    data_dir: PathBuf,
    database: Option<String>,
    console_dir: PathBuf,
    ready_file: Option<PathBuf>,
) -> Result<(), String> {
    oms::telemetry::init("oms-local");
    oms::telemetry::abort_after_panic();
    let issuer = issuer::Issuer::load_or_create(&data_dir)?;
    let config = database_config(database, &data_dir)?;
    let executor = config.connect().await.map_err(|e| e.to_string())?;
    if matches!(config, DatabaseConfig::DataApi(_)) {
        // SQLite and PostgreSQL are migrated on connect; the Data API (Aurora or the stand-in,
        // `AWS_ENDPOINT_URL_RDS_DATA`) here, through the production executor.
        oms::sql::migrations::migrate(executor.as_ref())
            .await
            .map_err(|e| e.to_string())?;
    }
    // The same wiring as in AWS, on embedded adapters: a versioned in-memory cache, and queues with
    // SQS semantics delivering to the same consumers the Lambda functions run.
    let change_events = Arc::new(LocalQueue::new("change-events", Duration::from_secs(30), 5));
    let status_events = Arc::new(LocalQueue::new("opportunity-status-events", Duration::from_secs(30), 5));
    let mut app = App::over_sql(executor);
    // The functions' own check, configured as a stage is: this issuer's app client, both kinds.
    app.clients = oms::auth::ClientPolicy::parse(Some(issuer::CLIENT_ID), Some("id,access"))?;
    app.cors = oms::http::cors::Cors::new(std::env::var("OMS_ALLOWED_ORIGIN").ok().as_deref())?;
    app.cache = Arc::new(MemoryCache::new());
    // The per-user limit of AWS, counted in this process (OMS_REQUESTS_PER_MINUTE moves it).
    app.limit = oms::ports::limits::RequestLimit {
        policy: oms::app::requests_per_minute().map_err(|e| e.to_string())?,
        counter: Arc::new(oms::adapters::memory_counter::MemoryRequestCounter::new()),
    };
    app.publisher = change_events.clone();
    app.dead_letters = status_events.clone();
    // The listener first: the object store's signed URLs point at this server.
    let listener = tokio::net::TcpListener::bind((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let objects = LocalObjectStore::new(
        data_dir.join("objects"),
        format!("http://{address}"),
        signing_secret(&data_dir)?,
    );
    app.objects = Arc::new(objects.clone());
    // The exports bucket's stand-in is the same folder (keys under `privacy-exports/`).
    app.exports = Arc::new(objects.clone());
    app.pseudonyms = Some(match std::env::var("OMS_PSEUDONYM_KEY") {
        Ok(key) if !key.is_empty() => oms::domain::privacy::PseudonymKey::parse(&key)?,
        _ => oms::domain::privacy::PseudonymKey::new(pseudonym_key(&data_dir)?)?,
    });
    // Exports go to a folder of the data directory unless OMS_EXPORTS_BUCKET names a bucket.
    app.export_sink = Arc::new(oms::adapters::export_sinks::FolderExportSink::new(
        data_dir.join("exports"),
    ));
    // Pointed at AWS or moto (OMS_CACHE_TABLE, OMS_CHANGE_EVENTS_QUEUE_URL, ... with
    // AWS_ENDPOINT_URL), the named services replace their embedded stand-ins.
    if oms::app::wire_aws_from_env(&mut app).await.map_err(|e| e.to_string())? {
        tracing::info!("AWS adapters configured from the environment");
    }
    let integration_bus = Arc::new(oms::adapters::local_bus::LocalBus::new());
    spawn_event_sources(&app, &change_events, &status_events, &integration_bus);
    jobs::spawn_daily_jobs(&app);
    let seeded = oms::handlers::catalog::seed_starter_skills(&app)
        .await
        .map_err(|e| e.to_string())?;
    if seeded > 0 {
        tracing::info!(seeded, "seeded the skills catalog");
    }
    let verifier = issuer.verifier()?;
    let server = Arc::new(server::Server {
        app,
        change_events,
        status_events,
        integration_bus,
        authorizer: oms::auth::authorizer::Authorizer::new(verifier.clone()),
        verifier,
        jwks: serde_json::to_string(&issuer.jwks()?).map_err(|e| e.to_string())?,
        objects,
        issuer,
        console: console::Console::new(console_dir.clone()),
        authorization_pattern: regex_lite::Regex::new(oms::auth::AUTHORIZATION_PATTERN).map_err(|e| e.to_string())?,
        dev_guard: dev_guard::DevGuard {
            bound: address.ip(),
            allowed_origin: std::env::var("OMS_ALLOWED_ORIGIN").ok().filter(|o| !o.is_empty()),
        },
    });
    let console_note = if console_dir.join("index.html").is_file() {
        format!("console: http://{address}/")
    } else {
        format!("console not built in {}", console_dir.display())
    };
    eprintln!("oms-local: listening on http://{address} (docs: http://{address}/docs, {console_note})");
    if let Some(path) = &ready_file {
        ready::write(path, &format!("http://{address}"))?;
    }
    tokio::select! {
        _ = server::serve(server, listener) => Ok(()),
        _ = tokio::signal::ctrl_c() => {
            eprintln!("oms-local: stopping");
            Ok(())
        }
    }
}

/// How often the local schedule runs the outbox relay (EventBridge: every minute;
/// `OMS_LOCAL_RELAY_SECONDS` to change it, e.g. in tests).
fn relay_every() -> Duration {
    let seconds = std::env::var("OMS_LOCAL_RELAY_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(60);
    Duration::from_secs(seconds)
}

/// The local event source mappings and schedules: queue consumers and timers, in process.
/// As in AWS, the change events pass the integration bus on their way to cache-invalidation
/// (the EventBridge Pipe from the change-events queue, the bus's rule to the cache-invalidation
/// queue): here each batch is put on the local bus, then handled.
fn spawn_event_sources(
    app: &App,
    change_events: &Arc<LocalQueue>,
    status_queue: &Arc<LocalQueue>,
    bus: &Arc<oms::adapters::local_bus::LocalBus>,
) {
    let (a, q, bus) = (app.clone(), change_events.clone(), bus.clone());
    tokio::spawn(async move {
        q.run_consumer(|event| {
            let a = a.clone();
            let bus = bus.clone();
            async move {
                for record in &event.records {
                    if record.attributes.get("ApproximateReceiveCount").map(String::as_str) == Some("1") {
                        bus.put_message(record.body.as_deref().unwrap_or_default());
                    }
                }
                cache_invalidation::handle(&a, event).await
            }
        })
        .await
    });
    let (a, q) = (app.clone(), status_queue.clone());
    tokio::spawn(async move {
        q.run_consumer(|event| {
            let a = a.clone();
            async move { status_events::handle(&a, event).await }
        })
        .await
    });
    let a = app.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(relay_every());
        loop {
            ticks.tick().await;
            let event = serde_json::json!({
                "version": "0",
                "id": uuid::Uuid::new_v4(),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "000000000000",
                "time": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                "region": "local",
                "resources": ["arn:aws:events:local:000000000000:rule/outbox-relay"],
                "detail": {}
            });
            if let Err(error) = outbox_relay::handle(&a, event).await {
                tracing::warn!(%error, "outbox relay failed");
            }
        }
    });
}

/// The key the local object store signs its URLs with, created once in the data folder (owner
/// only, safe against concurrent starts: see [`datafile`]).
/// The data folder's pseudonym key (erasures), created once like the signing key; a stable key
/// keeps pseudonyms stable across restarts.
fn pseudonym_key(data_dir: &std::path::Path) -> Result<Vec<u8>, String> {
    datafile::read_or_create(
        &data_dir.join("pseudonym.key"),
        || {
            let mut secret = vec![0u8; 32];
            aws_lc_rs::rand::fill(&mut secret).map_err(|_| "no randomness for the pseudonym key".to_owned())?;
            Ok(secret)
        },
        |bytes| bytes.len() >= 32,
    )
}

fn signing_secret(data_dir: &std::path::Path) -> Result<Vec<u8>, String> {
    datafile::read_or_create(
        &data_dir.join("object-signing.key"),
        || {
            let mut secret = vec![0u8; 32];
            aws_lc_rs::rand::fill(&mut secret).map_err(|_| "no randomness for the signing key".to_owned())?;
            Ok(secret)
        },
        |bytes| bytes.len() >= 32,
    )
}
