//! The API's rate limits (seed 003: 1,000 requests a minute per user) in the WAF web ACL of
//! `template.yaml`: per caller, keyed on the Authorization header; per IP for requests without
//! one (anonymous floods) and a higher ceiling per IP for everything; each answering 429 with a
//! problem document and `Retry-After`.

use oms_tests::template::template;
use serde_json::Value as Json;
use serde_norway::Value;

fn rule<'a>(acl: &'a Value, name: &str) -> &'a Value {
    acl["Rules"]
        .as_sequence()
        .expect("rules")
        .iter()
        .find(|r| r["Name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no rule {name}"))
}

fn limit_parameter(template: &Value, statement: &Value) -> u64 {
    let Value::Tagged(tagged) = &statement["Limit"] else {
        panic!("the limit is a parameter: {statement:?}");
    };
    let name = tagged.value.as_str().expect("!Ref name");
    template["Parameters"][name]["Default"].as_u64().expect("a default")
}

fn answers_429_with_a_problem_and_retry_after(acl: &Value, rule: &Value) {
    let response = &rule["Action"]["Block"]["CustomResponse"];
    assert_eq!(response["ResponseCode"].as_u64(), Some(429), "{rule:?}");
    let headers = response["ResponseHeaders"].as_sequence().expect("headers");
    let retry_after = headers
        .iter()
        .find(|h| h["Name"].as_str() == Some("Retry-After"))
        .and_then(|h| h["Value"].as_str())
        .expect("Retry-After");
    assert!(retry_after.parse::<u32>().is_ok_and(|s| s >= 1), "{retry_after}");
    let key = response["CustomResponseBodyKey"].as_str().expect("a body");
    let body = &acl["CustomResponseBodies"][key];
    assert_eq!(body["ContentType"].as_str(), Some("APPLICATION_JSON"));
    let problem: Json = serde_json::from_str(body["Content"].as_str().expect("content")).expect("JSON");
    assert_eq!(problem["status"], 429);
    assert_eq!(problem["code"], "rate_limited");
    assert_eq!(problem["type"], "/problems/rate_limited");
    assert!(problem["title"].is_string() && problem["detail"].is_string());
}

#[test]
fn a_caller_is_limited_to_1000_requests_a_minute_by_its_authorization_header() {
    let template = template();
    let acl = &template["Resources"]["WebAcl"]["Properties"];
    let per_user = rule(acl, "rate-limit-per-user");
    let statement = &per_user["Statement"]["RateBasedStatement"];
    assert_eq!(statement["AggregateKeyType"].as_str(), Some("CUSTOM_KEYS"));
    let keys = statement["CustomKeys"].as_sequence().expect("keys");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["Header"]["Name"].as_str(), Some("authorization"));
    assert_eq!(statement["EvaluationWindowSec"].as_u64(), Some(60));
    assert_eq!(limit_parameter(&template, statement), 1000);
    answers_429_with_a_problem_and_retry_after(acl, per_user);
}

#[test]
fn anonymous_floods_are_limited_per_ip_and_every_ip_has_a_ceiling() {
    let template = template();
    let acl = &template["Resources"]["WebAcl"]["Properties"];
    let anonymous = rule(acl, "rate-limit-per-ip");
    let statement = &anonymous["Statement"]["RateBasedStatement"];
    assert_eq!(statement["AggregateKeyType"].as_str(), Some("IP"));
    let scope = &statement["ScopeDownStatement"]["NotStatement"]["Statement"]["SizeConstraintStatement"];
    assert_eq!(
        scope["FieldToMatch"]["SingleHeader"]["Name"].as_str(),
        Some("authorization"),
        "only requests without a token"
    );
    assert_eq!(limit_parameter(&template, statement), 1000);
    answers_429_with_a_problem_and_retry_after(acl, anonymous);
    let total = rule(acl, "rate-limit-per-ip-total");
    let statement = &total["Statement"]["RateBasedStatement"];
    assert_eq!(statement["AggregateKeyType"].as_str(), Some("IP"));
    assert!(statement.get("ScopeDownStatement").is_none());
    assert!(limit_parameter(&template, statement) > 1000);
    answers_429_with_a_problem_and_retry_after(acl, total);
    // The limits are evaluated before the managed rule groups.
    let priority = |name: &str| rule(acl, name)["Priority"].as_u64().unwrap_or(u64::MAX);
    assert!(priority("rate-limit-per-user") < priority("aws-common"));
    assert!(priority("rate-limit-per-ip-total") < priority("aws-common"));
}
