//! Black-box tests: the local server started as a process and driven over HTTP, exactly as a
//! client would use the API.

use std::collections::HashSet;

use oms_tests::client::failing_fields;
use oms_tests::{LocalServer, opportunity_body};
use reqwest::Method;
use serde_json::{Value, json};

/// The `id` of a created record.
fn id_of(created: &Value) -> String {
    created["id"].as_str().expect("an id").to_owned()
}

const STATEMENT: &str = "## Problem\n\nThe order platform cannot absorb the holiday peak: checkout latency triples and \
the nightly batch overruns into business hours. We need an architect to design the move to an event-driven platform.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auth_matrix_answers_401_403_and_404() {
    let server = LocalServer::start().await;
    let alice = server.sales_manager("alice").await;
    let bob = server.sales_manager("bob").await;
    let admin = server.admin("root").await;
    let nobody = server.session("guest", &[]).await;
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
    let alices_token = alice.token().unwrap().to_owned();
    let mut tampered = alices_token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });

    let no_token = server.anonymous().list_opportunities("").await;
    assert_eq!(no_token.header("www-authenticate"), Some("Bearer"));
    no_token.problem(401, "unauthenticated");
    for bad in [&expired, &foreign, &refresh, &tampered, &"not-a-jwt".to_owned()] {
        server
            .session_with(bad.as_str())
            .list_opportunities("")
            .await
            .problem(401, "unauthenticated");
    }
    server
        .anonymous()
        .with_header("authorization", format!("Basic {alices_token}"))
        .list_opportunities("")
        .await
        .problem(401, "unauthenticated");
    assert_eq!(server.session_with(access).list_opportunities("").await.status, 200);

    nobody.list_opportunities("").await.problem(403, "forbidden");
    alice.create_skill("Zig", "technical").await.problem(403, "forbidden");
    assert_eq!(nobody.me().await.status, 200);

    let id = id_of(
        &alice
            .create_opportunity(&opportunity_body("Alice's", "Contoso"))
            .await
            .created(),
    );
    bob.get_opportunity(&id).await.problem(404, "not_found");
    bob.history(&id, "").await.problem(404, "not_found");
    bob.patch_opportunity(&id, &json!({"title": "Mine now"}))
        .await
        .problem(404, "not_found");
    bob.submit(&id).await.problem(404, "not_found");
    assert_eq!(bob.list_opportunities("").await.ok()["items"], json!([]));
    assert_eq!(admin.get_opportunity(&id).await.status, 200);
    let admins_list = admin.list_opportunities("").await.ok();
    assert_eq!(admins_list["items"].as_array().unwrap().len(), 1);

    for path in ["/health", "/openapi.json", "/docs", "/.well-known/jwks.json"] {
        assert_eq!(server.anonymous().get(path).await.status, 200, "{path}");
    }
    alice.get("/v1/nowhere").await.problem(404, "not_found");
    let wrong_method = alice.delete("/v1/opportunities").await;
    assert!(wrong_method.header("allow").unwrap().contains("GET"));
    wrong_method.problem(405, "method_not_allowed");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opportunity_goes_through_its_whole_lifecycle() {
    let server = LocalServer::start().await;
    let alice = server.sales_manager("alice").await;
    let created = alice
        .create_opportunity(&opportunity_body("Serverless order platform", "Contoso"))
        .await
        .created();
    assert_eq!(created["status"], "draft");
    assert_eq!(created["version"], 1);
    let id = id_of(&created);

    assert_eq!(
        alice.submit(&id).await.failing_fields(),
        vec!["problem_statement", "skill_requirements"]
    );
    assert_eq!(
        alice.put_problem_statement(&id, "too short").await.failing_fields(),
        vec!["markdown"]
    );
    let statement = alice.put_problem_statement(&id, STATEMENT).await;
    assert_eq!(statement.status, 200);
    assert_eq!(statement.header("etag"), Some("\"2\""));

    let skills = alice.list_skills("limit=100").await.ok();
    let rust = skills["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Rust")
        .expect("seeded catalog has Rust")
        .clone();
    let requirements = json!([
        {"skill_id": rust["id"], "category": "technical", "importance": "must_have", "min_proficiency": "expert"},
        {"custom_name": "Event storming", "category": "soft", "importance": "nice_to_have", "min_proficiency": "intermediate"}
    ]);
    let with_skills = alice.put_skill_requirements(&id, &requirements).await.ok();
    assert_eq!(with_skills["skill_requirements"][0]["name"], "Rust");
    assert_eq!(with_skills["skill_requirements"][1]["custom_name"], "Event storming");

    assert_eq!(alice.submit(&id).await.ok()["status"], "submitted");
    alice.submit(&id).await.problem(409, "illegal_transition");

    assert_eq!(
        alice
            .merge_patch_opportunity(&id, &json!({"priority": "critical"}))
            .await
            .failing_fields(),
        vec!["reason"]
    );
    let patched = alice
        .merge_patch_opportunity(
            &id,
            &json!({"priority": "critical", "timeline": {"flexible": false}, "reason": "Board escalation"}),
        )
        .await
        .ok();
    assert_eq!(patched["priority"], "critical");
    assert_eq!(patched["timeline"]["flexible"], false);
    assert_eq!(
        patched["timeline"]["duration_days"], 90,
        "a merge patch keeps the fields it does not name"
    );

    assert_eq!(alice.cancel(&id, None).await.failing_fields(), vec!["reason"]);
    let cancelled = alice.cancel(&id, Some("Budget frozen")).await.ok();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["status_before_cancel"], "submitted");
    assert!(cancelled["reactivatable_until"].is_string());
    alice
        .patch_opportunity(&id, &json!({"title": "x", "reason": "y"}))
        .await
        .problem(409, "opportunity_closed");

    assert_eq!(alice.reactivate(&id).await.ok()["status"], "submitted");
    alice.reactivate(&id).await.problem(409, "illegal_transition");

    let history = alice.history(&id, "limit=100").await.ok();
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
    // Who did it, readable: the directory's name, or the e-mail of a token without a name.
    assert!(
        items.iter().all(|h| h["actor_name"] == "alice@example.com"),
        "{items:?}"
    );
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

    let paged = alice.history(&id, "limit=3").await.ok();
    assert_eq!(paged["items"].as_array().unwrap().len(), 3);
    let cursor = paged["next_cursor"].as_str().expect("more pages");
    let next = alice.history(&id, &format!("limit=3&cursor={cursor}")).await.ok();
    assert_eq!(next["items"][0]["seq"], 4);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_problem_document_never_a_500() {
    let server = LocalServer::start().await;
    let alice = server.sales_manager("alice").await;
    let invalid = json!({
        "customer": {"id": "not-a-uuid"},
        "title": "",
        "priority": "urgent",
        "annual_recurring_revenue": {"amount": "12.345", "currency": "EURO"},
        "timeline": {"start_date": "2027-02-30", "end_date": "2027-01-01", "duration_days": 5, "flexible": true}
    });
    let fields = alice.create_opportunity(&invalid).await.failing_fields();
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
        alice.send_raw(Method::POST, "/v1/opportunities", content_type, body)
    };
    send("{\"title\": ", "application/json")
        .await
        .problem(400, "malformed_json");
    send("", "application/json").await.problem(400, "empty_body");
    send("{}", "text/plain").await.problem(415, "unsupported_media_type");
    let wrong_type = send("{\"title\": 5}", "application/json")
        .await
        .problem(422, "validation_failed");
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
    let unknown = send("{\"colour\": \"red\"}", "application/json")
        .await
        .problem(422, "validation_failed");
    assert_eq!(unknown["errors"][0]["field"], "colour");
    assert_eq!(unknown["errors"][0]["message"], "is not a field of this request");
    let huge = format!("{{\"title\": \"{}\"}}", "x".repeat(300 * 1024));
    alice
        .send_raw(Method::POST, "/v1/opportunities", "application/json", huge)
        .await
        .problem(413, "payload_too_large");
    alice
        .list_opportunities("limit=0")
        .await
        .problem(400, "invalid_parameter");
    alice
        .list_opportunities("sort=colour")
        .await
        .problem(400, "invalid_parameter");
    alice
        .list_opportunities("status=lost")
        .await
        .problem(400, "invalid_parameter");
    alice
        .list_opportunities("cursor=garbage")
        .await
        .problem(400, "invalid_cursor");
    alice
        .get_opportunity("not-a-uuid")
        .await
        .problem(400, "invalid_parameter");
    alice
        .get_opportunity(&uuid::Uuid::now_v7().to_string())
        .await
        .problem(404, "not_found");
    let missing_customer = json!({
        "customer": {"id": uuid::Uuid::now_v7()}, "title": "t", "description": "d", "priority": "low",
        "annual_recurring_revenue": {"amount": "1.00", "currency": "USD"}
    });
    assert_eq!(
        alice.create_opportunity(&missing_customer).await.failing_fields(),
        vec!["customer.id"]
    );
    assert_eq!(
        alice.list_opportunities("").await.ok()["items"],
        json!([]),
        "no partial write survived the refused requests"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_if_match_is_refused_with_412() {
    let server = LocalServer::start().await;
    let alice = server.sales_manager("alice").await;
    let id = id_of(
        &alice
            .create_opportunity(&opportunity_body("Versioned", "Contoso"))
            .await
            .created(),
    );
    let first = alice
        .if_match(1)
        .patch_opportunity(&id, &json!({"title": "First"}))
        .await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("etag"), Some("\"2\""));
    alice
        .if_match(1)
        .patch_opportunity(&id, &json!({"title": "Second"}))
        .await
        .problem(412, "stale_version");
    alice
        .if_match(1)
        .cancel(&id, Some("r"))
        .await
        .problem(412, "stale_version");
    let current = alice.get_opportunity(&id).await.ok();
    assert_eq!(current["title"], "First");
    assert_eq!(current["version"], 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotent_retry_returns_the_first_response_and_creates_nothing() {
    let server = LocalServer::start().await;
    let alice = server.sales_manager("alice").await;
    let retrying = alice.idempotency_key("order-42");
    let body = opportunity_body("Once only", "Contoso");
    let first = retrying.create_opportunity(&body).await;
    assert_eq!(first.status, 201);
    let location = first.header("location").unwrap().to_owned();
    let retry = retrying.create_opportunity(&body).await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.header("location"), Some(location.as_str()));
    assert_eq!(retry.body, first.body);
    let mut other = body.clone();
    other["title"] = json!("Something else");
    retrying
        .create_opportunity(&other)
        .await
        .problem(422, "idempotency_key_reused");
    assert_eq!(
        alice.list_opportunities("").await.ok()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Customers honour the key too.
    let c1 = alice.idempotency_key("c").create_customer("Northwind").await.created();
    let c2 = alice.idempotency_key("c").create_customer("Northwind").await.created();
    assert_eq!(c1, c2);
    alice.create_customer("northwind").await.problem(409, "already_exists");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_neither_skips_nor_repeats_under_concurrent_inserts() {
    let server = LocalServer::start().await;
    let alice = server.sales_manager("alice").await;
    let mut existing = HashSet::new();
    for i in 0..30 {
        let created = alice
            .create_opportunity(&opportunity_body(&format!("Existing {i}"), "Contoso"))
            .await
            .created();
        existing.insert(id_of(&created));
    }
    let writer = {
        let alice = alice.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                let created = alice
                    .create_opportunity(&opportunity_body(&format!("Concurrent {i}"), "Contoso"))
                    .await;
                assert_eq!(created.status, 201);
            }
        })
    };
    for sort in ["-created_at", "created_at"] {
        let seen = alice.every_opportunity_id(&format!("limit=7&sort={sort}")).await;
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
    let alice = server.sales_manager("alice").await;
    let admin = server.admin("root").await;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let alice = alice.clone();
        tasks.push(tokio::spawn(async move {
            let body = opportunity_body(&format!("Burst {i}"), &format!("Customer {}", i % 7));
            id_of(&alice.create_opportunity(&body).await.created())
        }));
    }
    let mut ids = HashSet::new();
    for task in tasks {
        ids.insert(task.await.unwrap());
    }
    assert_eq!(ids.len(), 100);
    let stored: HashSet<String> = admin.every_opportunity_id("limit=100").await.into_iter().collect();
    assert_eq!(stored, ids);
    let customers = alice.list_customers("limit=100").await.ok();
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
    let alice = server.sales_manager("alice").await;
    let root = server.admin("root").await;
    let id = id_of(
        &alice
            .create_opportunity(&opportunity_body("Cached", "Contoso"))
            .await
            .created(),
    );
    for round in 1..=5 {
        let before = alice.get_opportunity(&id).await.ok();
        let patched = alice
            .patch_opportunity(&id, &json!({ "title": format!("Round {round}") }))
            .await;
        assert_eq!(patched.status, 200);
        let after = alice.get_opportunity(&id).await;
        assert_eq!(
            after.header("etag"),
            Some(format!("\"{}\"", before["version"].as_i64().unwrap() + 1).as_str())
        );
        assert_eq!(
            after.body["title"],
            format!("Round {round}"),
            "a stale cached read after the update"
        );
    }
    // Complete it, submit it, then let the matching service move it on through the queue.
    alice.put_problem_statement(&id, STATEMENT).await.ok();
    let items = json!([{ "custom_name": "Rust", "category": "technical", "importance": "must_have", "min_proficiency": "expert" }]);
    alice.put_skill_requirements(&id, &items).await.ok();
    assert_eq!(alice.submit(&id).await.status, 200);
    let event = json!({ "event_id": uuid::Uuid::now_v7(), "opportunity_id": id, "status": "matching_in_progress", "occurred_at": "2026-11-22T10:00:00Z", "source": "matching-service" });
    assert_eq!(root.queue_status_event(&event).await.status, 202);
    // A status no event may set can never apply: parked at once. (A `completed` sent now would
    // wait in the queue for the events it follows.)
    let bogus = json!({ "event_id": uuid::Uuid::now_v7(), "opportunity_id": id, "status": "draft", "occurred_at": "2026-11-22T10:00:00Z", "source": "selection-service" });
    assert_eq!(root.queue_status_event(&bogus).await.status, 202);
    let mut status = Value::Null;
    for _ in 0..50 {
        status = alice.get_opportunity(&id).await.ok()["status"].clone();
        if status == "matching_in_progress" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "matching_in_progress");
    let mut parked = Value::Null;
    for _ in 0..50 {
        parked = root.local_queues().await.ok()["opportunity-status-events"]["dead_letters"].clone();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_upload_straight_to_the_store_and_are_checked_by_the_object_event() {
    let server = LocalServer::start().await;
    let alice = server.sales_manager("alice").await;
    let bob = server.sales_manager("bob").await;
    let opportunity = id_of(
        &alice
            .create_opportunity(&opportunity_body("With documents", "Contoso"))
            .await
            .created(),
    );
    let document = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n".repeat(50);

    let registered = alice
        .presign_upload(
            &opportunity,
            &json!({ "file_name": "../Angebot Q3 ä.pdf", "content_type": "application/pdf", "size_bytes": document.len(), "sha256": sha256_hex(&document) }),
        )
        .await
        .created();
    assert_eq!(registered["attachment"]["status"], "pending");
    assert_eq!(registered["attachment"]["file_name"], "Angebot Q3 ä.pdf");
    let id = id_of(&registered["attachment"]);
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
    assert_eq!(alice.upload(&tampered, document.clone(), None).await.status, 403);
    let mut forged = upload.clone();
    let url = upload["url"].as_str().unwrap();
    forged["url"] = json!(format!(
        "{}{}",
        &url[..url.len() - 1],
        if url.ends_with('0') { '1' } else { '0' }
    ));
    assert_eq!(alice.upload(&forged, document.clone(), None).await.status, 403);
    assert_eq!(
        alice
            .upload(upload, document[..document.len() - 1].to_vec(), None)
            .await
            .status,
        400,
        "wrong size"
    );
    assert_eq!(
        alice.upload(upload, document.clone(), Some("text/plain")).await.status,
        400,
        "wrong type"
    );
    let mut other = document.clone();
    other[0] = b'#';
    assert_eq!(alice.upload(upload, other, None).await.status, 400, "wrong checksum");

    // The real upload, then the ObjectCreated event completes the attachment.
    assert_eq!(alice.upload(upload, document.clone(), None).await.status, 200);
    let mut current = Value::Null;
    for _ in 0..50 {
        current = alice.get_attachment(&id).await.ok();
        if current["status"] == "available" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(current["status"], "available", "{current}");
    // The URL uploads once: a second PUT while it is still valid is refused as S3 refuses a
    // conditional (If-None-Match: *) write to an existing key.
    let second = alice.upload(upload, document.clone(), None).await;
    assert_eq!(second.status, 412);
    assert_eq!(second.code(), Some("precondition_failed"));
    let download = current["download"]["url"].as_str().unwrap();
    let downloaded = alice.download(download).await;
    assert_eq!(downloaded.status, 200);
    assert_eq!(downloaded.header("content-type"), Some("application/pdf"));
    assert_eq!(downloaded.bytes, document, "the same bytes come back");
    assert_eq!(
        alice.get_opportunity(&opportunity).await.ok()["attachments"][0]["status"],
        "available",
        "the opportunity lists it"
    );

    // Refusals at registration.
    let too_big = json!({ "file_name": "huge.pdf", "content_type": "application/pdf", "size_bytes": 104_857_601, "sha256": "ab".repeat(32) });
    assert_eq!(
        alice.presign_upload(&opportunity, &too_big).await.failing_fields(),
        vec!["size_bytes"]
    );
    let exe = json!({ "file_name": "setup.exe", "content_type": "application/x-msdownload", "size_bytes": 10, "sha256": "ab".repeat(32) });
    assert_eq!(
        alice.presign_upload(&opportunity, &exe).await.failing_fields(),
        vec!["content_type"]
    );
    bob.presign_upload(
        &opportunity,
        &json!({ "file_name": "a.pdf", "content_type": "application/pdf", "size_bytes": 10, "sha256": "ab".repeat(32) }),
    )
    .await
    .problem(404, "not_found");
    bob.get_attachment(&id).await.problem(404, "not_found");
    bob.delete_attachment(&id).await.problem(404, "not_found");

    let listed = alice.list_attachments(&opportunity).await.ok();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(alice.delete_attachment(&id).await.status, 204);
    alice.get_attachment(&id).await.problem(404, "not_found");
    assert_eq!(
        alice.download(download).await.status,
        400,
        "the object was deleted with the record"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_docs_page_and_its_swagger_ui_files_are_served_without_a_token_from_this_origin() {
    let server = LocalServer::start().await;
    let visitor = server.anonymous();
    let page = visitor.get("/docs").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    let html = page.text();
    assert!(html.contains("docs/docs-init.js"));
    // A page a browser renders: its own scripts only, never framed, its type not sniffed.
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
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
        let response = visitor.get(&format!("/docs/{asset}")).await;
        assert_eq!(response.status, 200, "{asset}");
        assert!(response.header("content-type").unwrap().starts_with(content_type));
        assert_eq!(response.header("cache-control"), Some("public, max-age=86400"));
        assert!(response.bytes.len() > 100_000, "{asset}");
    }
    visitor.get("/docs/secret.txt").await.problem(404, "not_found");
    assert_eq!(
        visitor.get("/openapi.json").await.ok(),
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
    let carol = server.sales_manager("carol").await;
    let admin = server.admin("root").await;
    let mut body = opportunity_body("Carol's", "Contoso");
    body["description"] = json!("Write to carol@example.com for the details.");
    let id = id_of(&carol.create_opportunity(&body).await.created());
    let me = carol.me().await.ok();
    assert_eq!(me["email"], "carol@example.com");
    assert!(me["first_seen_at"].is_string(), "{me}");
    let audit = admin.erase_subject("carol").await.ok();
    assert_eq!(audit["details"]["opportunities"], 1, "{audit}");
    let after = admin.get_opportunity(&id).await.ok();
    assert!(after["owner_id"].as_str().unwrap().starts_with("erased-"), "{after}");
    assert_eq!(after["description"], "Write to [erased] for the details.");
    carol.audit_events().await.problem(403, "forbidden");
    server.stop().await;
}
