//! Metrics as CloudWatch Embedded Metric Format (EMF) log lines: JSON objects on stdout that
//! CloudWatch Logs turns into metrics, so a function needs no metrics client, permission or
//! network call.
//!
//! **One line per invocation.** [`in_invocation`] (called by [`crate::runtime`] around every
//! request, batch and event) opens a recorder; everything the invocation [`record`]s is added up
//! in it, and one EMF document is written when the invocation ends, carrying its duration, cold
//! start and outcome and every other metric it recorded. Recorded outside an invocation (a task
//! spawned off it, a test), a metric is written at once as a document of its own.
//!
//! **Bounded dimensions** (never a user, opportunity or request id): `service` (always `oms`),
//! `function` (set at cold start), `operation` (`GET /v1/opportunities/{id}`, `batch`, `event`),
//! `outcome` (`success`, `client_error`, `server_error`, `partial_failure`, `failure`) and, for the
//! submitted ARR only, `currency` (ISO 4217). The document's directives:
//!
//! | directive | dimension sets | metrics |
//! | --- | --- | --- |
//! | invocation | `[service]`, `[service, function]`, `[service, operation, outcome]` | [`INVOCATIONS`], [`DURATION`], [`COLD_STARTS`] |
//! | components | `[service]`, `[service, function]` | Data API, cache, idempotency, outbox, dead letters, ERROR lines |
//! | business | `[service]` | opportunities created, submitted, cancelled, completed |
//! | revenue | `[service, currency]` | [`ARR_SUBMITTED`] (one document per currency) |
//!
//! Written to stdout in Lambda (`AWS_LAMBDA_FUNCTION_NAME` set) or with `OMS_METRICS_STDOUT=1`.
//! Namespace `OMS_METRICS_NAMESPACE` (the template sets `OMS/<stack>`; `OMS` when unset). The
//! X-Ray trace id of the invocation is a member of the document too (`trace_id`, no dimension),
//! so a metric line can be found beside the invocation's logs.

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use serde_json::{Map, Value, json};

/// The metric namespace when `OMS_METRICS_NAMESPACE` is unset.
pub const DEFAULT_NAMESPACE: &str = "OMS";
/// The `service` dimension's value.
pub const SERVICE: &str = "oms";

/// A CloudWatch unit of the metrics this service reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A number of things.
    Count,
    /// A duration.
    Milliseconds,
    /// A plain figure (money in its currency's major unit).
    None,
}

impl Unit {
    /// The unit's name in EMF (one of CloudWatch's `StandardUnit` values).
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
            Unit::None => "None",
        }
    }
}

/// How the values one invocation records for a metric become its one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// Added up (counts, total time).
    Sum,
    /// The largest (lags).
    Max,
}

/// Which directive (dimension sets) a metric is reported under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// Per invocation: `[service]`, `[service, function]`, `[service, operation, outcome]`.
    Invocation,
    /// What the invocation did: `[service]`, `[service, function]`.
    Component,
    /// Business figures: `[service]`.
    Business,
    /// Submitted revenue: `[service, currency]`.
    Revenue,
}

impl Family {
    /// The directive's dimension sets.
    pub fn dimensions(self) -> Value {
        match self {
            Family::Invocation => json!([
                ["service"],
                ["service", "function"],
                ["service", "operation", "outcome"]
            ]),
            Family::Component => json!([["service"], ["service", "function"]]),
            Family::Business => json!([["service"]]),
            Family::Revenue => json!([["service", "currency"]]),
        }
    }
}

/// A metric: its name, unit, aggregation and directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// The CloudWatch metric name (and the document member holding its value).
    pub name: &'static str,
    /// Its unit.
    pub unit: Unit,
    /// How an invocation's values combine.
    pub aggregate: Aggregate,
    /// Its dimension sets.
    pub family: Family,
}

const fn metric(name: &'static str, unit: Unit, aggregate: Aggregate, family: Family) -> Metric {
    Metric {
        name,
        unit,
        aggregate,
        family,
    }
}

/// Invocations (requests, batches, events), by operation and outcome.
pub const INVOCATIONS: Metric = metric("Invocations", Unit::Count, Aggregate::Sum, Family::Invocation);
/// The handler's duration, from the event to the response, as the function measures it.
pub const DURATION: Metric = metric("Duration", Unit::Milliseconds, Aggregate::Sum, Family::Invocation);
/// Invocations that were a sandbox's first (1) or not (0): the average is the cold-start rate.
pub const COLD_STARTS: Metric = metric("ColdStart", Unit::Count, Aggregate::Sum, Family::Invocation);
/// Data API calls (statements, begin, commit, rollback).
pub const DATA_API_CALLS: Metric = metric("DataApiCalls", Unit::Count, Aggregate::Sum, Family::Component);
/// Time spent waiting for the Data API, all calls of the invocation together.
pub const DATA_API_TIME: Metric = metric("DataApiTime", Unit::Milliseconds, Aggregate::Sum, Family::Component);
/// Data API calls that failed.
pub const DATA_API_ERRORS: Metric = metric("DataApiErrors", Unit::Count, Aggregate::Sum, Family::Component);
/// Cache-aside reads answered from the cache.
pub const CACHE_HITS: Metric = metric("CacheHits", Unit::Count, Aggregate::Sum, Family::Component);
/// Cache-aside reads that went to the database (absent, stale, unreadable or the cache failed).
pub const CACHE_MISSES: Metric = metric("CacheMisses", Unit::Count, Aggregate::Sum, Family::Component);
/// Creations answered with the response of an earlier request with the same `Idempotency-Key`.
pub const IDEMPOTENT_REPLAYS: Metric = metric("IdempotentReplays", Unit::Count, Aggregate::Sum, Family::Component);
/// Change events published (after a commit, or by the relay).
pub const OUTBOX_PUBLISHED: Metric = metric("OutboxPublished", Unit::Count, Aggregate::Sum, Family::Component);
/// The oldest published event's age: from its commit to its publication.
pub const OUTBOX_LAG: Metric = metric("OutboxLag", Unit::Milliseconds, Aggregate::Max, Family::Component);
/// Events committed to the outbox that could not be published (after a commit, or by the relay).
pub const OUTBOX_PUBLISH_FAILURES: Metric =
    metric("OutboxPublishFailures", Unit::Count, Aggregate::Sum, Family::Component);
/// Messages parked in a dead-letter queue by the function (malformed, illegal, stale).
pub const DEAD_LETTER_PARKS: Metric = metric("DeadLetterParks", Unit::Count, Aggregate::Sum, Family::Component);
/// ERROR log lines (internal failures; a client's mistake is never logged at ERROR).
pub const ERROR_LOG_LINES: Metric = metric("ErrorLogLines", Unit::Count, Aggregate::Sum, Family::Component);
/// Opportunities created (drafts).
pub const OPPORTUNITIES_CREATED: Metric = metric("OpportunitiesCreated", Unit::Count, Aggregate::Sum, Family::Business);
/// Opportunities submitted for matching.
pub const OPPORTUNITIES_SUBMITTED: Metric =
    metric("OpportunitiesSubmitted", Unit::Count, Aggregate::Sum, Family::Business);
/// Opportunities cancelled.
pub const OPPORTUNITIES_CANCELLED: Metric =
    metric("OpportunitiesCancelled", Unit::Count, Aggregate::Sum, Family::Business);
/// Opportunities completed (reported by the selection service).
pub const OPPORTUNITIES_COMPLETED: Metric =
    metric("OpportunitiesCompleted", Unit::Count, Aggregate::Sum, Family::Business);
/// Annual recurring revenue of submitted opportunities, in the currency's major unit, per currency.
pub const ARR_SUBMITTED: Metric = metric("ArrSubmitted", Unit::None, Aggregate::Sum, Family::Revenue);

/// Every metric the service reports (the dashboards and the spec test use this list).
pub const ALL: &[Metric] = &[
    INVOCATIONS,
    DURATION,
    COLD_STARTS,
    DATA_API_CALLS,
    DATA_API_TIME,
    DATA_API_ERRORS,
    CACHE_HITS,
    CACHE_MISSES,
    IDEMPOTENT_REPLAYS,
    OUTBOX_PUBLISHED,
    OUTBOX_LAG,
    OUTBOX_PUBLISH_FAILURES,
    DEAD_LETTER_PARKS,
    ERROR_LOG_LINES,
    OPPORTUNITIES_CREATED,
    OPPORTUNITIES_SUBMITTED,
    OPPORTUNITIES_CANCELLED,
    OPPORTUNITIES_COMPLETED,
    ARR_SUBMITTED,
];

/// How an invocation ended, as the `outcome` dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered below 400, or every record and the event handled.
    Success,
    /// Answered 4XX (the caller's mistake or a refusal).
    ClientError,
    /// Answered 5XX.
    ServerError,
    /// Some records of a batch failed (they return to the queue).
    PartialFailure,
    /// The invocation failed (every record of a batch, or an event's run).
    Failure,
}

impl Outcome {
    /// The dimension value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::ClientError => "client_error",
            Outcome::ServerError => "server_error",
            Outcome::PartialFailure => "partial_failure",
            Outcome::Failure => "failure",
        }
    }

    /// The outcome of an HTTP status.
    pub fn of_status(status: u16) -> Outcome {
        match status {
            500.. => Outcome::ServerError,
            400..500 => Outcome::ClientError,
            _ => Outcome::Success,
        }
    }

    /// The outcome of a batch of `records` of which `failed` failed.
    pub fn of_batch(records: usize, failed: usize) -> Outcome {
        match failed {
            0 => Outcome::Success,
            f if f >= records => Outcome::Failure,
            _ => Outcome::PartialFailure,
        }
    }
}

static FUNCTION: OnceLock<String> = OnceLock::new();
static NAMESPACE: OnceLock<String> = OnceLock::new();
static PUBLISH_FAILURES: AtomicU64 = AtomicU64::new(0);
static CAPTURE: Mutex<Option<Vec<String>>> = Mutex::new(None);

/// Names the function every metric of this process is reported for (first call wins).
pub fn set_function(name: &str) {
    let _ = FUNCTION.set(name.to_owned());
}

/// The function every metric of this process is reported for.
pub fn function() -> &'static str {
    FUNCTION.get().map_or("oms", String::as_str)
}

/// The metric namespace of this process (`OMS_METRICS_NAMESPACE`, else [`DEFAULT_NAMESPACE`]).
pub fn namespace() -> &'static str {
    NAMESPACE.get_or_init(|| {
        std::env::var("OMS_METRICS_NAMESPACE")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned())
    })
}

/// What one invocation recorded so far.
#[derive(Debug, Default, Clone)]
pub struct Recorded {
    values: BTreeMap<&'static str, (Metric, f64)>,
    revenue: BTreeMap<String, f64>,
}

impl Recorded {
    /// Adds a value of `metric` (summed or kept at the maximum, as the metric says).
    pub fn add(&mut self, metric: Metric, value: f64) {
        if !value.is_finite() {
            return;
        }
        if metric.family == Family::Revenue {
            return; // revenue needs its currency: see [`Recorded::add_revenue`]
        }
        let entry = self.values.entry(metric.name).or_insert((metric, 0.0));
        entry.1 = match metric.aggregate {
            Aggregate::Sum => entry.1 + value,
            Aggregate::Max => entry.1.max(value),
        };
    }

    /// Adds submitted revenue in `currency` (an ISO 4217 code; anything else is not recorded).
    pub fn add_revenue(&mut self, currency: &str, amount: f64) {
        if amount.is_finite() && currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()) {
            *self.revenue.entry(currency.to_owned()).or_insert(0.0) += amount;
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.revenue.is_empty()
    }

    /// The EMF documents of these values: one carrying every metric but revenue (with the
    /// first currency's revenue, if any), then one per further currency.
    pub fn documents(&self, context: &DocumentContext<'_>) -> Vec<Value> {
        let mut documents = Vec::new();
        let mut revenue = self.revenue.iter();
        let first_revenue = revenue.next();
        if !self.values.is_empty() || first_revenue.is_some() {
            let mut families: BTreeMap<Family, Vec<Metric>> = BTreeMap::new();
            for (metric, _) in self.values.values() {
                families.entry(metric.family).or_default().push(*metric);
            }
            if first_revenue.is_some() {
                families.entry(Family::Revenue).or_default().push(ARR_SUBMITTED);
            }
            let mut root = context.root(families.contains_key(&Family::Invocation));
            for (metric, value) in self.values.values() {
                root.insert(metric.name.to_owned(), number(*value));
            }
            if let Some((currency, amount)) = first_revenue {
                root.insert("currency".into(), json!(currency));
                root.insert(ARR_SUBMITTED.name.into(), number(*amount));
            }
            documents.push(context.document(root, &families));
        }
        for (currency, amount) in revenue {
            let mut root = context.root(false);
            root.insert("currency".into(), json!(currency));
            root.insert(ARR_SUBMITTED.name.into(), number(*amount));
            let families = BTreeMap::from([(Family::Revenue, vec![ARR_SUBMITTED])]);
            documents.push(context.document(root, &families));
        }
        documents
    }
}

/// A whole number as an integer, anything else as a float.
fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// What every document of an invocation names besides its metrics.
#[derive(Debug, Clone)]
pub struct DocumentContext<'a> {
    /// The metric namespace.
    pub namespace: &'a str,
    /// The function.
    pub function: &'a str,
    /// The operation (`GET /v1/opportunities/{id}`, `batch`, `event`); `None` outside an invocation.
    pub operation: Option<&'a str>,
    /// How the invocation ended; `None` outside an invocation.
    pub outcome: Option<Outcome>,
    /// The invocation's X-Ray trace id, if any.
    pub trace_id: Option<&'a str>,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
}

impl DocumentContext<'_> {
    fn root(&self, with_invocation: bool) -> Map<String, Value> {
        let mut root = Map::new();
        root.insert("service".into(), json!(SERVICE));
        root.insert("function".into(), json!(self.function));
        if with_invocation {
            root.insert("operation".into(), json!(self.operation.unwrap_or("-")));
            root.insert(
                "outcome".into(),
                json!(self.outcome.unwrap_or(Outcome::Success).as_str()),
            );
        }
        if let Some(trace_id) = self.trace_id {
            root.insert("trace_id".into(), json!(trace_id));
        }
        root
    }

    fn document(&self, mut root: Map<String, Value>, families: &BTreeMap<Family, Vec<Metric>>) -> Value {
        let directives: Vec<Value> = families
            .iter()
            .map(|(family, metrics)| {
                json!({
                    "Namespace": self.namespace,
                    "Dimensions": family.dimensions(),
                    "Metrics": metrics
                        .iter()
                        .map(|m| json!({ "Name": m.name, "Unit": m.unit.as_str() }))
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        root.insert(
            "_aws".into(),
            json!({ "Timestamp": self.timestamp_ms, "CloudWatchMetrics": directives }),
        );
        Value::Object(root)
    }
}

/// The invocation in progress on this task: its trace header and what it recorded.
#[derive(Debug)]
struct Invocation {
    trace_header: Option<String>,
    recorded: Mutex<Recorded>,
}

tokio::task_local! {
    static INVOCATION: Arc<Invocation>;
}

/// The X-Ray trace header of the invocation in progress (`Root=1-...;Parent=...;Sampled=1`), for
/// messages it sends (SQS `AWSTraceHeader`, EventBridge `TraceHeader`).
pub fn current_trace_header() -> Option<String> {
    INVOCATION.try_with(|i| i.trace_header.clone()).ok().flatten()
}

/// The `Root=` part of a trace header: the trace id.
pub fn trace_id_of(header: &str) -> Option<&str> {
    header
        .split(';')
        .find_map(|part| part.trim().strip_prefix("Root="))
        .filter(|root| !root.is_empty())
}

/// A fresh X-Ray trace header in X-Ray's format (`Root=1-<epoch seconds, hex>-<96 random bits,
/// hex>;Sampled=1`): the local server gives each request one, as Lambda does with active tracing.
pub fn new_trace_header() -> String {
    let seconds = time::OffsetDateTime::now_utc().unix_timestamp().max(0);
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("Root=1-{seconds:08x}-{};Sampled=1", &random[..24])
}

/// What an invocation is, for its metrics.
#[derive(Debug, Clone)]
pub struct InvocationInfo {
    /// The operation dimension.
    pub operation: String,
    /// Whether it is the sandbox's first invocation.
    pub cold_start: bool,
    /// Its X-Ray trace header, if any.
    pub trace_header: Option<String>,
}

/// Runs one invocation with a recorder open, then writes its one EMF line: its duration, cold
/// start and outcome (which `work` returns beside its result), and everything recorded meanwhile.
pub async fn in_invocation<F, T>(info: InvocationInfo, work: F) -> T
where
    F: Future<Output = (T, Outcome)>,
{
    let started = Instant::now();
    let invocation = Arc::new(Invocation {
        trace_header: info.trace_header.clone(),
        recorded: Mutex::new(Recorded::default()),
    });
    let (result, outcome) = INVOCATION.scope(invocation.clone(), work).await;
    let mut recorded = invocation.recorded.lock().map(|r| r.clone()).unwrap_or_default();
    recorded.add(INVOCATIONS, 1.0);
    recorded.add(COLD_STARTS, if info.cold_start { 1.0 } else { 0.0 });
    recorded.add(DURATION, started.elapsed().as_secs_f64() * 1000.0);
    let trace_id = info.trace_header.as_deref().and_then(trace_id_of);
    let context = DocumentContext {
        namespace: namespace(),
        function: function(),
        operation: Some(&info.operation),
        outcome: Some(outcome),
        trace_id,
        timestamp_ms: now_ms(),
    };
    write_documents(&recorded.documents(&context));
    result
}

/// Records a value of `metric`: into the invocation in progress, or (outside one) as a
/// document of its own.
pub fn record(metric: Metric, value: f64) {
    let recorded = INVOCATION.try_with(|invocation| {
        if let Ok(mut recorded) = invocation.recorded.lock() {
            recorded.add(metric, value);
        }
    });
    if recorded.is_err() {
        let mut alone = Recorded::default();
        alone.add(metric, value);
        write_alone(&alone);
    }
}

/// Records submitted revenue in `currency`.
pub fn record_revenue(currency: &str, amount: f64) {
    let recorded = INVOCATION.try_with(|invocation| {
        if let Ok(mut recorded) = invocation.recorded.lock() {
            recorded.add_revenue(currency, amount);
        }
    });
    if recorded.is_err() {
        let mut alone = Recorded::default();
        alone.add_revenue(currency, amount);
        write_alone(&alone);
    }
}

fn write_alone(recorded: &Recorded) {
    let trace = current_trace_header();
    let context = DocumentContext {
        namespace: namespace(),
        function: function(),
        operation: None,
        outcome: None,
        trace_id: trace.as_deref().and_then(trace_id_of),
        timestamp_ms: now_ms(),
    };
    write_documents(&recorded.documents(&context));
}

fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    i64::try_from(now).unwrap_or(i64::MAX)
}

fn write_documents(documents: &[Value]) {
    if documents.is_empty() {
        return;
    }
    let lines: Vec<String> = documents.iter().map(Value::to_string).collect();
    if let Ok(mut capture) = CAPTURE.lock()
        && let Some(captured) = capture.as_mut()
    {
        captured.extend(lines.iter().cloned());
    }
    if !to_stdout() {
        return;
    }
    let mut out = std::io::stdout().lock();
    for line in &lines {
        let _ = writeln!(out, "{line}");
    }
}

/// Whether EMF lines go to stdout: in Lambda (where CloudWatch Logs reads them), or wherever
/// `OMS_METRICS_STDOUT=1` asks for them (the local server, a test run); elsewhere they would only
/// be noise between the JSON log lines.
fn to_stdout() -> bool {
    static TO_STDOUT: OnceLock<bool> = OnceLock::new();
    *TO_STDOUT.get_or_init(|| {
        std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
            || std::env::var("OMS_METRICS_STDOUT").is_ok_and(|v| v == "1")
    })
}

/// Starts keeping a copy of every EMF line this process writes (for tests that check what the
/// code emits); [`take_captured`] returns and clears them.
pub fn start_capture() {
    if let Ok(mut capture) = CAPTURE.lock()
        && capture.is_none()
    {
        *capture = Some(Vec::new());
    }
}

/// The EMF lines written since [`start_capture`] (or the last call).
pub fn take_captured() -> Vec<String> {
    CAPTURE
        .lock()
        .ok()
        .and_then(|mut c| c.as_mut().map(std::mem::take))
        .unwrap_or_default()
}

/// Reports one ERROR log line (called by the logging layer of [`crate::telemetry`]).
pub fn error_log_line() {
    record(ERROR_LOG_LINES, 1.0);
}

/// Reports `count` events that could not be published. Also counted in process, for tests.
pub fn outbox_publish_failures(count: u64) {
    if count == 0 {
        return;
    }
    PUBLISH_FAILURES.fetch_add(count, Ordering::Relaxed);
    record(OUTBOX_PUBLISH_FAILURES, count as f64);
}

/// How many publish failures this process reported so far.
pub fn outbox_publish_failures_reported() -> u64 {
    PUBLISH_FAILURES.load(Ordering::Relaxed)
}

/// Times one Data API call: its count, time and failure.
pub async fn data_api_call<F, T, E>(call: F) -> Result<T, E>
where
    F: Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    let result = call.await;
    record(DATA_API_CALLS, 1.0);
    record(DATA_API_TIME, started.elapsed().as_secs_f64() * 1000.0);
    if result.is_err() {
        record(DATA_API_ERRORS, 1.0);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> DocumentContext<'static> {
        DocumentContext {
            namespace: "OMS/stack",
            function: "submit-opportunity",
            operation: Some("POST /v1/opportunities/{id}/submit"),
            outcome: Some(Outcome::Success),
            trace_id: Some("1-5759e988-bd862e3fe1be46a994272793"),
            timestamp_ms: 1_700_000_000_000,
        }
    }

    #[test]
    fn an_invocation_is_one_document_with_one_directive_per_dimension_family() {
        let mut recorded = Recorded::default();
        recorded.add(INVOCATIONS, 1.0);
        recorded.add(DURATION, 12.5);
        recorded.add(DATA_API_CALLS, 1.0);
        recorded.add(DATA_API_CALLS, 1.0);
        recorded.add(OUTBOX_LAG, 40.0);
        recorded.add(OUTBOX_LAG, 10.0);
        recorded.add(OPPORTUNITIES_SUBMITTED, 1.0);
        recorded.add_revenue("EUR", 125_000.5);
        let documents = recorded.documents(&context());
        assert_eq!(documents.len(), 1);
        let d = &documents[0];
        assert_eq!(d["_aws"]["Timestamp"], 1_700_000_000_000_i64);
        let directives = d["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 4, "{d}");
        assert_eq!(d["DataApiCalls"], 2, "counts add up");
        assert_eq!(d["OutboxLag"], 40, "lags keep the largest");
        assert_eq!(d["Duration"], 12.5);
        assert_eq!(d["ArrSubmitted"], 125_000.5);
        assert_eq!(d["currency"], "EUR");
        assert_eq!(d["operation"], "POST /v1/opportunities/{id}/submit");
        assert_eq!(d["outcome"], "success");
        assert_eq!(d["trace_id"], "1-5759e988-bd862e3fe1be46a994272793");
    }

    #[test]
    fn a_second_currency_is_a_document_of_its_own_and_odd_currencies_are_not_dimensions() {
        let mut recorded = Recorded::default();
        recorded.add_revenue("EUR", 1.0);
        recorded.add_revenue("USD", 2.0);
        recorded.add_revenue("usd; drop", 3.0);
        let documents = recorded.documents(&context());
        assert_eq!(documents.len(), 2);
        assert_eq!(documents[1]["currency"], "USD");
        assert_eq!(documents[1]["_aws"]["CloudWatchMetrics"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn outcomes_follow_statuses_and_batches() {
        assert_eq!(Outcome::of_status(201), Outcome::Success);
        assert_eq!(Outcome::of_status(404), Outcome::ClientError);
        assert_eq!(Outcome::of_status(503), Outcome::ServerError);
        assert_eq!(Outcome::of_batch(10, 0), Outcome::Success);
        assert_eq!(Outcome::of_batch(10, 3), Outcome::PartialFailure);
        assert_eq!(Outcome::of_batch(10, 10), Outcome::Failure);
    }

    #[test]
    fn the_trace_id_is_the_root_of_the_trace_header() {
        assert_eq!(
            trace_id_of("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
            Some("1-5759e988-bd862e3fe1be46a994272793")
        );
        assert_eq!(trace_id_of("Parent=1"), None);
    }

    #[tokio::test]
    async fn what_an_invocation_records_is_written_once_at_its_end_with_its_trace() {
        start_capture();
        let header = "Root=1-00000000-000000000000000000000abc;Parent=1;Sampled=1".to_owned();
        let info = InvocationInfo {
            operation: "unit-test-operation".into(),
            cold_start: true,
            trace_header: Some(header.clone()),
        };
        let seen = in_invocation(info, async {
            record(CACHE_HITS, 1.0);
            record(CACHE_HITS, 1.0);
            (current_trace_header(), Outcome::ClientError)
        })
        .await;
        assert_eq!(seen.as_deref(), Some(header.as_str()));
        let ours: Vec<Value> = take_captured()
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|d| d["operation"] == "unit-test-operation")
            .collect();
        assert_eq!(ours.len(), 1, "{ours:?}");
        assert_eq!(ours[0]["CacheHits"], 2);
        assert_eq!(ours[0]["ColdStart"], 1);
        assert_eq!(ours[0]["Invocations"], 1);
        assert_eq!(ours[0]["outcome"], "client_error");
        assert_eq!(ours[0]["trace_id"], "1-00000000-000000000000000000000abc");
        assert_eq!(current_trace_header(), None, "no invocation outside the scope");
    }

    #[test]
    fn reported_failures_are_counted_in_process() {
        let before = outbox_publish_failures_reported();
        outbox_publish_failures(0);
        outbox_publish_failures(2);
        assert!(outbox_publish_failures_reported() >= before + 2);
    }
}
