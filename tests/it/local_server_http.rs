//! Black-box tests: the local server started as a process and driven over HTTP, exactly as a
//! client would use the API.

use std::collections::HashSet;

use oms_tests::{LocalServer, opportunity_body};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

async fn problem(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "unexpected status");
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    assert!(response.headers().contains_key("x-request-id"));
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    for member in ["type", "title", "detail"] {
        assert!(body[member].is_string(), "problem without {member}: {body}");
    }
    body
}

fn failing_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .expect("errors list")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn create(client: &Client, server: &LocalServer, token: &str, body: &Value) -> Value {
    let response = client
        .post(server.url("/v1/opportunities"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("create");
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.expect("json")
}

const STATEMENT: &str = "## Problem\n\nThe order platform cannot absorb the holiday peak: checkout latency triples and \
the nightly batch overruns into business hours. We need an architect to design the move to an event-driven platform.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auth_matrix_answers_401_403_and_404() {
    let server = LocalServer::start().await;
    let client = Client::new();
    let alice = server.token("alice", &["SalesManager"], &[]).await;
    let bob = server.token("bob", &["SalesManager"], &[]).await;
    let admin = server.token("root", &["Admin"], &[]).await;
    let nobody = server.token("guest", &[], &[]).await;
    let expired = server.token("alice", &["SalesManager"], &["--expires-in", "-10"]).await;
    let foreign = server
        .token("alice", &["SalesManager"], &["--audience", "another-app"])
        .await;
    let refresh = server
        .token("alice", &["SalesManager"], &["--token-use", "refresh"])
        .await;
    let access = server
        .token("alice", &["SalesManager"], &["--token-use", "access"])
        .await;
    let mut tampered = alice.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });

    let opportunities = server.url("/v1/opportunities");
    let no_token = client.get(&opportunities).send().await.unwrap();
    assert_eq!(no_token.headers()["www-authenticate"], "Bearer");
    problem(no_token, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    for bad in [&expired, &foreign, &refresh, &tampered, &"not-a-jwt".to_owned()] {
        problem(
            client.get(&opportunities).bearer_auth(bad).send().await.unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
    }
    problem(
        client
            .get(&opportunities)
            .header("authorization", format!("Basic {alice}"))
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    assert_eq!(
        client
            .get(&opportunities)
            .bearer_auth(&access)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    problem(
        client.get(&opportunities).bearer_auth(&nobody).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        client
            .post(server.url("/v1/skills"))
            .bearer_auth(&alice)
            .json(&json!({"name": "Zig", "category": "technical"}))
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_eq!(
        client
            .get(server.url("/v1/me"))
            .bearer_auth(&nobody)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let created = create(&client, &server, &alice, &opportunity_body("Alice's", "Contoso")).await;
    let id = created["id"].as_str().unwrap();
    let item = server.url(&format!("/v1/opportunities/{id}"));
    problem(
        client.get(&item).bearer_auth(&bob).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(
        client
            .get(format!("{item}/history"))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(
        client
            .patch(&item)
            .bearer_auth(&bob)
            .json(&json!({"title": "Mine now"}))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(
        client
            .post(format!("{item}/submit"))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let bobs_list: Value = client
        .get(&opportunities)
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bobs_list["items"], json!([]));
    assert_eq!(
        client.get(&item).bearer_auth(&admin).send().await.unwrap().status(),
        StatusCode::OK
    );
    let admins_list: Value = client
        .get(&opportunities)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admins_list["items"].as_array().unwrap().len(), 1);

    for path in ["/health", "/openapi.json", "/docs", "/.well-known/jwks.json"] {
        assert_eq!(
            client.get(server.url(path)).send().await.unwrap().status(),
            StatusCode::OK,
            "{path}"
        );
    }
    problem(
        client
            .get(server.url("/v1/nowhere"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let wrong_method = client.delete(&opportunities).bearer_auth(&alice).send().await.unwrap();
    assert!(wrong_method.headers()["allow"].to_str().unwrap().contains("GET"));
    problem(wrong_method, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opportunity_goes_through_its_whole_lifecycle() {
    let server = LocalServer::start().await;
    let client = Client::new();
    let alice = server.token("alice", &["SalesManager"], &[]).await;
    let created = create(
        &client,
        &server,
        &alice,
        &opportunity_body("Serverless order platform", "Contoso"),
    )
    .await;
    assert_eq!(created["status"], "draft");
    assert_eq!(created["version"], 1);
    let id = created["id"].as_str().unwrap().to_owned();
    let item = server.url(&format!("/v1/opportunities/{id}"));

    let incomplete = client
        .post(format!("{item}/submit"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    let body = problem(incomplete, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(failing_fields(&body), vec!["problem_statement", "skill_requirements"]);

    let short = client
        .put(format!("{item}/problem-statement"))
        .bearer_auth(&alice)
        .json(&json!({"markdown": "too short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        failing_fields(&problem(short, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await),
        vec!["markdown"]
    );
    let statement = client
        .put(format!("{item}/problem-statement"))
        .bearer_auth(&alice)
        .json(&json!({"markdown": STATEMENT}))
        .send()
        .await
        .unwrap();
    assert_eq!(statement.status(), StatusCode::OK);
    assert_eq!(statement.headers()["etag"], "\"2\"");

    let skills: Value = client
        .get(server.url("/v1/skills?limit=100"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rust = skills["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Rust")
        .expect("seeded catalog has Rust")
        .clone();
    let requirements = json!({"items": [
        {"skill_id": rust["id"], "category": "technical", "importance": "must_have", "min_proficiency": "expert"},
        {"custom_name": "Event storming", "category": "soft", "importance": "nice_to_have", "min_proficiency": "intermediate"}
    ]});
    let put = client
        .put(format!("{item}/skill-requirements"))
        .bearer_auth(&alice)
        .json(&requirements)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    let with_skills: Value = put.json().await.unwrap();
    assert_eq!(with_skills["skill_requirements"][0]["name"], "Rust");
    assert_eq!(with_skills["skill_requirements"][1]["custom_name"], "Event storming");

    let submitted: Value = client
        .post(format!("{item}/submit"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(submitted["status"], "submitted");
    problem(
        client
            .post(format!("{item}/submit"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        StatusCode::CONFLICT,
        "illegal_transition",
    )
    .await;

    let no_reason = client
        .patch(&item)
        .bearer_auth(&alice)
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"priority":"critical"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        failing_fields(&problem(no_reason, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await),
        vec!["reason"]
    );
    let patched = client
        .patch(&item)
        .bearer_auth(&alice)
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"priority":"critical","timeline":{"flexible":false},"reason":"Board escalation"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(patched["priority"], "critical");
    assert_eq!(patched["timeline"]["flexible"], false);
    assert_eq!(
        patched["timeline"]["duration_days"], 90,
        "a merge patch keeps the fields it does not name"
    );

    let cancel_without_reason = client
        .post(format!("{item}/cancel"))
        .bearer_auth(&alice)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        failing_fields(
            &problem(
                cancel_without_reason,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed"
            )
            .await
        ),
        vec!["reason"]
    );
    let cancelled: Value = client
        .post(format!("{item}/cancel"))
        .bearer_auth(&alice)
        .json(&json!({"reason": "Budget frozen"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["status_before_cancel"], "submitted");
    assert!(cancelled["reactivatable_until"].is_string());
    problem(
        client
            .patch(&item)
            .bearer_auth(&alice)
            .json(&json!({"title": "x", "reason": "y"}))
            .send()
            .await
            .unwrap(),
        StatusCode::CONFLICT,
        "opportunity_closed",
    )
    .await;

    let reactivated: Value = client
        .post(format!("{item}/reactivate"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reactivated["status"], "submitted");
    problem(
        client
            .post(format!("{item}/reactivate"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        StatusCode::CONFLICT,
        "illegal_transition",
    )
    .await;

    let history: Value = client
        .get(format!("{item}/history?limit=100"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = history["items"].as_array().unwrap();
    let summary: Vec<String> = items
        .iter()
        .map(|h| match h["kind"].as_str().unwrap() {
            "status" => format!(
                "{}->{}",
                h["from"].as_str().unwrap_or("none"),
                h["to"].as_str().unwrap()
            ),
            _ => format!("field:{}", h["field"].as_str().unwrap()),
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            "none->draft",
            "field:problem_statement",
            "field:skill_requirements",
            "draft->submitted",
            "field:priority",
            "field:timeline",
            "submitted->cancelled",
            "cancelled->submitted"
        ]
    );
    assert!(items.iter().all(|h| h["actor"] == "alice" && h["at"].is_string()));
    let priority = &items[4];
    assert_eq!(
        (
            priority["old"].clone(),
            priority["new"].clone(),
            priority["reason"].clone()
        ),
        (json!("high"), json!("critical"), json!("Board escalation"))
    );
    assert_eq!(items[6]["reason"], "Budget frozen");
    assert_eq!(history["next_cursor"], Value::Null);

    let paged: Value = client
        .get(format!("{item}/history?limit=3"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(paged["items"].as_array().unwrap().len(), 3);
    let cursor = paged["next_cursor"].as_str().expect("more pages");
    let next: Value = client
        .get(format!("{item}/history?limit=3&cursor={cursor}"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(next["items"][0]["seq"], 4);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_problem_document_never_a_500() {
    let server = LocalServer::start().await;
    let client = Client::new();
    let alice = server.token("alice", &["SalesManager"], &[]).await;
    let url = server.url("/v1/opportunities");
    let invalid = json!({
        "customer": {"id": "not-a-uuid"},
        "title": "",
        "priority": "urgent",
        "annual_recurring_revenue": {"amount": "12.345", "currency": "EURO"},
        "timeline": {"start_date": "2027-02-30", "end_date": "2027-01-01", "duration_days": 5, "flexible": true}
    });
    let body = problem(
        client
            .post(&url)
            .bearer_auth(&alice)
            .json(&invalid)
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let fields = failing_fields(&body);
    for expected in [
        "customer.id",
        "title",
        "description",
        "priority",
        "annual_recurring_revenue.currency",
        "timeline.start_date",
        "timeline.duration_days",
    ] {
        assert!(fields.contains(&expected.to_owned()), "{expected} not in {fields:?}");
    }
    let send = |body: &'static str, content_type: &'static str| {
        client
            .post(&url)
            .bearer_auth(&alice)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    problem(
        send("{\"title\": ", "application/json").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "malformed_json",
    )
    .await;
    problem(
        send("", "application/json").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "empty_body",
    )
    .await;
    problem(
        send("{}", "text/plain").await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let wrong_type = problem(
        send("{\"title\": 5}", "application/json").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    // The field of the wrong type is reported beside every other failing field.
    assert_eq!(
        failing_fields(&wrong_type),
        vec![
            "title",
            "customer",
            "description",
            "priority",
            "annual_recurring_revenue"
        ]
    );
    assert_eq!(wrong_type["errors"][0]["message"], "must be a string");
    let unknown = problem(
        send("{\"colour\": \"red\"}", "application/json").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(unknown["errors"][0]["field"], "colour");
    assert_eq!(unknown["errors"][0]["message"], "is not a field of this request");
    let huge = format!("{{\"title\": \"{}\"}}", "x".repeat(300 * 1024));
    problem(
        client
            .post(&url)
            .bearer_auth(&alice)
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await
            .unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    problem(
        client
            .get(format!("{url}?limit=0"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
    )
    .await;
    problem(
        client
            .get(format!("{url}?sort=colour"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
    )
    .await;
    problem(
        client
            .get(format!("{url}?status=lost"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
    )
    .await;
    problem(
        client
            .get(format!("{url}?cursor=garbage"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_cursor",
    )
    .await;
    problem(
        client
            .get(format!("{url}/not-a-uuid"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_parameter",
    )
    .await;
    problem(
        client
            .get(format!("{url}/{}", uuid::Uuid::now_v7()))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let missing_customer = json!({
        "customer": {"id": uuid::Uuid::now_v7()}, "title": "t", "description": "d", "priority": "low",
        "annual_recurring_revenue": {"amount": "1.00", "currency": "USD"}
    });
    let body = problem(
        client
            .post(&url)
            .bearer_auth(&alice)
            .json(&missing_customer)
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(failing_fields(&body), vec!["customer.id"]);
    let list: Value = client
        .get(&url)
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["items"],
        json!([]),
        "no partial write survived the refused requests"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_if_match_is_refused_with_412() {
    let server = LocalServer::start().await;
    let client = Client::new();
    let alice = server.token("alice", &["SalesManager"], &[]).await;
    let created = create(&client, &server, &alice, &opportunity_body("Versioned", "Contoso")).await;
    let item = server.url(&format!("/v1/opportunities/{}", created["id"].as_str().unwrap()));
    let first = client
        .patch(&item)
        .bearer_auth(&alice)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "First"}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["etag"], "\"2\"");
    let stale = client
        .patch(&item)
        .bearer_auth(&alice)
        .header("if-match", "\"1\"")
        .json(&json!({"title": "Second"}))
        .send()
        .await
        .unwrap();
    problem(stale, StatusCode::PRECONDITION_FAILED, "stale_version").await;
    let stale_action = client
        .post(format!("{item}/cancel"))
        .bearer_auth(&alice)
        .header("if-match", "\"1\"")
        .json(&json!({"reason": "r"}))
        .send()
        .await
        .unwrap();
    problem(stale_action, StatusCode::PRECONDITION_FAILED, "stale_version").await;
    let current: Value = client
        .get(&item)
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["title"], "First");
    assert_eq!(current["version"], 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotent_retry_returns_the_first_response_and_creates_nothing() {
    let server = LocalServer::start().await;
    let client = Client::new();
    let alice = server.token("alice", &["SalesManager"], &[]).await;
    let url = server.url("/v1/opportunities");
    let body = opportunity_body("Once only", "Contoso");
    let send = |body: Value| {
        client
            .post(&url)
            .bearer_auth(&alice)
            .header("idempotency-key", "order-42")
            .json(&body)
            .send()
    };
    let first = send(body.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let location = first.headers()["location"].to_str().unwrap().to_owned();
    let first_body: Value = first.json().await.unwrap();
    let retry = send(body.clone()).await.unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["location"], location.as_str());
    assert_eq!(retry.json::<Value>().await.unwrap(), first_body);
    let mut other = body.clone();
    other["title"] = json!("Something else");
    problem(
        send(other).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    let list: Value = client
        .get(&url)
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // Customers honour the key too.
    let customers = server.url("/v1/customers");
    let c1 = client
        .post(&customers)
        .bearer_auth(&alice)
        .header("idempotency-key", "c")
        .json(&json!({"name": "Northwind"}))
        .send()
        .await
        .unwrap();
    assert_eq!(c1.status(), StatusCode::CREATED);
    let c1: Value = c1.json().await.unwrap();
    let c2: Value = client
        .post(&customers)
        .bearer_auth(&alice)
        .header("idempotency-key", "c")
        .json(&json!({"name": "Northwind"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(c1, c2);
    let dup = client
        .post(&customers)
        .bearer_auth(&alice)
        .json(&json!({"name": "northwind"}))
        .send()
        .await
        .unwrap();
    problem(dup, StatusCode::CONFLICT, "already_exists").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_neither_skips_nor_repeats_under_concurrent_inserts() {
    let server = LocalServer::start().await;
    let client = Client::new();
    let alice = server.token("alice", &["SalesManager"], &[]).await;
    let mut existing = HashSet::new();
    for i in 0..30 {
        let created = create(
            &client,
            &server,
            &alice,
            &opportunity_body(&format!("Existing {i}"), "Contoso"),
        )
        .await;
        existing.insert(created["id"].as_str().unwrap().to_owned());
    }
    let writer = {
        let client = client.clone();
        let url = server.url("/v1/opportunities");
        let alice = alice.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                let response = client
                    .post(&url)
                    .bearer_auth(&alice)
                    .json(&opportunity_body(&format!("Concurrent {i}"), "Contoso"))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::CREATED);
            }
        })
    };
    for sort in ["-created_at", "created_at"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{}?limit=7&sort={sort}", server.url("/v1/opportunities"));
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page: Value = client
                .get(&url)
                .bearer_auth(&alice)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            seen.extend(
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["id"].as_str().unwrap().to_owned()),
            );
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let unique: HashSet<_> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "{sort}: an item was repeated");
        assert!(existing.is_subset(&unique), "{sort}: an existing item was skipped");
    }
    writer.await.unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_creates_are_all_stored() {
    let server = LocalServer::start().await;
    let client = Client::new();
    let alice = server.token("alice", &["SalesManager"], &[]).await;
    let admin = server.token("root", &["Admin"], &[]).await;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let client = client.clone();
        let url = server.url("/v1/opportunities");
        let alice = alice.clone();
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(&url)
                .bearer_auth(&alice)
                .json(&opportunity_body(&format!("Burst {i}"), &format!("Customer {}", i % 7)))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
            response.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }));
    }
    let mut ids = HashSet::new();
    for task in tasks {
        ids.insert(task.await.unwrap());
    }
    assert_eq!(ids.len(), 100);
    let mut stored = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}?limit=100", server.url("/v1/opportunities"));
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = client
            .get(&url)
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        stored.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(stored, ids);
    let customers: Value = client
        .get(server.url("/v1/customers?limit=100"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        customers["items"].as_array().unwrap().len(),
        7,
        "customers created by name are shared, not duplicated"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_is_read_back_at_once_through_the_cache_and_status_events_flow_in() {
    let server = LocalServer::start().await;
    let client = Client::new();
    let alice = server.token("alice", &["SalesManager"], &[]).await;
    let root = server.token("root", &["Admin"], &[]).await;
    let created = create(&client, &server, &alice, &opportunity_body("Cached", "Contoso")).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let item = server.url(&format!("/v1/opportunities/{id}"));
    for round in 1..=5 {
        let before: Value = client
            .get(&item)
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let patched = client
            .patch(&item)
            .bearer_auth(&alice)
            .json(&json!({ "title": format!("Round {round}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(patched.status(), StatusCode::OK);
        let after = client.get(&item).bearer_auth(&alice).send().await.unwrap();
        assert_eq!(
            after.headers()["etag"],
            format!("\"{}\"", before["version"].as_i64().unwrap() + 1).as_str()
        );
        let after: Value = after.json().await.unwrap();
        assert_eq!(
            after["title"],
            format!("Round {round}"),
            "a stale cached read after the update"
        );
    }
    // Complete it, submit it, then let the matching service move it on through the queue.
    client
        .put(format!("{item}/problem-statement"))
        .bearer_auth(&alice)
        .json(&json!({ "markdown": STATEMENT }))
        .send()
        .await
        .unwrap();
    let items = json!({ "items": [{ "custom_name": "Rust", "category": "technical", "importance": "must_have", "min_proficiency": "expert" }] });
    client
        .put(format!("{item}/skill-requirements"))
        .bearer_auth(&alice)
        .json(&items)
        .send()
        .await
        .unwrap();
    assert_eq!(
        client
            .post(format!("{item}/submit"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let event = json!({ "event_id": uuid::Uuid::now_v7(), "opportunity_id": id, "status": "matching_in_progress", "occurred_at": "2026-11-22T10:00:00Z", "source": "matching-service" });
    let queued = client
        .post(server.url("/_local/status-events"))
        .json(&event)
        .bearer_auth(&root)
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), StatusCode::ACCEPTED);
    // A status no event may set can never apply: parked at once. (A `completed` sent now would
    // wait in the queue for the events it follows.)
    let bogus = json!({ "event_id": uuid::Uuid::now_v7(), "opportunity_id": id, "status": "draft", "occurred_at": "2026-11-22T10:00:00Z", "source": "selection-service" });
    client
        .post(server.url("/_local/status-events"))
        .json(&bogus)
        .bearer_auth(&root)
        .send()
        .await
        .unwrap();
    let mut status = Value::Null;
    for _ in 0..50 {
        let current: Value = client
            .get(&item)
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        status = current["status"].clone();
        if status == "matching_in_progress" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "matching_in_progress");
    let mut parked = Value::Null;
    for _ in 0..50 {
        let queues: Value = client
            .get(server.url("/_local/queues"))
            .bearer_auth(&root)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        parked = queues["opportunity-status-events"]["dead_letters"].clone();
        if parked.as_array().is_some_and(|p| !p.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        parked[0]["reason"].as_str().unwrap().contains("not set by events"),
        "{parked}"
    );
    server.stop().await;
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

async fn put_upload(client: &Client, upload: &Value, body: Vec<u8>, content_type: Option<&str>) -> reqwest::Response {
    let mut request = client.put(upload["url"].as_str().unwrap()).body(body);
    for (name, value) in upload["headers"].as_object().unwrap() {
        if name != "content-length" {
            request = request.header(
                name.as_str(),
                content_type
                    .filter(|_| name == "content-type")
                    .unwrap_or(value.as_str().unwrap()),
            );
        }
    }
    request.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_upload_straight_to_the_store_and_are_checked_by_the_object_event() {
    let server = LocalServer::start().await;
    let client = Client::new();
    let alice = server.token("alice", &["SalesManager"], &[]).await;
    let bob = server.token("bob", &["SalesManager"], &[]).await;
    let created = create(&client, &server, &alice, &opportunity_body("With documents", "Contoso")).await;
    let attachments = server.url(&format!(
        "/v1/opportunities/{}/attachments",
        created["id"].as_str().unwrap()
    ));
    let document = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n".repeat(50);
    let register = |body: Value| client.post(&attachments).bearer_auth(&alice).json(&body).send();

    let registered = register(json!({ "file_name": "../Angebot Q3 ä.pdf", "content_type": "application/pdf", "size_bytes": document.len(), "sha256": sha256_hex(&document) })).await.unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    let registered: Value = registered.json().await.unwrap();
    assert_eq!(registered["attachment"]["status"], "pending");
    assert_eq!(registered["attachment"]["file_name"], "Angebot Q3 ä.pdf");
    let id = registered["attachment"]["id"].as_str().unwrap().to_owned();
    let upload = &registered["upload"];
    assert_eq!(upload["method"], "PUT");

    // Tampered and mismatching uploads are refused and store nothing.
    let mut tampered = upload.clone();
    tampered["url"] = json!(
        upload["url"]
            .as_str()
            .unwrap()
            .replace("content-length=", "content-length=1")
    );
    assert_eq!(
        put_upload(&client, &tampered, document.clone(), None).await.status(),
        StatusCode::FORBIDDEN
    );
    let mut forged = upload.clone();
    let url = upload["url"].as_str().unwrap();
    forged["url"] = json!(format!(
        "{}{}",
        &url[..url.len() - 1],
        if url.ends_with('0') { '1' } else { '0' }
    ));
    assert_eq!(
        put_upload(&client, &forged, document.clone(), None).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        put_upload(&client, upload, document[..document.len() - 1].to_vec(), None)
            .await
            .status(),
        StatusCode::BAD_REQUEST,
        "wrong size"
    );
    assert_eq!(
        put_upload(&client, upload, document.clone(), Some("text/plain"))
            .await
            .status(),
        StatusCode::BAD_REQUEST,
        "wrong type"
    );
    let mut other = document.clone();
    other[0] = b'#';
    assert_eq!(
        put_upload(&client, upload, other, None).await.status(),
        StatusCode::BAD_REQUEST,
        "wrong checksum"
    );

    // The real upload, then the ObjectCreated event completes the attachment.
    assert_eq!(
        put_upload(&client, upload, document.clone(), None).await.status(),
        StatusCode::OK
    );
    let item = server.url(&format!("/v1/attachments/{id}"));
    let mut current = Value::Null;
    for _ in 0..50 {
        current = client
            .get(&item)
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if current["status"] == "available" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(current["status"], "available", "{current}");
    // The URL uploads once: a second PUT while it is still valid is refused as S3 refuses a
    // conditional (If-None-Match: *) write to an existing key.
    let second = put_upload(&client, upload, document.clone(), None).await;
    assert_eq!(second.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(second.json::<Value>().await.unwrap()["code"], "precondition_failed");
    let downloaded = client
        .get(current["download"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(downloaded.status(), StatusCode::OK);
    assert_eq!(downloaded.headers()["content-type"], "application/pdf");
    assert_eq!(
        downloaded.bytes().await.unwrap().to_vec(),
        document,
        "the same bytes come back"
    );
    let opportunity: Value = client
        .get(server.url(&format!("/v1/opportunities/{}", created["id"].as_str().unwrap())))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        opportunity["attachments"][0]["status"], "available",
        "the opportunity lists it"
    );

    // Refusals at registration.
    let too_big =
        register(json!({ "file_name": "huge.pdf", "content_type": "application/pdf", "size_bytes": 104_857_601 }))
            .await
            .unwrap();
    assert_eq!(
        failing_fields(&problem(too_big, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await),
        vec!["size_bytes"]
    );
    let exe =
        register(json!({ "file_name": "setup.exe", "content_type": "application/x-msdownload", "size_bytes": 10 }))
            .await
            .unwrap();
    assert_eq!(
        failing_fields(&problem(exe, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await),
        vec!["content_type"]
    );
    let foreign = client
        .post(&attachments)
        .bearer_auth(&bob)
        .json(&json!({ "file_name": "a.pdf", "content_type": "application/pdf", "size_bytes": 10 }))
        .send()
        .await
        .unwrap();
    problem(foreign, StatusCode::NOT_FOUND, "not_found").await;
    problem(
        client.get(&item).bearer_auth(&bob).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    problem(
        client.delete(&item).bearer_auth(&bob).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    let listed: Value = client
        .get(&attachments)
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        client.delete(&item).bearer_auth(&alice).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    problem(
        client.get(&item).bearer_auth(&alice).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let gone = client
        .get(current["download"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        gone.status(),
        StatusCode::BAD_REQUEST,
        "the object was deleted with the record"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_docs_page_and_its_swagger_ui_files_are_served_without_a_token_from_this_origin() {
    let server = LocalServer::start().await;
    let client = Client::new();
    let page = client.get(server.url("/docs")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("SwaggerUIBundle"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the page loads nothing from elsewhere"
    );
    for (asset, content_type) in [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
    ] {
        assert!(
            html.contains(&format!("docs/{asset}")),
            "{asset} is not used by the page"
        );
        let response = client.get(server.url(&format!("/docs/{asset}"))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type)
        );
        assert_eq!(response.headers()["cache-control"], "public, max-age=86400");
        assert!(response.bytes().await.unwrap().len() > 100_000, "{asset}");
    }
    problem(
        client.get(server.url("/docs/secret.txt")).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let description: Value = client
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        description,
        serde_json::from_str::<Value>(&oms::openapi::to_pretty_json()).unwrap()
    );
    server.stop().await;
}

/// The user directory and an erasure over HTTP on the local server (its data folder's pseudonym
/// key): the token's e-mail address reaches the directory with the first write, the erasure
/// takes it out of the opportunity and the profile, and the audit log names only ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_over_http_leaves_the_opportunity_without_its_owner() {
    let server = LocalServer::start().await;
    let client = Client::new();
    let carol = server.token("carol", &["SalesManager"], &[]).await;
    let admin = server.token("root", &["Admin"], &[]).await;
    let mut body = opportunity_body("Carol's", "Contoso");
    body["description"] = json!("Write to carol@example.com for the details.");
    let created = create(&client, &server, &carol, &body).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let me: Value = client
        .get(server.url("/v1/me"))
        .bearer_auth(&carol)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "carol@example.com");
    assert!(me["first_seen_at"].is_string(), "{me}");
    let erased = client
        .post(server.url("/v1/privacy/subjects/carol/erasure"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), StatusCode::OK);
    let audit: Value = erased.json().await.unwrap();
    assert_eq!(audit["details"]["opportunities"], 1, "{audit}");
    let after: Value = client
        .get(server.url(&format!("/v1/opportunities/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(after["owner_id"].as_str().unwrap().starts_with("erased-"), "{after}");
    assert_eq!(after["description"], "Write to [erased] for the details.");
    let log = client
        .get(server.url("/v1/audit-events"))
        .bearer_auth(&carol)
        .send()
        .await
        .unwrap();
    problem(log, StatusCode::FORBIDDEN, "forbidden").await;
    server.stop().await;
}
