//! `template.yaml` against the code: every function crate is exactly one function of the template
//! (and has a sample event), every API route of the template is a route of the code and of the
//! OpenAPI description with the same authorizer setting, event functions have their event
//! sources, every function's environment names what its code reads, and every function crate
//! links exactly the AWS adapters its environment configures.

use std::collections::BTreeSet;

use oms::routes::ROUTES;
use oms_tests::template::{crate_features, environment, features_needed, functions, template};
use serde_norway::Value;

fn crates() -> BTreeSet<String> {
    std::fs::read_dir(oms_tests::workspace_root().join("functions"))
        .expect("functions/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Tagged(tagged) => text(&tagged.value),
        other => format!("{other:?}"),
    }
}

#[test]
fn every_function_crate_is_exactly_one_template_function_built_from_its_folder() {
    let template = template();
    let functions = functions(&template);
    let crates = crates();
    assert_eq!(
        functions.keys().cloned().collect::<BTreeSet<_>>(),
        crates,
        "template functions and crates differ"
    );
    for (name, resource) in &functions {
        let properties = &resource["Properties"];
        assert_eq!(
            text(&properties["CodeUri"]),
            format!("functions/{name}"),
            "{name}: CodeUri"
        );
        assert_eq!(
            resource["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{name}: BuildMethod"
        );
        assert!(
            oms_tests::workspace_root()
                .join("events")
                .join(format!("{name}.json"))
                .exists(),
            "{name}: no sample event"
        );
    }
}

fn api_events(resource: &Value) -> Vec<(String, String, bool)> {
    let Some(events) = resource["Properties"]["Events"].as_mapping() else {
        return Vec::new();
    };
    events
        .values()
        .filter(|e| e["Type"].as_str() == Some("Api"))
        .map(|e| {
            let p = &e["Properties"];
            let unauthenticated = text(&p["Auth"]["Authorizer"]) == "NONE";
            (text(&p["Method"]).to_uppercase(), text(&p["Path"]), !unauthenticated)
        })
        .collect()
}

#[test]
fn every_api_route_matches_the_code_and_the_openapi_description() {
    let template = template();
    let functions = functions(&template);
    let openapi: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(oms_tests::workspace_root().join("openapi.json")).unwrap())
            .unwrap();
    let mut template_routes = BTreeSet::new();
    for (name, resource) in &functions {
        for (method, path, authenticated) in api_events(resource) {
            let route = ROUTES
                .iter()
                .find(|r| r.function == name)
                .unwrap_or_else(|| panic!("{name} has an API event but no route"));
            assert_eq!(
                (method.as_str(), path.as_str()),
                (route.method, route.path),
                "{name}: API event differs from the route table"
            );
            assert_eq!(authenticated, route.authenticated, "{name}: authorizer setting differs");
            let documented = &openapi["paths"][&path][method.to_lowercase()];
            assert!(documented.is_object(), "{method} {path} is not in openapi.json");
            assert_eq!(
                documented["security"].is_array(),
                authenticated,
                "{method} {path}: OpenAPI security differs"
            );
            template_routes.insert((method, path));
        }
    }
    let code_routes: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(
        template_routes, code_routes,
        "the template and the route table serve different routes"
    );
    let mut documented = BTreeSet::new();
    for (path, item) in openapi["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    assert_eq!(documented, code_routes, "openapi.json and the route table differ");
}

#[test]
fn event_functions_have_their_event_sources() {
    let template = template();
    let functions = functions(&template);
    for (name, kind) in [
        ("cache-invalidation", "SQS"),
        ("opportunity-status-events", "SQS"),
        ("outbox-relay", "Schedule"),
    ] {
        let events = functions[name]["Properties"]["Events"]
            .as_mapping()
            .unwrap_or_else(|| panic!("{name} has no events"));
        let event = events
            .values()
            .find(|e| e["Type"].as_str() == Some(kind))
            .unwrap_or_else(|| panic!("{name} has no {kind} event"));
        if kind == "SQS" {
            let types = format!("{:?}", event["Properties"]["FunctionResponseTypes"]);
            assert!(
                types.contains("ReportBatchItemFailures"),
                "{name}: partial batch responses are not enabled"
            );
        }
    }
}

/// The `OMS_*` variables the code reads.
fn variables_the_code_reads() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut stack = vec![oms_tests::workspace_root().join("shared/src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                for piece in source.split('"').skip(1).step_by(2) {
                    if piece.starts_with("OMS_") && piece.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                        names.insert(piece.to_owned());
                    }
                }
            }
        }
    }
    names
}

#[test]
fn every_function_environment_names_what_its_code_reads() {
    let template = template();
    let read = variables_the_code_reads();
    for required in [
        "OMS_DATABASE",
        "OMS_DB_CLUSTER_ARN",
        "OMS_DB_SECRET_ARN",
        "OMS_DB_NAME",
        "OMS_CACHE_TABLE",
        "OMS_CHANGE_EVENTS_QUEUE_URL",
        "OMS_IDEMPOTENCY_TABLE",
    ] {
        assert!(read.contains(required), "the code no longer reads {required}: {read:?}");
    }
    const DATABASE: &[&str] = &["OMS_DATABASE", "OMS_DB_CLUSTER_ARN", "OMS_DB_SECRET_ARN", "OMS_DB_NAME"];
    const PUBLISHERS: &[&str] = &[
        "create-opportunity",
        "patch-opportunity",
        "put-problem-statement",
        "put-skill-requirements",
        "submit-opportunity",
        "cancel-opportunity",
        "reactivate-opportunity",
        "create-customer",
        "create-skill",
        "opportunity-status-events",
        "outbox-relay",
        "presign-upload",
        "delete-attachment",
        "attachment-complete",
        "expire-uploads",
    ];
    const CACHE_USERS: &[&str] = &[
        "get-opportunity",
        "list-skills",
        "get-skill",
        "create-opportunity",
        "patch-opportunity",
        "put-problem-statement",
        "put-skill-requirements",
        "submit-opportunity",
        "cancel-opportunity",
        "reactivate-opportunity",
        "opportunity-status-events",
        "cache-invalidation",
        "presign-upload",
        "delete-attachment",
        "attachment-complete",
        "expire-uploads",
    ];
    const OBJECT_USERS: &[&str] = &[
        "presign-upload",
        "get-attachment",
        "delete-attachment",
        "attachment-complete",
        "expire-uploads",
    ];
    for (name, resource) in functions(&template) {
        let env = environment(&template, &resource);
        for variable in env.iter().filter(|v| v.starts_with("OMS_")) {
            assert!(
                read.contains(variable),
                "{name}: the template sets {variable}, which no code reads"
            );
        }
        for variable in DATABASE {
            assert!(
                env.contains(*variable),
                "{name}: {variable} is missing (every function opens the database configuration at init)"
            );
        }
        if PUBLISHERS.contains(&name.as_str()) {
            assert!(
                env.contains("OMS_CHANGE_EVENTS_QUEUE_URL"),
                "{name}: publishes change events but has no queue"
            );
        }
        if CACHE_USERS.contains(&name.as_str()) {
            assert!(
                env.contains("OMS_CACHE_TABLE"),
                "{name}: uses the cache but has no table"
            );
        }
        if [
            "create-opportunity",
            "create-customer",
            "create-skill",
            "presign-upload",
        ]
        .contains(&name.as_str())
        {
            assert!(
                env.contains("OMS_IDEMPOTENCY_TABLE"),
                "{name}: honours Idempotency-Key but has no record table"
            );
        }
        assert_eq!(
            env.contains("OMS_ATTACHMENTS_BUCKET"),
            OBJECT_USERS.contains(&name.as_str()),
            "{name}: OMS_ATTACHMENTS_BUCKET exactly where attachments are stored"
        );
        if name == "opportunity-status-events" {
            assert!(
                env.contains("OMS_DEAD_LETTER_QUEUE_URL"),
                "{name}: parks messages but has no dead-letter queue"
            );
        }
    }
}

#[test]
fn every_function_crate_links_exactly_the_aws_adapters_its_environment_configures() {
    let template = template();
    for (name, resource) in functions(&template) {
        let mut needed = features_needed(&environment(&template, &resource));
        if name == "get-docs-asset" {
            // The one function that serves the vendored Swagger UI files compiles them in.
            needed.insert("docs-assets".to_owned());
        }
        let enabled = crate_features(&name);
        assert_eq!(
            enabled, needed,
            "{name}: functions/{name}/Cargo.toml enables oms features {enabled:?} but its template environment needs {needed:?} \
             (a missing one fails the cold start; an extra one links an SDK the function never uses)"
        );
    }
}

#[test]
fn the_status_event_receive_limit_is_the_status_queue_redrive_limit() {
    let template = template();
    let resources = &template["Resources"];
    let redrive = &resources["StatusEventsQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"];
    let limit = &resources["OpportunityStatusEventsFunction"]["Properties"]["Environment"]["Variables"]["OMS_STATUS_EVENTS_MAX_RECEIVES"];
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    assert!(number(redrive).is_some(), "StatusEventsQueue has no maxReceiveCount");
    assert_eq!(
        number(limit),
        number(redrive),
        "opportunity-status-events parks out-of-order events on the receive the queue would redrive them"
    );
    assert_eq!(
        number(limit),
        Some(u64::from(oms::consumers::status_events::DEFAULT_MAX_RECEIVES)),
        "the code's default matches the template"
    );
}

#[test]
fn the_api_authorizes_with_the_lambda_token_authorizer_function_of_the_user_pool() {
    let template = template();
    let auth = &template["Resources"]["Api"]["Properties"]["Auth"];
    let default = auth["DefaultAuthorizer"].as_str().expect("a default authorizer");
    let authorizer = &auth["Authorizers"][default];
    assert_eq!(authorizer["FunctionPayloadType"].as_str(), Some("TOKEN"));
    assert!(
        format!("{:?}", authorizer["FunctionArn"]).contains("AuthorizerFunction"),
        "the authorizer runs AuthorizerFunction: {:?}",
        authorizer["FunctionArn"]
    );
    assert_eq!(authorizer["Identity"]["Header"].as_str(), Some("Authorization"));
    assert_eq!(
        authorizer["Identity"]["ReauthorizeEvery"].as_u64(),
        Some(300),
        "the cache TTL the README documents"
    );
    assert!(
        authorizer["UserPoolArn"].is_null(),
        "not a Cognito authorizer: it cannot take both ID and access tokens"
    );
    let functions = functions(&template);
    let function = &functions["authorizer"];
    assert!(
        function["Properties"]["Events"].is_null(),
        "API Gateway invokes it, no event does"
    );
    assert!(function["Properties"]["Policies"].is_null(), "it touches no data");
    let env = environment(&template, function);
    for variable in [
        "OMS_COGNITO_USER_POOL_ID",
        "OMS_COGNITO_REGION",
        "OMS_COGNITO_APP_CLIENT_IDS",
        "OMS_COGNITO_TOKEN_USES",
    ] {
        assert!(env.contains(variable), "authorizer: {variable} is missing");
    }
    let uses = &template["Globals"]["Function"]["Environment"]["Variables"]["OMS_COGNITO_TOKEN_USES"];
    let policy = oms::auth::ClientPolicy::parse(Some("app"), uses.as_str()).expect("token uses");
    assert_eq!(
        policy.token_uses,
        vec!["id", "access"],
        "the functions accept what the authorizer lets through"
    );
}
