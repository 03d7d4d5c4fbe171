//! Metrics as CloudWatch Embedded Metric Format (EMF) log lines: one JSON object on stdout that
//! CloudWatch Logs turns into a metric, so a function needs no metrics client, permission or
//! network call. Namespace `OMS`, dimension `function` (the function's name, set at cold start).
//!
//! Only what alarms need today lives here: [`outbox_publish_failures`].

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::json;

/// The metric namespace.
pub const NAMESPACE: &str = "OMS";
/// Events committed to the outbox that could not be published (after a commit, or by the relay).
pub const OUTBOX_PUBLISH_FAILURES: &str = "OutboxPublishFailures";

static FUNCTION: OnceLock<String> = OnceLock::new();
static PUBLISH_FAILURES: AtomicU64 = AtomicU64::new(0);

/// Names the function every metric of this process is reported for (first call wins).
pub fn set_function(name: &str) {
    let _ = FUNCTION.set(name.to_owned());
}

/// The function every metric of this process is reported for.
pub fn function() -> &'static str {
    FUNCTION.get().map_or("oms", String::as_str)
}

/// One EMF document: `count` of `metric` (unit Count) for `function`, at `timestamp_ms`.
pub fn emf_line(function: &str, metric: &str, count: u64, timestamp_ms: i64) -> String {
    json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["function"]],
                "Metrics": [{ "Name": metric, "Unit": "Count" }],
            }],
        },
        "function": function,
        metric: count,
    })
    .to_string()
}

/// Reports `count` events that could not be published. Also counted in process, for tests.
pub fn outbox_publish_failures(count: u64) {
    if count == 0 {
        return;
    }
    PUBLISH_FAILURES.fetch_add(count, Ordering::Relaxed);
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let line = emf_line(
        function(),
        OUTBOX_PUBLISH_FAILURES,
        count,
        i64::try_from(now).unwrap_or(i64::MAX),
    );
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
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
        let line: serde_json::Value =
            serde_json::from_str(&emf_line("outbox-relay", OUTBOX_PUBLISH_FAILURES, 3, 1_700_000_000_000)).unwrap();
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000_i64);
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "OMS");
        assert_eq!(directive["Dimensions"], json!([["function"]]));
        assert_eq!(
            directive["Metrics"],
            json!([{ "Name": "OutboxPublishFailures", "Unit": "Count" }])
        );
        // Every dimension and metric named in the directive is a member of the root object.
        assert_eq!(line["function"], "outbox-relay");
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
