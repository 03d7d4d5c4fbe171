//! Every EMF document the code writes follows the CloudWatch Embedded Metric Format specification:
//! the JSON Schema in `schemas/emf.schema.json` (the `_aws` object, a millisecond `Timestamp`,
//! directives with a namespace, at most 30 dimension keys per set and 100 metrics, CloudWatch's
//! units) through the `jsonschema` crate, and beside it what a schema cannot say: every
//! referenced dimension is a root member holding a string, every referenced metric a root member
//! holding a number or an array of at most 100 numbers.
//!
//! The documents checked are those of every metric the service reports (synthesised) and those
//! the handlers really wrote while sample requests, a status-event batch and an outbox relay run
//! went through them on SQLite, the way the Lambda runtime runs them (one line per invocation).

use std::sync::Arc;

use oms::app::App;
use oms::fleet::Trigger;
use oms::metrics::{self, DocumentContext, Outcome, Recorded};
use oms_tests::fixtures::{Fixture, prepare};
use serde_json::{Value, json};

fn validator() -> jsonschema::Validator {
    let path = oms_tests::workspace_root().join("schemas/emf.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("JSON");
    jsonschema::draft202012::new(&schema).expect("a valid draft 2020-12 schema")
}

/// The specification's rules for one document; every violation, or none.
fn violations(validator: &jsonschema::Validator, document: &Value) -> Vec<String> {
    let mut found: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    let root = document.as_object().cloned().unwrap_or_default();
    let directives = document["_aws"]["CloudWatchMetrics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for directive in &directives {
        for set in directive["Dimensions"].as_array().into_iter().flatten() {
            for key in set.as_array().into_iter().flatten().filter_map(Value::as_str) {
                match root.get(key) {
                    Some(Value::String(_)) => {}
                    Some(other) => found.push(format!("dimension {key} is not a string: {other}")),
                    None => found.push(format!("dimension {key} is not a root member")),
                }
            }
        }
        for definition in directive["Metrics"].as_array().into_iter().flatten() {
            let Some(name) = definition["Name"].as_str() else {
                continue;
            };
            match root.get(name) {
                Some(Value::Number(_)) => {}
                Some(Value::Array(values)) if values.len() <= 100 && values.iter().all(Value::is_number) => {}
                Some(other) => found.push(format!(
                    "metric {name} is neither a number nor up to 100 numbers: {other}"
                )),
                None => found.push(format!("metric {name} is not a root member")),
            }
        }
    }
    found
}

fn context() -> DocumentContext<'static> {
    DocumentContext {
        namespace: "OMS/oms-prod",
        function: "submit-opportunity",
        operation: Some("POST /v1/opportunities/{id}/submit"),
        outcome: Some(Outcome::Success),
        trace_id: Some("1-6745c2a0-5f3b9c1d2e4f6a8b0c1d2e3f"),
        timestamp_ms: 1_795_342_530_000,
    }
}

#[test]
fn every_metric_the_service_reports_makes_documents_that_follow_the_specification() {
    let validator = validator();
    let mut recorded = Recorded::default();
    for metric in metrics::ALL {
        recorded.add(*metric, 3.5);
    }
    recorded.add_revenue("EUR", 125_000.5);
    recorded.add_revenue("JPY", 5.0);
    let documents = recorded.documents(&context());
    assert_eq!(documents.len(), 2, "one document, and one more for the second currency");
    for document in &documents {
        assert_eq!(violations(&validator, document), Vec::<String>::new(), "{document}");
    }
    let names: Vec<&str> = documents[0]["_aws"]["CloudWatchMetrics"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["Metrics"].as_array().unwrap().iter())
        .filter_map(|m| m["Name"].as_str())
        .collect();
    for metric in metrics::ALL {
        assert!(names.contains(&metric.name), "{} is not reported", metric.name);
    }
}

#[test]
fn the_checks_refuse_what_the_specification_forbids() {
    let validator = validator();
    let good = json!({
        "_aws": { "Timestamp": 1_795_342_530_000_i64, "CloudWatchMetrics": [{
            "Namespace": "OMS", "Dimensions": [["service"]], "Metrics": [{ "Name": "Hits", "Unit": "Count" }] }] },
        "service": "oms", "Hits": 1
    });
    assert!(violations(&validator, &good).is_empty());
    let mut seconds = good.clone();
    seconds["_aws"]["Timestamp"] = json!(1_795_342_530);
    let mut unit = good.clone();
    unit["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("Requests");
    let mut missing_dimension = good.clone();
    missing_dimension.as_object_mut().unwrap().remove("service");
    let mut text_value = good.clone();
    text_value["Hits"] = json!("1");
    let mut numeric_dimension = good.clone();
    numeric_dimension["service"] = json!(7);
    let mut too_many_values = good.clone();
    too_many_values["Hits"] = json!(vec![1; 101]);
    let mut wide = good.clone();
    let keys: Vec<String> = (0..31).map(|i| format!("d{i}")).collect();
    for key in &keys {
        wide[key] = json!("x");
    }
    wide["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = json!([keys]);
    let mut many_metrics = good.clone();
    many_metrics["_aws"]["CloudWatchMetrics"][0]["Metrics"] = json!(vec![json!({ "Name": "Hits" }); 101]);
    let mut no_namespace = good.clone();
    no_namespace["_aws"]["CloudWatchMetrics"][0]
        .as_object_mut()
        .unwrap()
        .remove("Namespace");
    for (what, bad) in [
        ("a timestamp in seconds", seconds),
        ("an unknown unit", unit),
        ("a dimension that is no member", missing_dimension),
        ("a metric whose value is text", text_value),
        ("a dimension whose value is a number", numeric_dimension),
        ("101 values", too_many_values),
        ("31 dimension keys", wide),
        ("101 metrics", many_metrics),
        ("no namespace", no_namespace),
    ] {
        assert!(!violations(&validator, &bad).is_empty(), "{what} passed");
    }
}

fn lambda_event<T>(payload: T, trace_header: &str) -> lambda_http::LambdaEvent<T> {
    let mut context = lambda_http::Context::default();
    context.request_id = "3f1c2a4b-0000-4000-8000-000000000001".into();
    context.xray_trace_id = Some(trace_header.to_owned());
    lambda_http::LambdaEvent::new(payload, context)
}

/// A sample API Gateway event traced as `trace_header` (the samples share one trace id, and other
/// tests of this process run them too: the EMF lines of this test are those of its own trace).
fn traced_sample(name: &str, trace_header: &str) -> Value {
    let mut event = sample(name);
    event["headers"]["X-Amzn-Trace-Id"] = json!(trace_header);
    if event["multiValueHeaders"].is_object() {
        event["multiValueHeaders"]["X-Amzn-Trace-Id"] = json!([trace_header]);
    }
    event
}

fn sample(name: &str) -> Value {
    let path = oms_tests::workspace_root().join("events").join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("JSON")
}

async fn run_route(app: &App, function: &str, event: Value) -> u16 {
    let route = oms::routes::by_function(function).expect("route");
    let response = oms::runtime::invoke_api_gateway_event(route, app, event)
        .await
        .expect("response");
    response["statusCode"].as_u64().unwrap_or_default() as u16
}

#[tokio::test]
async fn the_documents_the_functions_write_follow_the_specification_one_per_invocation() {
    metrics::start_capture();
    let trace_header = metrics::new_trace_header();
    let trace_id = metrics::trace_id_of(&trace_header).expect("trace id").to_owned();
    let validator = validator();
    let (executor, _dir) = oms_tests::sqlite_executor().await;
    let mut app = App::over_sql(Arc::clone(&executor));
    app.cache = Arc::new(oms::adapters::memory_cache::MemoryCache::new());
    prepare(&app, Fixture::CompleteDraft).await;
    let _ = metrics::take_captured();

    let mut invocations = 0;
    for (function, expected) in [
        ("get-opportunity", 200),
        ("get-opportunity", 200),
        ("list-skills", 200),
        ("list-skills", 200),
        ("create-opportunity", 201),
        ("create-opportunity", 201),
        ("submit-opportunity", 200),
    ] {
        assert_eq!(
            run_route(&app, function, traced_sample(function, &trace_header)).await,
            expected,
            "{function}"
        );
        invocations += 1;
    }
    let status_events = match &oms::fleet::manifest::OPPORTUNITY_STATUS_EVENTS.trigger {
        Trigger::Queue { handler, .. } => *handler,
        other => panic!("{other:?}"),
    };
    let batch = serde_json::from_value(sample("opportunity-status-events")).expect("SQS event");
    let response = oms::runtime::invoke_sqs(
        "opportunity-status-events",
        status_events,
        &app,
        lambda_event(batch, &trace_header),
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    invocations += 1;
    let relay = match &oms::fleet::manifest::OUTBOX_RELAY.trigger {
        Trigger::Schedule { handler, .. } => *handler,
        other => panic!("{other:?}"),
    };
    oms::runtime::invoke_event(
        "outbox-relay",
        relay,
        &app,
        lambda_event(sample("outbox-relay"), &trace_header),
    )
    .await
    .expect("relay run");
    invocations += 1;

    let documents: Vec<Value> = metrics::take_captured()
        .iter()
        .map(|line| serde_json::from_str::<Value>(line).expect("an EMF line is one JSON object"))
        .filter(|document| document["trace_id"] == trace_id.as_str())
        .collect();
    for document in &documents {
        assert_eq!(violations(&validator, document), Vec::<String>::new(), "{document}");
    }
    let per_invocation: Vec<&Value> = documents.iter().filter(|d| d["Invocations"] == 1).collect();
    assert_eq!(
        per_invocation.len(),
        invocations,
        "one line per invocation: {documents:#?}"
    );
    let total = |name: &str| -> f64 { documents.iter().filter_map(|d| d[name].as_f64()).sum() };
    assert_eq!(total("CacheMisses"), 2.0, "the first read of each key");
    assert_eq!(total("CacheHits"), 2.0, "the second read of each key");
    assert_eq!(total("IdempotentReplays"), 1.0, "the create retried with its key");
    assert_eq!(total("OpportunitiesCreated"), 1.0);
    assert_eq!(total("OpportunitiesSubmitted"), 1.0);
    assert!(total("ArrSubmitted") > 0.0, "{documents:#?}");
    let submitted = documents
        .iter()
        .find(|d| d["OpportunitiesSubmitted"] == 1)
        .expect("submit line");
    assert_eq!(submitted["operation"], "POST /v1/opportunities/{id}/submit");
    assert_eq!(submitted["outcome"], "success");
    assert!(submitted["currency"].is_string());
    let batch_line = documents
        .iter()
        .find(|d| d["operation"] == "batch")
        .expect("batch line");
    assert_eq!(batch_line["function"], "oms", "no function named in this test process");
    assert_eq!(
        batch_line["trace_id"],
        trace_id.as_str(),
        "the trace of the Lambda context"
    );
    for document in &documents {
        for forbidden in ["caller", "opportunity_id", "request_id", "user"] {
            assert!(document.get(forbidden).is_none(), "{forbidden} in {document}");
        }
    }
    println!(
        "sample EMF line: {}",
        serde_json::to_string(submitted).unwrap_or_default()
    );
}

/// Where the dashboards and alarms name a metric of the service's namespace, it is one the code
/// reports, with the dimension sets the code gives it: a renamed metric cannot leave an alarm
/// watching nothing.
#[test]
fn the_template_watches_only_metrics_the_code_reports() {
    let template = oms_tests::template::template();
    let known = |name: &str| metrics::ALL.iter().find(|m| m.name == name);
    let mut watched = 0;
    for (id, resource) in template["Resources"].as_mapping().expect("Resources") {
        let properties = &resource["Properties"];
        match resource["Type"].as_str() {
            Some("AWS::CloudWatch::Alarm") => {
                let namespace = format!("{:?}", properties["Namespace"]);
                if !namespace.contains("OMS/") {
                    continue;
                }
                let name = properties["MetricName"].as_str().unwrap_or_default();
                let metric = known(name).unwrap_or_else(|| panic!("{id:?} watches {name}, which no code reports"));
                let dimensions: Vec<&str> = properties["Dimensions"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .filter_map(|d| d["Name"].as_str())
                    .collect();
                assert!(
                    metric
                        .family
                        .dimensions()
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|set| set == &json!(dimensions)),
                    "{id:?}: {name} is not reported by {dimensions:?}"
                );
                watched += 1;
            }
            Some("AWS::CloudWatch::Dashboard") => {
                let body = properties["DashboardBody"]["Sub"]
                    .as_str()
                    .or_else(|| properties["DashboardBody"].as_str())
                    .map(str::to_owned)
                    .unwrap_or_else(|| match &properties["DashboardBody"] {
                        serde_norway::Value::Tagged(t) => t.value.as_str().unwrap_or_default().to_owned(),
                        _ => String::new(),
                    });
                let body: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{id:?}: {e}"));
                for widget in body["widgets"].as_array().into_iter().flatten() {
                    let mut namespace = String::new();
                    for row in widget["properties"]["metrics"].as_array().into_iter().flatten() {
                        let row = row.as_array().cloned().unwrap_or_default();
                        if let Some(expression) = row.first().and_then(|c| c["expression"].as_str()) {
                            if let Some(rest) = expression.split("MetricName=\"").nth(1) {
                                let name = rest.split('"').next().unwrap_or_default();
                                assert!(known(name).is_some(), "{id:?} searches {name}");
                                watched += 1;
                            }
                            continue;
                        }
                        match row.first().and_then(Value::as_str) {
                            Some(".") => {}
                            Some("...") => continue,
                            Some(ns) => namespace = ns.to_owned(),
                            None => continue,
                        }
                        if namespace.starts_with("OMS/") {
                            let name = row.get(1).and_then(Value::as_str).unwrap_or_default();
                            assert!(known(name).is_some(), "{id:?} graphs {name}, which no code reports");
                            watched += 1;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    assert!(
        watched >= 20,
        "only {watched} metric uses found: the parser missed them"
    );
}

/// Collects what a subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The X-Ray trace id is in every log line of a request (a field of its span, in the JSON
/// format the functions log with) and in its metrics line: the same id in both.
#[tokio::test]
async fn a_requests_log_lines_and_metrics_line_name_its_trace_id() {
    use tracing::instrument::WithSubscriber;
    metrics::start_capture();
    let (executor, _dir) = oms_tests::sqlite_executor().await;
    let app = App::over_sql(Arc::clone(&executor));
    prepare(&app, Fixture::Draft).await;
    // tracing decides once per callsite, for the whole process, whether a subscriber listens;
    // while only one dispatcher is registered it asks the registering thread's own, so a test of
    // this process without a subscriber that reaches a callsite first would silence it here too.
    // A second registered dispatcher (listening to nothing) makes every registration ask all of
    // them, and each event is then checked against the subscriber of the thread it happens on;
    // the rebuild repairs a registration that was under way while the two were registered.
    let _anchor = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(move || writer.clone())
        .finish();
    let dispatch = tracing::Dispatch::new(subscriber);
    tracing::callsite::rebuild_interest_cache();
    let route = oms::routes::by_function("get-opportunity").expect("route");
    let mut event = sample("get-opportunity");
    event["headers"]["X-Amzn-Trace-Id"] = json!("Root=1-6745c2a0-00000000000000000000beef;Sampled=1");
    event["multiValueHeaders"]["X-Amzn-Trace-Id"] = json!(["Root=1-6745c2a0-00000000000000000000beef;Sampled=1"]);
    let _ = metrics::take_captured();
    oms::runtime::invoke_api_gateway_event(route, &app, event)
        .with_subscriber(dispatch)
        .await
        .expect("response");
    let output = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("UTF-8");
    let lines: Vec<Value> = output
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert!(!lines.is_empty());
    let trace_id = lines[0]["span"]["trace_id"].as_str().expect("trace id").to_owned();
    assert_eq!(trace_id, "1-6745c2a0-00000000000000000000beef", "API Gateway's trace");
    for line in &lines {
        assert_eq!(line["span"]["trace_id"], trace_id, "{line}");
    }
    let documents = metrics::take_captured();
    let ours: Vec<Value> = documents
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON"))
        .filter(|d| d["trace_id"] == trace_id)
        .collect();
    assert_eq!(ours.len(), 1, "{documents:?}");
}
