//! The scheduled jobs of issue 12: the daily retention purge ([`purge`]) and the daily export to
//! S3 ([`export`]). Each runs from an EventBridge schedule through
//! [`crate::runtime::run_scheduled_function`], returns a report of counts and emits them as one
//! CloudWatch Embedded Metric Format line.

pub mod export;
pub mod purge;

use std::io::Write;

use serde_json::{Map, Value, json};

/// One EMF document holding several counts of one run (the namespace and dimension sets of
/// [`crate::metrics`]).
pub fn emf_counts(function: &str, counts: &[(&str, u64)], timestamp_ms: i64) -> String {
    let metrics: Vec<Value> = counts
        .iter()
        .map(|(name, _)| json!({ "Name": name, "Unit": "Count" }))
        .collect();
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": crate::metrics::namespace(),
                "Dimensions": [["service"], ["service", "function"]],
                "Metrics": metrics,
            }],
        }),
    );
    root.insert("service".into(), json!(crate::metrics::SERVICE));
    root.insert("function".into(), json!(function));
    for (name, count) in counts {
        root.insert((*name).into(), json!(count));
    }
    Value::Object(root).to_string()
}

/// Writes the counts of a run to stdout, where CloudWatch Logs turns them into metrics.
pub fn report_metrics(counts: &[(&str, u64)]) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    let line = emf_counts(
        crate::metrics::function(),
        counts,
        i64::try_from(now).unwrap_or(i64::MAX),
    );
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_emf_line_declares_every_count_of_a_run() {
        let line: Value = serde_json::from_str(&emf_counts(
            "retention-purge",
            &[("PurgedOpportunities", 3), ("PurgedObjects", 5)],
            7,
        ))
        .unwrap();
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], crate::metrics::namespace());
        assert_eq!(directive["Dimensions"], json!([["service"], ["service", "function"]]));
        assert_eq!(line["service"], "oms");
        assert_eq!(
            directive["Metrics"],
            json!([{ "Name": "PurgedOpportunities", "Unit": "Count" }, { "Name": "PurgedObjects", "Unit": "Count" }])
        );
        assert_eq!(
            (line["PurgedOpportunities"].as_u64(), line["PurgedObjects"].as_u64()),
            (Some(3), Some(5))
        );
        assert_eq!(line["function"], "retention-purge");
    }
}
