//! `template.yaml` and the function crates against the fleet manifest (`shared/src/fleet/`): the
//! committed template is what the manifest renders, every function crate is exactly one manifest
//! function (and has a sample event), every API route of the template is a route of the code and
//! of the OpenAPI description with the same authorizer setting, event functions have their event
//! sources, every function's environment names what its code reads, every function crate links
//! exactly the adapters its needs name, the template has no reference cycle, and samconfig.toml
//! overrides only parameters the template declares.

use std::collections::BTreeSet;

use oms::fleet::FLEET;
use oms::routes::routes;
use oms_tests::template::{crate_features, environment, functions, template};
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
            let route = routes()
                .find(|r| r.function == name)
                .unwrap_or_else(|| panic!("{name} has an API event but no route"));
            assert_eq!(
                (method.as_str(), path.as_str()),
                (route.method.as_str(), route.path),
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
    let code_routes: BTreeSet<_> = routes()
        .map(|r| (r.method.as_str().to_owned(), r.path.to_owned()))
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
    ] {
        assert!(read.contains(required), "the code no longer reads {required}: {read:?}");
    }
    const DATABASE: &[&str] = &["OMS_DATABASE", "OMS_DB_CLUSTER_ARN", "OMS_DB_SECRET_ARN", "OMS_DB_NAME"];
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
        // What each function's needs give it (cache table, queues, buckets) is rendered from
        // the manifest; the renderer's tests check the mapping, and the cold start refuses a
        // variable whose adapter the binary lacks.
        if name == "opportunity-status-events" {
            assert!(
                env.contains("OMS_DEAD_LETTER_QUEUE_URL"),
                "{name}: parks messages but has no dead-letter queue"
            );
        }
    }
}

#[test]
fn every_function_crate_enables_exactly_the_features_its_needs_name() {
    for function in FLEET {
        let needed: BTreeSet<String> = function.features().into_iter().map(str::to_owned).collect();
        let enabled = crate_features(function.name);
        assert_eq!(
            enabled, needed,
            "{0}: functions/{0}/Cargo.toml enables oms features {enabled:?} but its needs in the manifest are {needed:?} \
             (a missing one fails the cold start; an extra one links an SDK the function never uses)",
            function.name
        );
    }
}

#[test]
fn the_committed_template_is_what_the_manifest_renders() {
    let path = oms_tests::workspace_root().join("template.yaml");
    let committed = std::fs::read_to_string(&path).expect("template.yaml");
    let rendered = oms::fleet::template::splice(&committed).expect("the fleet markers");
    assert!(
        committed == rendered,
        "template.yaml is not what shared/src/fleet/manifest.rs renders: run `cargo run -p oms-local -- render`"
    );
}

#[test]
fn every_function_crate_is_a_manifest_function_whose_main_runs_its_entry() {
    let manifest: BTreeSet<String> = FLEET.iter().map(|f| f.name.to_owned()).collect();
    assert_eq!(crates(), manifest, "functions/ and the manifest differ");
    for function in FLEET {
        let main = std::fs::read_to_string(
            oms_tests::workspace_root()
                .join("functions")
                .join(function.name)
                .join("src/main.rs"),
        )
        .expect("main.rs");
        let entry = format!(
            "oms::fleet::manifest::{}.run()",
            function.name.to_uppercase().replace('-', "_")
        );
        assert!(main.contains(&entry), "{}: main.rs does not run {entry}", function.name);
        if let Some(route) = function.route() {
            assert_eq!(route.function, function.name, "the route names its own function");
        }
    }
}

/// The logical ids a template value refers to: `Ref`, `GetAtt` and the `${...}` of `Sub`.
fn references(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            match (tag.as_str(), &tagged.value) {
                ("!Ref", Value::String(id)) => {
                    found.insert(id.clone());
                }
                ("!GetAtt", Value::String(path)) => {
                    found.insert(path.split('.').next().unwrap_or_default().to_owned());
                }
                ("!Sub", sub) => {
                    let text = match sub {
                        Value::String(s) => s.clone(),
                        Value::Sequence(items) => items.first().and_then(Value::as_str).unwrap_or_default().to_owned(),
                        _ => String::new(),
                    };
                    for piece in text.split("${").skip(1) {
                        let name = piece.split('}').next().unwrap_or_default();
                        found.insert(name.split('.').next().unwrap_or_default().to_owned());
                    }
                    if let Value::Sequence(items) = sub {
                        for item in items.iter().skip(1) {
                            references(item, found);
                        }
                    }
                }
                _ => references(&tagged.value, found),
            }
        }
        Value::Mapping(map) => {
            for (key, item) in map {
                if let (Some("Fn::GetAtt" | "Ref"), Some(id)) = (key.as_str(), item.as_str()) {
                    found.insert(id.split('.').next().unwrap_or_default().to_owned());
                }
                references(item, found);
            }
        }
        Value::Sequence(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

/// Neither cfn-lint nor `sam validate` reports a circular dependency that SAM's S3 event creates
/// (the bucket's notification points at the function): look for cycles with that edge added.
#[test]
fn the_template_has_no_reference_cycle_even_with_the_s3_notification_edges() {
    let template = template();
    let resources = template["Resources"].as_mapping().expect("Resources");
    let ids: BTreeSet<String> = resources.keys().filter_map(|k| k.as_str().map(str::to_owned)).collect();
    let mut edges: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for (key, resource) in resources {
        let id = key.as_str().unwrap_or_default().to_owned();
        let mut found = BTreeSet::new();
        // An S3 event's Bucket is where SAM puts the notification (the edge added below), not a
        // reference of the function's; a DeploymentPreference becomes a CodeDeploy deployment
        // group of its own, which refers to the alarms (that refer to the function).
        let mut own = resource.clone();
        if let Some(properties) = own["Properties"].as_mapping_mut() {
            properties.remove("DeploymentPreference");
        }
        if let Some(events) = own["Properties"]["Events"].as_mapping_mut() {
            for event in events.values_mut().filter(|e| e["Type"].as_str() == Some("S3")) {
                event["Properties"]["Bucket"] = Value::Null;
            }
        }
        references(&own, &mut found);
        match &resource["DependsOn"] {
            Value::String(d) => {
                found.insert(d.clone());
            }
            Value::Sequence(items) => found.extend(items.iter().filter_map(|d| d.as_str().map(str::to_owned))),
            _ => {}
        }
        if let Some(events) = resource["Properties"]["Events"].as_mapping() {
            for event in events.values().filter(|e| e["Type"].as_str() == Some("S3")) {
                let mut bucket = BTreeSet::new();
                references(&event["Properties"]["Bucket"], &mut bucket);
                // SAM puts the notification on the bucket: the bucket depends on the function.
                for b in bucket {
                    edges.entry(b).or_default().insert(id.clone());
                }
            }
        }
        found.retain(|r| ids.contains(r) && *r != id);
        edges.entry(id).or_default().extend(found);
    }
    // Depth-first search with colours: grey on the stack, black done.
    fn visit(
        node: &str,
        edges: &std::collections::BTreeMap<String, BTreeSet<String>>,
        state: &mut std::collections::BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_owned(), 1);
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let from = path.iter().position(|p| p == next).unwrap_or(0);
                    let mut cycle = path[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(cycle) = visit(next, edges, state, path) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(node.to_owned(), 2);
        None
    }
    let mut state = Default::default();
    for id in &ids {
        if let Some(cycle) = visit(id, &edges, &mut state, &mut Vec::new()) {
            panic!("a reference cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn a_reference_cycle_through_an_s3_notification_is_found() {
    let cyclic: Value = serde_norway::from_str(
        "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Environment: {Variables: {B: !Ref Bucket}}\n      Events: {Up: {Type: S3, Properties: {Bucket: !Ref Bucket}}}\n",
    )
    .expect("yaml");
    let mut found = BTreeSet::new();
    references(&cyclic["Resources"]["Fn"], &mut found);
    assert!(
        found.contains("Bucket"),
        "the function refers to the bucket; with the notification edge that is a cycle"
    );
}

#[test]
fn samconfig_overrides_only_parameters_the_template_declares() {
    let template = template();
    let parameters = template["Parameters"].as_mapping().expect("Parameters");
    let samconfig =
        std::fs::read_to_string(oms_tests::workspace_root().join("samconfig.toml")).expect("samconfig.toml");
    let mut seen = 0;
    for line in samconfig.lines().map(str::trim) {
        let Some(assignment) = line.strip_prefix('"').and_then(|l| l.split('"').next()) else {
            continue;
        };
        let Some((name, _)) = assignment.split_once('=') else {
            continue;
        };
        if name.chars().all(|c| c.is_ascii_alphanumeric())
            && name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        {
            seen += 1;
            assert!(
                parameters.keys().any(|k| k.as_str() == Some(name)),
                "samconfig.toml overrides {name}, which template.yaml does not declare"
            );
        }
    }
    assert!(seen > 0, "samconfig.toml has parameter overrides");
    // Each stage deploys to eu-west-1 with IAM capability and an uploaded artefact bucket; prod
    // asks before it changes anything.
    let mut section = String::new();
    let mut deploy: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for line in samconfig.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
        } else if section.ends_with(".deploy.parameters") && line.contains(" = ") {
            deploy.entry(section.clone()).or_default().push(line.replace(' ', ""));
        }
    }
    for stage in ["dev", "staging", "prod"] {
        let settings = deploy
            .get(&format!("{stage}.deploy.parameters"))
            .expect("a deploy section per stage");
        for expected in [
            "region=\"eu-west-1\"",
            "resolve_s3=true",
            "capabilities=\"CAPABILITY_IAM\"",
        ] {
            assert!(
                settings.iter().any(|s| s == expected),
                "samconfig [{stage}]: {expected} is missing"
            );
        }
        let confirm = format!("confirm_changeset={}", stage == "prod");
        assert!(settings.contains(&confirm), "samconfig [{stage}]: {confirm} is missing");
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
        "the cache TTL docs/ARCHITECTURE.md documents (\"Who may call\")"
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

#[test]
fn a_consumed_queue_hides_a_message_for_six_function_timeouts() {
    // AWS's guidance for SQS event sources: a visibility timeout of at least six times the
    // function's timeout (plus the batching window), so a retried batch is not redelivered while
    // it still runs.
    let template = template();
    let default_timeout = template["Globals"]["Function"]["Timeout"]
        .as_u64()
        .expect("a global timeout");
    for function in FLEET {
        let oms::fleet::Trigger::Queue { queue, .. } = &function.trigger else {
            continue;
        };
        let visibility = template["Resources"][queue.resource()]["Properties"]["VisibilityTimeout"]
            .as_u64()
            .unwrap_or_else(|| panic!("{} has no VisibilityTimeout", queue.resource()));
        let timeout = function.timeout_seconds.map_or(default_timeout, u64::from);
        assert!(
            visibility >= 6 * timeout,
            "{}: {} hides a message {visibility} s, less than 6 x {timeout} s",
            function.name,
            queue.resource()
        );
    }
}

#[test]
fn the_authorizer_refuses_what_the_functions_and_the_local_server_refuse_before_it_runs() {
    let template = template();
    let identity = &template["Resources"]["Api"]["Properties"]["Auth"]["Authorizers"]["TokenAuthorizer"]["Identity"];
    assert_eq!(
        identity["ValidationExpression"].as_str(),
        Some(oms::auth::AUTHORIZATION_PATTERN),
        "template.yaml's ValidationExpression is the pattern the local server applies"
    );
    let pattern = regex_lite::Regex::new(oms::auth::AUTHORIZATION_PATTERN).expect("pattern");
    for accepted in ["Bearer a.b.c", "bearer eyJ0.eyJz.c2ln", "BEARER  a-b.c_d.e"] {
        assert!(pattern.is_match(accepted), "{accepted}");
    }
    for refused in [
        "Basic dXNlcjpwdw==",
        "Bearer",
        "Bearer a.b",
        "Bearer a.b.c.d",
        "Bearer a.b.c, Bearer d.e.f",
        "a.b.c",
    ] {
        assert!(!pattern.is_match(refused), "{refused}");
    }
}
