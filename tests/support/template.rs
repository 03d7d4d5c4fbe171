//! `template.yaml` as data: its function resources by binary, and each function's environment.
//! Read by the consistency tests and by the benchmark (which starts every function with the
//! variables its template entry sets).

use std::collections::{BTreeMap, BTreeSet};

use serde_norway::Value;

/// The parsed template.
pub fn template() -> Value {
    let text = std::fs::read_to_string(crate::workspace_root().join("template.yaml")).expect("template.yaml");
    serde_norway::from_str(&text).expect("template.yaml is YAML")
}

/// Function resources by the binary they run.
pub fn functions(template: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (_, resource) in template["Resources"].as_mapping().expect("Resources") {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .expect("every function names its Binary")
            .to_owned();
        assert!(
            out.insert(binary.clone(), resource.clone()).is_none(),
            "{binary} appears twice in the template"
        );
    }
    out
}

/// The names of the variables a function gets: the global ones and its own.
pub fn environment(template: &Value, resource: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for variables in [
        &template["Globals"]["Function"]["Environment"]["Variables"],
        &resource["Properties"]["Environment"]["Variables"],
    ] {
        if let Some(map) = variables.as_mapping() {
            names.extend(map.keys().filter_map(|k| k.as_str().map(str::to_owned)));
        }
    }
    names
}

/// The variables of one function by its binary name (`None`: not a function of the template).
pub fn function_environment(function: &str) -> Option<BTreeSet<String>> {
    let template = template();
    let resource = functions(&template).remove(function)?;
    Some(environment(&template, &resource))
}

/// The `oms` cargo features a function crate enables (`functions/<name>/Cargo.toml`).
pub fn crate_features(function: &str) -> BTreeSet<String> {
    let manifest = std::fs::read_to_string(
        crate::workspace_root()
            .join("functions")
            .join(function)
            .join("Cargo.toml"),
    )
    .expect("the function's Cargo.toml");
    let Some(line) = manifest.lines().find(|l| l.trim_start().starts_with("oms")) else {
        return BTreeSet::new();
    };
    let Some(list) = line.split("features").nth(1) else {
        return BTreeSet::new();
    };
    list.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The `oms` features a set of variables needs: the AWS service each one names.
pub fn features_needed(environment: &BTreeSet<String>) -> BTreeSet<String> {
    environment
        .iter()
        .filter_map(|variable| match variable.as_str() {
            "OMS_CACHE_TABLE" => Some("dynamodb"),
            "OMS_CHANGE_EVENTS_QUEUE_URL" | "OMS_DEAD_LETTER_QUEUE_URL" => Some("sqs"),
            "OMS_ATTACHMENTS_BUCKET" => Some("s3"),
            // The authorizer verifies tokens against the user pool's JWKS.
            "OMS_COGNITO_USER_POOL_ID" => Some("jwt-verifier"),
            _ => None,
        })
        .map(str::to_owned)
        .collect()
}
