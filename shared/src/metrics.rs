//! Metrics as CloudWatch Embedded Metric Format (EMF) log lines: one JSON object on stdout that
//! CloudWatch Logs turns into a metric, so a function needs no metrics client, permission or
//! network call. Namespace `OMS_METRICS_NAMESPACE` (the template sets `OMS/<stack>`; `OMS`
//! unset), dimension sets `[service]` (one series for the whole fleet, which an alarm can watch)
//! and `[service, function]` (the function's name, set at cold start).
//!
//! Reported: [`outbox_publish_failures`] and [`error_log_line`] (every ERROR log line, which the
//! fleet-wide `ErrorLogLines` alarm watches).

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::json;

/// The metric namespace when `OMS_METRICS_NAMESPACE` is unset.
pub const DEFAULT_NAMESPACE: &str = "OMS";
/// The `service` dimension's value.
pub const SERVICE: &str = "oms";
/// ERROR log lines (internal failures; a client's mistake is never logged at ERROR).
pub const ERROR_LOG_LINES: &str = "ErrorLogLines";
/// Events committed to the outbox that could not be published (after a commit, or by the relay).
pub const OUTBOX_PUBLISH_FAILURES: &str = "OutboxPublishFailures";

static FUNCTION: OnceLock<String> = OnceLock::new();
static NAMESPACE: OnceLock<String> = OnceLock::new();
static PUBLISH_FAILURES: AtomicU64 = AtomicU64::new(0);

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

/// One EMF document: `count` of `metric` (unit Count) for `function` in `namespace`, at
/// `timestamp_ms`.
pub fn emf_line(namespace: &str, function: &str, metric: &str, count: u64, timestamp_ms: i64) -> String {
    json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [["service"], ["service", "function"]],
                "Metrics": [{ "Name": metric, "Unit": "Count" }],
            }],
        },
        "service": SERVICE,
        "function": function,
        metric: count,
    })
    .to_string()
}

fn emit(metric: &str, count: u64) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let line = emf_line(
        namespace(),
        function(),
        metric,
        count,
        i64::try_from(now).unwrap_or(i64::MAX),
    );
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
}

/// Reports one ERROR log line (called by the logging layer of [`crate::telemetry`]).
pub fn error_log_line() {
    emit(ERROR_LOG_LINES, 1);
}

/// Reports `count` events that could not be published. Also counted in process, for tests.
pub fn outbox_publish_failures(count: u64) {
    if count == 0 {
        return;
    }
    PUBLISH_FAILURES.fetch_add(count, Ordering::Relaxed);
    emit(OUTBOX_PUBLISH_FAILURES, count);
}

/// How many publish failures this process reported so far.
pub fn outbox_publish_failures_reported() -> u64 {
    PUBLISH_FAILURES.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emf_line_declares_its_metric_namespace_and_dimension_and_carries_the_value() {
        let line: serde_json::Value = serde_json::from_str(&emf_line(
            "OMS/stack",
            "outbox-relay",
            OUTBOX_PUBLISH_FAILURES,
            3,
            1_700_000_000_000,
        ))
        .unwrap();
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000_i64);
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "OMS/stack");
        assert_eq!(directive["Dimensions"], json!([["service"], ["service", "function"]]));
        assert_eq!(
            directive["Metrics"],
            json!([{ "Name": "OutboxPublishFailures", "Unit": "Count" }])
        );
        // Every dimension and metric named in the directive is a member of the root object.
        assert_eq!(line["function"], "outbox-relay");
        assert_eq!(line["service"], "oms");
        assert_eq!(line["OutboxPublishFailures"], 3);
    }

    #[test]
    fn reported_failures_are_counted_in_process() {
        let before = outbox_publish_failures_reported();
        outbox_publish_failures(0);
        outbox_publish_failures(2);
        assert!(outbox_publish_failures_reported() >= before + 2);
    }
}
