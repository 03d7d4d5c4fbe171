//! A stand-in for the RDS Data API on top of a real PostgreSQL (`oms-local data-api`).
//!
//! It speaks the protocol `aws-sdk-rdsdata` speaks (REST-JSON: `POST /Execute`, `/BatchExecute`,
//! `/BeginTransaction`, `/CommitTransaction`, `/RollbackTransaction`; typed fields and type hints,
//! `includeResultMetadata`, `records`, `formatRecordsAs`, `numberOfRecordsUpdated`, errors as
//! `x-amzn-errortype` plus `{"message"}`) and enforces what the Data API documents, so that the
//! production executor can be run, counted and load-tested offline:
//! - a response of at most 1 MiB and rows of at most 64 KB (else `BadRequestException`);
//! - one statement per call (`Multistatements aren't supported.`; a dollar-quoted body is part of
//!   its statement);
//! - requests of at most 4 MiB;
//! - one running call per transaction;
//! - a transaction rolled back 3 minutes after its last call (`TransactionNotFoundException` then).
//!
//! It adds what a test or a benchmark needs: a latency per call, the number of calls by operation
//! (`GET /_standin/calls`), and injected failures (`POST /_standin/faults`: the next calls answer
//! `DatabaseResumingException`, `ThrottlingException`, ...; or every call during a pause after
//! start, as a resuming Aurora Serverless v2 cluster does).
//!
//! Parameters reach PostgreSQL typed as [`super::postgres::PostgresExecutor`] types them (the two
//! must agree: the SQL suite proves the texts on that executor).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::{Bytes, BytesMut};
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use postgres_types::{IsNull, ToSql, Type, to_sql_checked};
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_postgres::Client;

use super::postgres::{DataApiTyped, Pooled, PostgresExecutor, decode_column};
use super::value::parse_timestamp;
use super::{SqlValue, positional_placeholders};

/// The Data API operations, by the names the API and the SDK give them.
pub const OPERATIONS: [&str; 5] = [
    "ExecuteStatement",
    "BatchExecuteStatement",
    "BeginTransaction",
    "CommitTransaction",
    "RollbackTransaction",
];

/// Largest row the Data API returns.
pub const MAX_ROW_BYTES: usize = super::limits::MAX_ROW_BYTES;
/// Largest response the Data API returns.
pub const MAX_RESPONSE_BYTES: usize = super::limits::MAX_RESPONSE_BYTES;
/// How long a transaction lives after its last call.
pub const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(180);
/// The largest request the service takes: 4 MiB (a larger one is refused, as the Data API does).
const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// How the stand-in behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The PostgreSQL it runs the statements on (`postgres://...`; `options=-csearch_path=...` works).
    pub database_url: String,
    /// Added to every Data API call before it is answered (the round trip of the real API).
    pub latency: Duration,
    /// A transaction without a call for this long is rolled back ([`TRANSACTION_TIMEOUT`]).
    pub transaction_timeout: Duration,
    /// Connections to PostgreSQL (each open transaction holds one).
    pub max_connections: usize,
    /// For this long after start every call answers `DatabaseResumingException`, as an Aurora
    /// Serverless v2 cluster resuming from auto-pause does.
    pub paused_for: Duration,
}

impl Options {
    /// The documented behaviour on `database_url`, without added latency.
    pub fn new(database_url: &str) -> Options {
        Options {
            database_url: database_url.to_owned(),
            latency: Duration::ZERO,
            transaction_timeout: TRANSACTION_TIMEOUT,
            max_connections: 32,
            paused_for: Duration::ZERO,
        }
    }
}

/// The errors the stand-in answers with: the Data API's error codes and HTTP statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 400: an error in the call or the SQL (Serverless v1's database errors too).
    BadRequest,
    /// 400: the database refused the statement.
    DatabaseError,
    /// 400: the cluster is resuming from auto-pause; retry.
    DatabaseResuming,
    /// 504: the database did not answer.
    DatabaseUnavailable,
    /// 400: the statement ran out of time.
    StatementTimeout,
    /// 404: no such transaction (never begun, ended, or expired).
    TransactionNotFound,
    /// 400: a result the API cannot return.
    UnsupportedResult,
    /// 403.
    Forbidden,
    /// 500.
    InternalServerError,
    /// 503.
    ServiceUnavailable,
    /// 400: too many calls (not in the service model: AWS's generic throttling error).
    Throttling,
}

impl ErrorCode {
    /// The `x-amzn-errortype` value.
    pub fn code(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BadRequestException",
            ErrorCode::DatabaseError => "DatabaseErrorException",
            ErrorCode::DatabaseResuming => "DatabaseResumingException",
            ErrorCode::DatabaseUnavailable => "DatabaseUnavailableException",
            ErrorCode::StatementTimeout => "StatementTimeoutException",
            ErrorCode::TransactionNotFound => "TransactionNotFoundException",
            ErrorCode::UnsupportedResult => "UnsupportedResultException",
            ErrorCode::Forbidden => "ForbiddenException",
            ErrorCode::InternalServerError => "InternalServerErrorException",
            ErrorCode::ServiceUnavailable => "ServiceUnavailableError",
            ErrorCode::Throttling => "ThrottlingException",
        }
    }

    /// The HTTP status the API answers it with.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::TransactionNotFound => StatusCode::NOT_FOUND,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::InternalServerError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::DatabaseUnavailable => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Reads an error code (`DatabaseResumingException`, ...).
    pub fn parse(code: &str) -> Option<ErrorCode> {
        ALL_ERRORS.iter().copied().find(|e| e.code() == code)
    }

    fn default_message(self) -> &'static str {
        match self {
            ErrorCode::DatabaseResuming => "The database is resuming after being auto-paused. Retry the call.",
            ErrorCode::Throttling => "Rate exceeded",
            ErrorCode::ServiceUnavailable => "The service is unavailable. Retry the call.",
            ErrorCode::DatabaseUnavailable => "The database did not answer in time.",
            ErrorCode::StatementTimeout => "The statement timed out.",
            _ => "The call failed.",
        }
    }
}

const ALL_ERRORS: [ErrorCode; 11] = [
    ErrorCode::BadRequest,
    ErrorCode::DatabaseError,
    ErrorCode::DatabaseResuming,
    ErrorCode::DatabaseUnavailable,
    ErrorCode::StatementTimeout,
    ErrorCode::TransactionNotFound,
    ErrorCode::UnsupportedResult,
    ErrorCode::Forbidden,
    ErrorCode::InternalServerError,
    ErrorCode::ServiceUnavailable,
    ErrorCode::Throttling,
];

/// A failed call.
#[derive(Debug)]
struct CallError {
    code: ErrorCode,
    message: String,
}

impl CallError {
    fn new(code: ErrorCode, message: impl Into<String>) -> CallError {
        CallError {
            code,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> CallError {
        CallError::new(ErrorCode::BadRequest, message)
    }

    /// A PostgreSQL error as the Data API relays it: `ERROR: <message>` with the detail and the
    /// SQLSTATE.
    fn database(error: &tokio_postgres::Error) -> CallError {
        let message = match error.as_db_error() {
            Some(db) => {
                let detail = db.detail().map(|d| format!("\n  Detail: {d}")).unwrap_or_default();
                format!("ERROR: {}{detail}; SQLState: {}", db.message(), db.code().code())
            }
            None => format!("ERROR: {error}"),
        };
        CallError::new(ErrorCode::DatabaseError, message)
    }
}

/// Calls counted by operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallCounts(pub BTreeMap<String, u64>);

impl CallCounts {
    /// Calls of one operation.
    pub fn of(&self, operation: &str) -> u64 {
        self.0.get(operation).copied().unwrap_or(0)
    }

    /// Calls of every operation.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// The calls made since `earlier` was read.
    pub fn since(&self, earlier: &CallCounts) -> CallCounts {
        CallCounts(
            self.0
                .iter()
                .map(|(op, n)| (op.clone(), n.saturating_sub(earlier.of(op))))
                .filter(|(_, n)| *n > 0)
                .collect(),
        )
    }
}

struct OpenTransaction {
    /// The connection, locked by the call running on it (one at a time).
    connection: tokio::sync::Mutex<Pooled>,
    last_call: StdMutex<Instant>,
}

impl OpenTransaction {
    fn touch(&self) {
        *self.last_call.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        self.last_call.lock().unwrap_or_else(|e| e.into_inner()).elapsed()
    }
}

struct Shared {
    options: Options,
    started: Instant,
    pool: PostgresExecutor,
    transactions: StdMutex<HashMap<String, Arc<OpenTransaction>>>,
    calls: StdMutex<CallCounts>,
    faults: StdMutex<VecDeque<ErrorCode>>,
}

/// A running stand-in. Dropping it stops serving.
pub struct DataApiStandin {
    shared: Arc<Shared>,
    address: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl DataApiStandin {
    /// Serves the Data API on `listener` until dropped.
    pub fn start(options: Options, listener: TcpListener) -> std::io::Result<DataApiStandin> {
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            pool: PostgresExecutor::new(&options.database_url, options.max_connections),
            options,
            started: Instant::now(),
            transactions: StdMutex::new(HashMap::new()),
            calls: StdMutex::new(CallCounts::default()),
            faults: StdMutex::new(VecDeque::new()),
        });
        let server = tokio::spawn(serve(shared.clone(), listener));
        let reaper = tokio::spawn(expire_transactions(shared.clone()));
        Ok(DataApiStandin {
            shared,
            address,
            tasks: vec![server, reaper],
        })
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The endpoint URL to give the SDK (`AWS_ENDPOINT_URL_RDS_DATA`, or the config's endpoint).
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The calls answered so far, by operation (failed ones included: each is a round trip).
    pub fn calls(&self) -> CallCounts {
        self.shared.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Makes the next `count` calls fail with `code`.
    pub fn fail_next(&self, code: ErrorCode, count: usize) {
        self.shared.fail_next(code, count);
    }

    /// Transactions begun and not yet ended or expired.
    pub fn open_transactions(&self) -> usize {
        self.shared.transactions.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Drop for DataApiStandin {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Shared {
    fn fail_next(&self, code: ErrorCode, count: usize) {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        faults.extend(std::iter::repeat_n(code, count));
    }

    fn count(&self, operation: &str) {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        *calls.0.entry(operation.to_owned()).or_insert(0) += 1;
    }

    fn injected_failure(&self) -> Option<CallError> {
        if self.started.elapsed() < self.options.paused_for {
            return Some(CallError::new(
                ErrorCode::DatabaseResuming,
                ErrorCode::DatabaseResuming.default_message(),
            ));
        }
        let code = self.faults.lock().unwrap_or_else(|e| e.into_inner()).pop_front()?;
        Some(CallError::new(code, code.default_message()))
    }

    fn transaction(&self, id: &str) -> Result<Arc<OpenTransaction>, CallError> {
        self.transactions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
            .ok_or_else(|| CallError::new(ErrorCode::TransactionNotFound, format!("Transaction {id} is not found")))
    }

    fn take_transaction(&self, id: &str) -> Result<Arc<OpenTransaction>, CallError> {
        self.transactions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id)
            .ok_or_else(|| CallError::new(ErrorCode::TransactionNotFound, format!("Transaction {id} is not found")))
    }

    async fn call(&self, operation: &str, body: &[u8]) -> Result<Value, CallError> {
        if let Some(failure) = self.injected_failure() {
            return Err(failure);
        }
        let request: Map<String, Value> = serde_json::from_slice(body)
            .map_err(|e| CallError::bad_request(format!("The request body is not a JSON object: {e}")))?;
        for required in ["resourceArn", "secretArn"] {
            if !request.get(required).is_some_and(Value::is_string) {
                return Err(CallError::bad_request(format!("{required} is required")));
            }
        }
        match operation {
            "ExecuteStatement" => self.execute(&request).await,
            "BatchExecuteStatement" => self.batch_execute(&request).await,
            "BeginTransaction" => self.begin().await,
            "CommitTransaction" => self.end(&request, "COMMIT", "Transaction Committed").await,
            _ => self.end(&request, "ROLLBACK", "Rollback Complete").await,
        }
    }

    /// Runs `work` on the transaction's connection (one call at a time) or on a pooled one.
    async fn on_connection<T>(
        &self,
        transaction_id: Option<&str>,
        work: impl AsyncFnOnce(&Client, bool) -> Result<T, CallError>,
    ) -> Result<T, CallError> {
        match transaction_id {
            Some(id) => {
                let transaction = self.transaction(id)?;
                let connection = transaction.connection.try_lock().map_err(|_| {
                    CallError::bad_request(format!(
                        "Transaction {id} is already running a call: a transaction runs one call at a time"
                    ))
                })?;
                transaction.touch();
                let client = connection.client().map_err(|e| CallError::bad_request(e.to_string()))?;
                let outcome = work(client, true).await;
                transaction.touch();
                outcome
            }
            None => {
                let pooled = self.pool.acquire().await.map_err(|e| {
                    CallError::new(
                        ErrorCode::DatabaseUnavailable,
                        format!("Communications link failure: {e}"),
                    )
                })?;
                let client = pooled.client().map_err(|e| CallError::bad_request(e.to_string()))?;
                work(client, false).await
            }
        }
    }

    async fn execute(&self, request: &Map<String, Value>) -> Result<Value, CallError> {
        let sql = required_sql(request)?;
        let parameters = parse_parameters(request.get("parameters"))?;
        let shape = ResultShape::of(request)?;
        let transaction_id = optional_string(request, "transactionId")?;
        self.on_connection(transaction_id, async |client, _| {
            let (columns, rows, affected) = run_statement(client, sql, &parameters).await?;
            shape.response(sql, &columns, &rows, affected)
        })
        .await
    }

    async fn batch_execute(&self, request: &Map<String, Value>) -> Result<Value, CallError> {
        let sql = required_sql(request)?;
        let sets = match request.get("parameterSets") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(sets)) => sets
                .iter()
                .map(|set| parse_parameters(Some(set)))
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => {
                return Err(CallError::bad_request(
                    "parameterSets must be a list of parameter lists",
                ));
            }
        };
        let transaction_id = optional_string(request, "transactionId")?;
        self.on_connection(transaction_id, async |client, in_transaction| {
            // Outside a transaction the batch commits as one unit, as one call.
            if !in_transaction {
                client
                    .batch_execute("BEGIN")
                    .await
                    .map_err(|e| CallError::database(&e))?;
            }
            let mut results = Vec::with_capacity(sets.len());
            for parameters in &sets {
                match run_statement(client, sql, parameters).await {
                    Ok(_) => results.push(json!({ "generatedFields": [] })),
                    Err(error) => {
                        if !in_transaction {
                            let _ = client.batch_execute("ROLLBACK").await;
                        }
                        return Err(error);
                    }
                }
            }
            if !in_transaction {
                client
                    .batch_execute("COMMIT")
                    .await
                    .map_err(|e| CallError::database(&e))?;
            }
            Ok(json!({ "updateResults": results }))
        })
        .await
    }

    async fn begin(&self) -> Result<Value, CallError> {
        let pooled = self.pool.acquire().await.map_err(|e| {
            CallError::new(
                ErrorCode::DatabaseUnavailable,
                format!("Communications link failure: {e}"),
            )
        })?;
        pooled
            .client()
            .map_err(|e| CallError::bad_request(e.to_string()))?
            .batch_execute("BEGIN")
            .await
            .map_err(|e| CallError::database(&e))?;
        let id = transaction_id();
        let transaction = Arc::new(OpenTransaction {
            connection: tokio::sync::Mutex::new(pooled),
            last_call: StdMutex::new(Instant::now()),
        });
        self.transactions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), transaction);
        Ok(json!({ "transactionId": id }))
    }

    async fn end(&self, request: &Map<String, Value>, command: &str, status: &str) -> Result<Value, CallError> {
        let id = optional_string(request, "transactionId")?
            .ok_or_else(|| CallError::bad_request("transactionId is required"))?;
        let transaction = self.transaction(id)?;
        let connection = transaction.connection.try_lock().map_err(|_| {
            CallError::bad_request(format!(
                "Transaction {id} is already running a call: a transaction runs one call at a time"
            ))
        })?;
        self.take_transaction(id)?;
        let client = connection.client().map_err(|e| CallError::bad_request(e.to_string()))?;
        client
            .batch_execute(command)
            .await
            .map_err(|e| CallError::database(&e))?;
        Ok(json!({ "transactionStatus": status }))
    }
}

/// Rolls back transactions whose last call is older than the timeout.
async fn expire_transactions(shared: Arc<Shared>) {
    let every = (shared.options.transaction_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(5));
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        let expired: Vec<Arc<OpenTransaction>> = {
            let mut open = shared.transactions.lock().unwrap_or_else(|e| e.into_inner());
            let ids: Vec<String> = open
                .iter()
                .filter(|(_, t)| t.idle_for() >= shared.options.transaction_timeout && t.connection.try_lock().is_ok())
                .map(|(id, _)| id.clone())
                .collect();
            ids.iter().filter_map(|id| open.remove(id)).collect()
        };
        for transaction in expired {
            let connection = transaction.connection.lock().await;
            if let Ok(client) = connection.client() {
                let _ = client.batch_execute("ROLLBACK").await;
            }
        }
    }
}

/// A transaction id as opaque as the Data API's.
fn transaction_id() -> String {
    let mut bytes = Vec::with_capacity(48);
    for _ in 0..3 {
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    STANDARD.encode(bytes)
}

fn optional_string<'a>(request: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, CallError> {
    match request.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(CallError::bad_request(format!("{name} must be a string"))),
    }
}

fn required_sql(request: &Map<String, Value>) -> Result<&str, CallError> {
    let sql = optional_string(request, "sql")?.ok_or_else(|| CallError::bad_request("sql is required"))?;
    if has_several_statements(sql) {
        return Err(CallError::bad_request("Multistatements aren't supported."));
    }
    Ok(sql)
}

/// True when `sql` holds a `;` followed by more SQL, outside quotes, comments and dollar-quoted
/// bodies (a `CREATE FUNCTION ... AS $$ ... ; ... $$` is one statement, as PostgreSQL's own
/// parser and the Data API read it).
fn has_several_statements(sql: &str) -> bool {
    let bytes = sql.as_bytes();
    let (mut i, mut ended) = (0, false);
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        let starts_comment = (c == b'-' && next == Some(b'-')) || (c == b'/' && next == Some(b'*'));
        if ended && !c.is_ascii_whitespace() && c != b';' && !starts_comment {
            return true;
        }
        match c {
            b'\'' | b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != c {
                    i += 1;
                }
            }
            b'-' if next == Some(b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if next == Some(b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'$' => {
                // `$tag$ ... $tag$`: the tag is empty or an identifier (never a digit first, which
                // would be a positional parameter).
                let rest = &bytes[i + 1..];
                let tag = rest
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                let identifier = tag == 0 || !rest[0].is_ascii_digit();
                if identifier && rest.get(tag) == Some(&b'$') {
                    let delimiter = &bytes[i..i + tag + 2];
                    let body = i + tag + 2;
                    i = bytes[body..]
                        .windows(delimiter.len())
                        .position(|window| window == delimiter)
                        .map_or(bytes.len(), |at| body + at + delimiter.len() - 1);
                }
            }
            b';' => ended = true,
            _ => {}
        }
        i += 1;
    }
    false
}

/// A parameter value as the Data API types it.
#[derive(Debug)]
enum Bound {
    /// What the service's own executors send too.
    Value(SqlValue),
    /// `doubleValue`.
    Double(f64),
    /// `blobValue`.
    Blob(Vec<u8>),
}

impl Bound {
    fn pg_type(&self) -> Type {
        match self {
            Bound::Value(value) => DataApiTyped(value).pg_type(),
            Bound::Double(_) => Type::FLOAT8,
            Bound::Blob(_) => Type::BYTEA,
        }
    }
}

impl ToSql for Bound {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Bound::Value(value) => DataApiTyped(value).to_sql(ty, out),
            Bound::Double(d) => d.to_sql(ty, out),
            Bound::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// Reads the `parameters` list: `{name, value: {stringValue | longValue | ...}, typeHint}`.
fn parse_parameters(list: Option<&Value>) -> Result<Vec<(String, Bound)>, CallError> {
    let items = match list {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(CallError::bad_request("parameters must be a list")),
    };
    items
        .iter()
        .map(|item| {
            let name = item
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| CallError::bad_request("a parameter needs a name"))?;
            let hint = item.get("typeHint").and_then(Value::as_str);
            let value = item
                .get("value")
                .and_then(Value::as_object)
                .ok_or_else(|| CallError::bad_request(format!("parameter {name} needs a value")))?;
            Ok((name.to_owned(), parse_field(name, value, hint)?))
        })
        .collect()
}

fn parse_field(name: &str, field: &Map<String, Value>, hint: Option<&str>) -> Result<Bound, CallError> {
    let invalid = |what: &str| {
        CallError::new(
            ErrorCode::DatabaseError,
            format!("ERROR: invalid input syntax for type {what}: parameter {name}"),
        )
    };
    let (kind, value) = field
        .iter()
        .next()
        .filter(|_| field.len() == 1)
        .ok_or_else(|| CallError::bad_request(format!("parameter {name}: a value has exactly one member")))?;
    Ok(match (kind.as_str(), value) {
        ("isNull", Value::Bool(true)) => Bound::Value(SqlValue::Null),
        ("booleanValue", Value::Bool(b)) => Bound::Value(SqlValue::Bool(*b)),
        ("longValue", Value::Number(n)) => Bound::Value(SqlValue::Int(n.as_i64().ok_or_else(|| invalid("bigint"))?)),
        ("doubleValue", Value::Number(n)) => Bound::Double(n.as_f64().ok_or_else(|| invalid("double"))?),
        ("blobValue", Value::String(b)) => Bound::Blob(STANDARD.decode(b).map_err(|_| invalid("bytea"))?),
        ("stringValue", Value::String(s)) => match hint {
            None => Bound::Value(SqlValue::Text(s.clone())),
            Some("UUID") => Bound::Value(SqlValue::Uuid(uuid::Uuid::parse_str(s).map_err(|_| invalid("uuid"))?)),
            Some("TIMESTAMP") => Bound::Value(SqlValue::Timestamp(
                parse_timestamp(s).ok_or_else(|| invalid("timestamp"))?,
            )),
            Some("DATE") => Bound::Value(SqlValue::Date(
                time::Date::parse(s, super::value::DATE_FORMAT).map_err(|_| invalid("date"))?,
            )),
            Some("DECIMAL") => Bound::Value(SqlValue::Decimal(s.parse().map_err(|_| invalid("numeric"))?)),
            Some("JSON") => {
                serde_json::from_str::<Value>(s).map_err(|_| invalid("json"))?;
                Bound::Value(SqlValue::Json(s.clone()))
            }
            Some(other) => {
                return Err(CallError::bad_request(format!(
                    "parameter {name}: typeHint {other} is not supported by this stand-in"
                )));
            }
        },
        (other, _) => {
            return Err(CallError::bad_request(format!(
                "parameter {name}: {other} is not a supported value"
            )));
        }
    })
}

type Columns = Vec<(String, Type)>;

/// Runs one statement with `:named` parameters bound positionally.
async fn run_statement(
    client: &Client,
    sql: &str,
    parameters: &[(String, Bound)],
) -> Result<(Columns, Vec<tokio_postgres::Row>, u64), CallError> {
    let (text, names) = positional_placeholders(sql);
    let mut ordered = Vec::with_capacity(names.len());
    for name in &names {
        let (_, value) = parameters.iter().find(|(n, _)| n == name).ok_or_else(|| {
            CallError::new(
                ErrorCode::DatabaseError,
                format!("ERROR: No value specified for parameter :{name}; SQLState: 22023"),
            )
        })?;
        ordered.push((value as &(dyn ToSql + Sync), value.pg_type()));
    }
    let stream = client
        .query_typed_raw(&text, ordered)
        .await
        .map_err(|e| CallError::database(&e))?;
    let mut stream = pin!(stream);
    let mut rows = Vec::new();
    while let Some(row) = stream.try_next().await.map_err(|e| CallError::database(&e))? {
        rows.push(row);
    }
    let affected = stream.rows_affected().unwrap_or(0);
    let columns = rows.first().map_or_else(Vec::new, |row| {
        row.columns()
            .iter()
            .map(|c| (c.name().to_owned(), c.type_().clone()))
            .collect()
    });
    Ok((columns, rows, affected))
}

/// What the caller asked the result to look like.
struct ResultShape {
    metadata: bool,
    as_json: bool,
    decimals_as_numbers: bool,
    longs_as_strings: bool,
}

impl ResultShape {
    fn of(request: &Map<String, Value>) -> Result<ResultShape, CallError> {
        let options = request.get("resultSetOptions").and_then(Value::as_object);
        let option = |name: &str| options.and_then(|o| o.get(name)).and_then(Value::as_str);
        let as_json = match optional_string(request, "formatRecordsAs")? {
            None | Some("NONE") => false,
            Some("JSON") => true,
            Some(other) => {
                return Err(CallError::bad_request(format!(
                    "formatRecordsAs {other} is not NONE or JSON"
                )));
            }
        };
        Ok(ResultShape {
            metadata: request
                .get("includeResultMetadata")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            as_json,
            decimals_as_numbers: option("decimalReturnType") == Some("DOUBLE_OR_LONG"),
            longs_as_strings: option("longReturnType") == Some("STRING"),
        })
    }

    /// A column's value as a typed field, and its size as data.
    fn field(&self, row: &tokio_postgres::Row, index: usize, ty: &Type) -> Result<(Value, usize), CallError> {
        let unsupported = |e: String| {
            CallError::new(
                ErrorCode::UnsupportedResult,
                format!("The result contains an unsupported data type: {e}"),
            )
        };
        if *ty == Type::FLOAT4 || *ty == Type::FLOAT8 {
            let value = if *ty == Type::FLOAT4 {
                row.try_get::<_, Option<f32>>(index).map(|v| v.map(f64::from))
            } else {
                row.try_get::<_, Option<f64>>(index)
            }
            .map_err(|e| unsupported(e.to_string()))?;
            return Ok(value.map_or((json!({ "isNull": true }), 0), |d| (json!({ "doubleValue": d }), 8)));
        }
        if *ty == Type::BYTEA {
            let value = row
                .try_get::<_, Option<Vec<u8>>>(index)
                .map_err(|e| unsupported(e.to_string()))?;
            return Ok(value.map_or((json!({ "isNull": true }), 0), |b| {
                let size = b.len();
                (json!({ "blobValue": STANDARD.encode(b) }), size)
            }));
        }
        let value = decode_column(row, index).map_err(|e| unsupported(e.to_string()))?;
        Ok(match value {
            SqlValue::Null => (json!({ "isNull": true }), 0),
            SqlValue::Bool(b) => (json!({ "booleanValue": b }), 1),
            SqlValue::Int(i) if self.longs_as_strings => (json!({ "stringValue": i.to_string() }), 8),
            SqlValue::Int(i) => (json!({ "longValue": i }), 8),
            SqlValue::Text(s) if *ty == Type::NUMERIC && self.decimals_as_numbers => {
                let number = s.parse::<f64>().map_err(|e| unsupported(e.to_string()))?;
                (json!({ "doubleValue": number }), 8)
            }
            SqlValue::Text(s) | SqlValue::Json(s) => {
                let size = s.len();
                (json!({ "stringValue": s }), size)
            }
            other => return Err(unsupported(format!("{other:?}"))),
        })
    }

    fn response(
        &self,
        sql: &str,
        columns: &Columns,
        rows: &[tokio_postgres::Row],
        affected: u64,
    ) -> Result<Value, CallError> {
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let mut fields = Vec::with_capacity(columns.len());
            let mut row_bytes = 0usize;
            for (index, (_, ty)) in columns.iter().enumerate() {
                let (field, size) = self.field(row, index, ty)?;
                row_bytes = row_bytes.saturating_add(size);
                fields.push(field);
            }
            if row_bytes > MAX_ROW_BYTES {
                return Err(CallError::bad_request(format!(
                    "Database returned a row of {row_bytes} bytes, more than the allowed row size limit of {MAX_ROW_BYTES} bytes"
                )));
            }
            records.push(fields);
        }
        let is_query = first_keyword(sql).eq_ignore_ascii_case("select");
        let mut response = Map::new();
        response.insert(
            "numberOfRecordsUpdated".into(),
            json!(if is_query { 0 } else { affected }),
        );
        response.insert("generatedFields".into(), json!([]));
        if !columns.is_empty() || is_query {
            if self.as_json {
                let objects: Vec<Value> = records
                    .iter()
                    .map(|fields| {
                        let object: Map<String, Value> = columns
                            .iter()
                            .zip(fields)
                            .map(|((name, _), field)| (name.clone(), plain(field)))
                            .collect();
                        Value::Object(object)
                    })
                    .collect();
                response.insert("formattedRecords".into(), json!(Value::Array(objects).to_string()));
            } else {
                response.insert("records".into(), json!(records));
            }
            if self.metadata {
                response.insert(
                    "columnMetadata".into(),
                    Value::Array(columns.iter().map(|(name, ty)| column_metadata(name, ty)).collect()),
                );
            }
        }
        let response = Value::Object(response);
        let size = response.to_string().len();
        if size > MAX_RESPONSE_BYTES {
            return Err(CallError::bad_request(format!(
                "Database returned more than the allowed response size limit ({size} bytes, at most {MAX_RESPONSE_BYTES})"
            )));
        }
        Ok(response)
    }
}

/// A typed field as a plain JSON value (`formatRecordsAs: JSON`).
fn plain(field: &Value) -> Value {
    field
        .as_object()
        .and_then(|o| o.iter().next())
        .map_or(
            Value::Null,
            |(kind, value)| if kind == "isNull" { Value::Null } else { value.clone() },
        )
}

fn first_keyword(sql: &str) -> &str {
    sql.trim_start_matches(|c: char| c.is_whitespace() || c == '(')
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default()
}

/// The column metadata the Data API returns (JDBC type codes, PostgreSQL type names).
fn column_metadata(name: &str, ty: &Type) -> Value {
    let jdbc = match *ty {
        Type::BOOL => -7,
        Type::INT2 => 5,
        Type::INT4 => 4,
        Type::INT8 => -5,
        Type::FLOAT4 => 7,
        Type::FLOAT8 => 8,
        Type::NUMERIC => 2,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => 12,
        Type::DATE => 91,
        Type::TIMESTAMP | Type::TIMESTAMPTZ => 93,
        Type::BYTEA => -2,
        _ => 1111,
    };
    let numeric = matches!(jdbc, 5 | 4 | -5 | 7 | 8 | 2);
    json!({
        "name": name,
        "label": name,
        "type": jdbc,
        "typeName": ty.name(),
        "nullable": 2,
        "isSigned": numeric,
        "isAutoIncrement": false,
        "isCaseSensitive": jdbc == 12,
        "isCurrency": false,
        "precision": 0,
        "scale": 0,
        "schemaName": "",
        "tableName": "",
        "arrayBaseColumnType": 0
    })
}

fn operation_of(path: &str) -> Option<&'static str> {
    Some(match path {
        "/Execute" => "ExecuteStatement",
        "/BatchExecute" => "BatchExecuteStatement",
        "/BeginTransaction" => "BeginTransaction",
        "/CommitTransaction" => "CommitTransaction",
        "/RollbackTransaction" => "RollbackTransaction",
        _ => return None,
    })
}

type HttpResponse = Response<Full<Bytes>>;

fn json_response(status: StatusCode, body: &Value, error_code: Option<&'static str>) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("content-type", http::HeaderValue::from_static("application/json"));
    headers.insert(
        "x-amzn-requestid",
        http::HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).unwrap_or(http::HeaderValue::from_static("-")),
    );
    if let Some(code) = error_code {
        headers.insert("x-amzn-errortype", http::HeaderValue::from_static(code));
    }
    response
}

fn error_response(error: &CallError) -> HttpResponse {
    let mut body = json!({ "message": error.message });
    if error.code == ErrorCode::StatementTimeout {
        body["dbConnectionId"] = json!(0);
    }
    json_response(error.code.status(), &body, Some(error.code.code()))
}

async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> HttpResponse {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let body = match Limited::new(request.into_body(), MAX_REQUEST_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => return error_response(&CallError::bad_request(format!("unreadable request body: {error}"))),
    };
    match (&method, path.as_str()) {
        (&Method::GET, "/_standin/calls") => {
            let calls = shared.calls.lock().unwrap_or_else(|e| e.into_inner()).clone();
            json_response(StatusCode::OK, &json!(calls), None)
        }
        (&Method::POST, "/_standin/faults") => {
            let fault: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let code = fault.get("error").and_then(Value::as_str).and_then(ErrorCode::parse);
            let count = fault.get("count").and_then(Value::as_u64).unwrap_or(1);
            match code {
                Some(code) => {
                    shared.fail_next(code, usize::try_from(count).unwrap_or(usize::MAX));
                    json_response(StatusCode::OK, &json!({ "error": code.code(), "count": count }), None)
                }
                None => json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({ "message": "give {\"error\": \"<Data API error code>\", \"count\": N}" }),
                    None,
                ),
            }
        }
        (&Method::POST, _) if operation_of(&path).is_some() => {
            let operation = operation_of(&path).unwrap_or_default();
            shared.count(operation);
            if !shared.options.latency.is_zero() {
                tokio::time::sleep(shared.options.latency).await;
            }
            match shared.call(operation, &body).await {
                Ok(answer) => json_response(StatusCode::OK, &answer, None),
                Err(error) => error_response(&error),
            }
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({ "message": format!("no operation at {method} {path}") }),
            Some("UnknownOperationException"),
        ),
    }
}

async fn serve(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(handle(shared, request).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_statement_after_a_semicolon_is_found_outside_quotes_and_comments() {
        assert!(!has_several_statements("SELECT 1"));
        assert!(!has_several_statements("SELECT 1;  \n"));
        assert!(!has_several_statements("SELECT 'a; b' -- c; d\n"));
        assert!(has_several_statements("SELECT 1; SELECT 2"));
        assert!(has_several_statements("UPDATE t SET a = ';'; DELETE FROM t"));
        // Migration 0009's trigger function: one statement whose body holds semicolons.
        let function = "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO t VALUES (1);\n  RETURN NULL;\nEND;\n$$";
        assert!(!has_several_statements(function));
        assert!(!has_several_statements("DO $body$ BEGIN PERFORM 1; END $body$;"));
        assert!(has_several_statements("DO $x$ BEGIN PERFORM 1; END $x$; SELECT 2"));
        assert!(!has_several_statements("SELECT 1 /* ; SELECT 2 */"));
        assert!(has_several_statements("SELECT $1; SELECT 2"), "$1 is no dollar quote");
        assert!(!has_several_statements("SELECT 1; -- done\n"));
    }

    #[test]
    fn error_codes_read_back_and_carry_the_documented_statuses() {
        for code in ALL_ERRORS {
            assert_eq!(ErrorCode::parse(code.code()), Some(code));
        }
        assert_eq!(ErrorCode::TransactionNotFound.status(), StatusCode::NOT_FOUND);
        assert_eq!(ErrorCode::DatabaseResuming.status(), StatusCode::BAD_REQUEST);
        assert_eq!(ErrorCode::ServiceUnavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
