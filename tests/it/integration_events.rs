//! The integration events on the bus follow their published schemas: every event type has a JSON
//! Schema (`schemas/events/<Type>.v1.json`, draft 2020-12, formats asserted) and a sample
//! (`events/integration/<Type>.json`) that it accepts, and every change event the handlers
//! commit to the outbox, in the envelope the bus delivers it in, is accepted by its type's schema.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use oms::app::App;
use oms::domain::events::{INTEGRATION_EVENT_TYPES, integration_event};
use oms::fleet::Trigger;
use oms_tests::fixtures::{Fixture, prepare};
use serde_json::{Value, json};

fn read(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validators() -> BTreeMap<String, jsonschema::Validator> {
    let dir = oms_tests::workspace_root().join("schemas/events");
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("schemas/events") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let event_type = name
            .strip_suffix(".v1.json")
            .unwrap_or_else(|| panic!("{name}: schemas are named <Type>.v1.json"));
        let schema = read(&path);
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        found.insert(event_type.to_owned(), validator);
    }
    found
}

fn errors(validator: &jsonschema::Validator, event: &Value) -> Vec<String> {
    validator
        .iter_errors(event)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn every_event_type_has_a_schema_and_a_sample_that_it_accepts() {
    let validators = validators();
    assert_eq!(
        validators.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        INTEGRATION_EVENT_TYPES.iter().copied().collect::<BTreeSet<_>>(),
        "one schema per integration event type"
    );
    for event_type in INTEGRATION_EVENT_TYPES {
        let sample = read(
            &oms_tests::workspace_root()
                .join("events/integration")
                .join(format!("{event_type}.json")),
        );
        let validator = &validators[*event_type];
        assert_eq!(errors(validator, &sample), Vec::<String>::new(), "{event_type}");
        assert_eq!(sample["detail-type"], *event_type);
        // The schema can fail: a sample without its specific detail, or of another type.
        let mut emptied = sample.clone();
        emptied["detail"]["detail"] = json!({});
        assert!(
            !errors(validator, &emptied).is_empty(),
            "{event_type} accepts an empty detail"
        );
        let mut retyped = sample.clone();
        retyped["detail"]["event_type"] = json!("SomethingElse");
        assert!(
            !errors(validator, &retyped).is_empty(),
            "{event_type} accepts another type"
        );
        let mut bad_time = sample.clone();
        bad_time["detail"]["occurred_at"] = json!("yesterday");
        assert!(
            !errors(validator, &bad_time).is_empty(),
            "{event_type} accepts a time that is none"
        );
    }
}

fn sample(name: &str) -> Value {
    read(&oms_tests::workspace_root().join("events").join(format!("{name}.json")))
}

/// Runs a request sample on a fresh database in the state `fixture` names and returns the
/// change events its handler committed (the fixtures' own events left out).
async fn committed(function: &str, fixture: Fixture) -> Vec<oms::domain::events::ChangeEvent> {
    let (executor, dir) = oms_tests::sqlite_executor().await;
    let mut app = App::over_sql(Arc::clone(&executor));
    let objects = oms_tests::attachment_fixtures::object_store(dir.path());
    app.objects = Arc::new(objects.clone());
    prepare(&app, fixture).await;
    if function.contains("attachment") {
        use oms::domain::attachment::AttachmentStatus;
        oms_tests::attachment_fixtures::register(&app, AttachmentStatus::Available).await;
    }
    match &oms::fleet::function(function).expect("a manifest function").trigger {
        Trigger::Api(route) => {
            let response = oms::runtime::invoke_api_gateway_event(route, &app, sample(function))
                .await
                .expect("response");
            let status = response["statusCode"].as_u64().unwrap_or_default();
            assert!((200..300).contains(&status), "{function}: {response}");
        }
        Trigger::Queue { handler, .. } => {
            let batch = serde_json::from_value(sample(function)).expect("SQS event");
            let response = handler(&app, batch).await;
            assert!(response.batch_item_failures.is_empty(), "{function}");
        }
        other => panic!("{function}: {other:?}"),
    }
    app.outbox
        .unpublished(1000)
        .await
        .expect("outbox")
        .into_iter()
        // The fixtures' own events carry no detail; the handlers' always do.
        .filter(|e| !e.detail.is_null())
        .collect()
}

#[tokio::test]
async fn the_events_the_handlers_commit_follow_their_schemas_on_the_bus() {
    let validators = validators();
    let mut seen = BTreeSet::new();
    for (function, fixture) in [
        ("create-opportunity", Fixture::Catalog),
        ("patch-opportunity", Fixture::Draft),
        ("put-problem-statement", Fixture::Draft),
        ("put-skill-requirements", Fixture::Draft),
        ("submit-opportunity", Fixture::CompleteDraft),
        ("cancel-opportunity", Fixture::Draft),
        ("reactivate-opportunity", Fixture::Cancelled),
        ("opportunity-status-events", Fixture::Submitted),
        ("create-customer", Fixture::Catalog),
        ("create-skill", Fixture::Catalog),
        ("presign-upload", Fixture::CompleteDraft),
        ("delete-attachment", Fixture::CompleteDraft),
    ] {
        let events = committed(function, fixture).await;
        assert!(!events.is_empty(), "{function} committed no change event");
        for change in &events {
            let validator = validators
                .get(change.event_type.as_str())
                .unwrap_or_else(|| panic!("{function}: {} has no schema", change.event_type));
            let event = integration_event(change, "123456789012", "eu-west-1");
            assert_eq!(errors(validator, &event), Vec::<String>::new(), "{function}: {event:#}");
            seen.insert(change.event_type.to_string());
        }
    }
    for expected in [
        "OpportunityCreated",
        "OpportunityUpdated",
        "OpportunitySubmitted",
        "OpportunityCancelled",
        "OpportunityReactivated",
        "OpportunityStatusChanged",
        "CustomerCreated",
        "SkillCreated",
        "AttachmentRegistered",
        "AttachmentDeleted",
    ] {
        assert!(seen.contains(expected), "no handler built {expected}: {seen:?}");
    }
}

/// The template's pipe builds the envelope `integration_event` describes: the source, the
/// change event's type as detail-type and the message body as detail; the rule that feeds
/// cache-invalidation hands it the detail, i.e. the change event as before.
#[test]
fn the_pipe_and_the_rules_build_what_the_code_and_the_schemas_describe() {
    let template = oms_tests::template::template();
    let resources = &template["Resources"];
    let target = &resources["IntegrationEventsPipe"]["Properties"]["TargetParameters"];
    let bus = &target["EventBridgeEventBusParameters"];
    assert_eq!(bus["Source"].as_str(), Some(oms::domain::events::INTEGRATION_SOURCE));
    assert_eq!(bus["DetailType"].as_str(), Some("$.body.event_type"));
    assert_eq!(target["InputTemplate"].as_str(), Some("<$.body>"));
    let rule = &resources["CacheInvalidationRule"]["Properties"];
    assert_eq!(rule["Targets"][0]["InputPath"].as_str(), Some("$.detail"));
    assert!(
        rule["Targets"][0]["DeadLetterConfig"].is_mapping(),
        "the rule's delivery has a dead-letter queue"
    );
    let pattern = format!("{:?}", rule["EventPattern"]);
    assert!(pattern.contains(oms::domain::events::INTEGRATION_SOURCE), "{pattern}");
}
