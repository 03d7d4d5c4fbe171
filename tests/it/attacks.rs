//! The attack suite (issue 23): each case is something a caller tried from outside that once
//! worked, now refused. Through the handlers on SQLite and PostgreSQL (the API Gateway events AWS
//! sends), through the local server over HTTP, and through the production configuration's
//! function binaries (`production_end_to_end`, which runs the `events/auth/` samples too).

use std::sync::Arc;

use base64::Engine;
use oms::app::App;
use oms_tests::LocalServer;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

const MANAGER: &str = "manager-1";

/// A JWT whose payload is `payload` and whose signature is whatever `signed` carried: what an
/// attacker makes by editing a valid token.
fn with_edited_payload(signed: &str, edit: impl FnOnce(&mut Value)) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = signed.split('.').collect();
    let mut payload: Value = serde_json::from_slice(&b64.decode(parts[1]).expect("base64")).expect("JSON");
    edit(&mut payload);
    format!("{}.{}.{}", parts[0], b64.encode(payload.to_string()), parts[2])
}

/// An event of `function` as API Gateway sends it after the Lambda authorizer verified a Sales
/// Manager, with the `Authorization` values given (the event's `headers` keeps the last one).
fn event(function: &str, body: Option<Value>, authorization: &[&str], exp: i64) -> Value {
    let route = oms::routes::by_function(function).expect("route");
    let claims = json!({
        "sub": MANAGER, "cognito:groups": ["SalesManager"], "token_use": "id", "exp": exp,
        "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E"
    });
    let mut headers = json!({ "content-type": "application/json" });
    let mut multi = json!({ "content-type": ["application/json"] });
    if let Some(last) = authorization.last() {
        headers["Authorization"] = json!(last);
        multi["Authorization"] = json!(authorization);
    }
    json!({
        "resource": route.path, "path": route.path, "httpMethod": route.method.as_str(),
        "headers": headers, "multiValueHeaders": multi,
        "body": body.map(|b| b.to_string()), "isBase64Encoded": false,
        "requestContext": {
            "stage": "test", "requestId": Uuid::new_v4().to_string(), "httpMethod": route.method.as_str(),
            "resourcePath": route.path,
            "authorizer": { "principalId": MANAGER, "claims": claims.to_string() }
        }
    })
}

/// A token-shaped string whose payload claims Admin.
fn admin_looking_token() -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "Bearer {}.{}.c2lnbmF0dXJl",
        b64.encode(r#"{"alg":"RS256","kid":"k"}"#),
        b64.encode(json!({ "sub": MANAGER, "cognito:groups": ["Admin"], "token_use": "id" }).to_string())
    )
}

async fn a_second_authorization_header_is_refused_and_a_header_payload_grants_nothing(app: App) {
    let skill = json!({ "name": "Kubernetes", "category": "technical" });
    // Two values: the authorizer saw one of them; which, the function cannot know.
    let two = event(
        "create-skill",
        Some(skill.clone()),
        &["Bearer a.b.c", &admin_looking_token()],
        oms_tests::CLAIMS_EXP,
    );
    let (status, body) = oms_tests::call(&app, "create-skill", two).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated")),
        "{body}"
    );
    // One value whose payload says Admin: the claims the authorizer verified say Sales Manager.
    let edited = event(
        "create-skill",
        Some(skill),
        &[&admin_looking_token()],
        oms_tests::CLAIMS_EXP,
    );
    let (status, body) = oms_tests::call(&app, "create-skill", edited).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{body}");
    let (_, me) = oms_tests::call(
        &app,
        "get-me",
        event("get-me", None, &[&admin_looking_token()], oms_tests::CLAIMS_EXP),
    )
    .await;
    assert_eq!(me["groups"], json!(["SalesManager"]), "{me}");
    assert!(app.skills.list(None, 10).await.expect("list").is_empty());
}

async fn a_token_that_expired_after_the_authorizer_allowed_it_is_refused(app: App) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (status, body) = oms_tests::call(&app, "get-me", event("get-me", None, &["Bearer x.y.z"], now - 1)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated")),
        "{body}"
    );
    let (status, _) = oms_tests::call(&app, "get-me", event("get-me", None, &["Bearer x.y.z"], now + 60)).await;
    assert_eq!(status, 200);
}

async fn a_list_of_thousands_of_bad_items_is_refused_by_its_length(app: App) {
    oms_tests::fixtures::prepare(&app, oms_tests::fixtures::Fixture::Draft).await;
    let items: Vec<Value> = vec![json!(1); 4000];
    let mut call = oms_tests::api_event(
        "put-skill-requirements",
        Some(oms_tests::fixtures::OPPORTUNITY),
        Some(json!({ "items": items })),
        oms_tests::fixtures::SALES_MANAGER,
        "SalesManager",
    );
    call["headers"]["if-match"] = json!("\"1\"");
    let (status, body) = oms_tests::call(&app, "put-skill-requirements", call).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["errors"],
        json!([{ "field": "items", "message": "must list at most 50 items" }]),
        "one finding, not one per item"
    );
    // A body of more values than any request holds is refused while it is read.
    let many = json!({ "items": [], "reason": vec!["x"; 5000] });
    let (status, body) = oms_tests::call(
        &app,
        "put-skill-requirements",
        oms_tests::api_event(
            "put-skill-requirements",
            Some(oms_tests::fixtures::OPPORTUNITY),
            Some(many),
            oms_tests::fixtures::SALES_MANAGER,
            "SalesManager",
        ),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("payload_too_large")),
        "{body}"
    );
}

async fn invisible_characters_are_refused_and_lookalike_names_are_one_name(app: App) {
    let create = |name: &str| {
        oms_tests::api_event(
            "create-customer",
            None,
            Some(json!({ "name": name })),
            MANAGER,
            "SalesManager",
        )
    };
    for sneaky in [
        "Glo\u{200B}bex",
        "Globex\u{202E}",
        "\u{2066}Globex\u{2069}",
        "Glo\u{FEFF}bex",
    ] {
        let (status, body) = oms_tests::call(&app, "create-customer", create(sneaky)).await;
        assert_eq!(status, 422, "{sneaky:?}: {body}");
        assert_eq!(body["errors"][0]["field"], "name");
    }
    let (status, first) = oms_tests::call(&app, "create-customer", create("Cafe\u{301} Royal")).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["name"], "Caf\u{E9} Royal", "stored in NFC");
    let (status, again) = oms_tests::call(&app, "create-customer", create("Café Royal")).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("already_exists")),
        "{again}"
    );
    let title = oms_tests::opportunity_body("Order\u{200B} platform", "Contoso");
    let (status, body) = oms_tests::call(
        &app,
        "create-opportunity",
        oms_tests::api_event("create-opportunity", None, Some(title), MANAGER, "SalesManager"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "title");
}

async fn the_per_user_limit_refuses_the_request_over_it_with_retry_after(mut app: App) {
    app.limit = oms::ports::limits::RequestLimit {
        policy: oms::ports::limits::RatePolicy { per_minute: 3 },
        counter: Arc::new(oms::adapters::memory_counter::MemoryRequestCounter::new()),
    };
    let me = |sub: &str| oms_tests::api_event("get-me", None, None, sub, "SalesManager");
    for _ in 0..3 {
        assert_eq!(oms_tests::call(&app, "get-me", me(MANAGER)).await.0, 200);
    }
    let route = oms::routes::by_function("get-me").expect("route");
    let refused = oms::runtime::invoke_api_gateway_event(route, &app, me(MANAGER))
        .await
        .expect("proxy response");
    assert_eq!(refused["statusCode"], 429, "{refused}");
    let retry_after: u64 = refused["multiValueHeaders"]["retry-after"][0]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = serde_json::from_str(refused["body"].as_str().unwrap_or("null")).expect("JSON");
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(
        oms_tests::call(&app, "get-me", me("someone-else")).await.0,
        200,
        "each caller has an allowance of their own"
    );
}

async fn an_upload_cannot_be_registered_without_its_checksum(app: App) {
    oms_tests::fixtures::prepare(&app, oms_tests::fixtures::Fixture::Draft).await;
    let register = oms_tests::api_event(
        "presign-upload",
        Some(oms_tests::fixtures::OPPORTUNITY),
        Some(json!({ "file_name": "deck.pdf", "content_type": "application/pdf", "size_bytes": 1000 })),
        oms_tests::fixtures::SALES_MANAGER,
        "SalesManager",
    );
    let (status, body) = oms_tests::call(&app, "presign-upload", register).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"], json!([{ "field": "sha256", "message": "is required" }]));
}

on_every_backend!(
    apps: a_second_authorization_header_is_refused_and_a_header_payload_grants_nothing,
        a_token_that_expired_after_the_authorizer_allowed_it_is_refused,
        a_list_of_thousands_of_bad_items_is_refused_by_its_length,
        invisible_characters_are_refused_and_lookalike_names_are_one_name,
        the_per_user_limit_refuses_the_request_over_it_with_retry_after,
        an_upload_cannot_be_registered_without_its_checksum;
    executors:
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_a_second_authorization_header_cannot_make_a_sales_manager_an_admin() {
    let server = LocalServer::start().await;
    let token = server.token("mallory", &["SalesManager"], &[]).await;
    let forged = with_edited_payload(&token, |payload| payload["cognito:groups"] = json!(["Admin"]));
    let visitor = server.anonymous();
    let two_headers = |method: Method, path: &str| {
        visitor
            .request(method, path)
            .header("authorization", format!("Bearer {token}"))
            .header("authorization", format!("Bearer {forged}"))
    };
    let me = visitor.send(two_headers(Method::GET, "/v1/me")).await;
    assert_eq!(me.status, 401, "{:?}", me.body);
    assert_eq!(me.code(), Some("unauthenticated"));
    let audit = visitor.send(two_headers(Method::GET, "/v1/audit-events")).await;
    assert_eq!(audit.status, 401);
    let skill = visitor
        .send(two_headers(Method::POST, "/v1/skills").json(&json!({ "name": "Rust", "category": "technical" })))
        .await;
    assert_eq!(skill.status, 401);
    // The forged token alone fails its signature; the real one is a Sales Manager's.
    assert_eq!(server.session_with(forged).me().await.status, 401);
    let me = server.session_with(token).me().await;
    assert_eq!(me.body["groups"], json!(["SalesManager"]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_the_per_user_limit_counts_the_verified_caller_however_the_header_is_spelled() {
    let server = LocalServer::start_with(&[("OMS_REQUESTS_PER_MINUTE", "6".into())]).await;
    let token = server.token("hasty", &["SalesManager"], &[]).await;
    let visitor = server.anonymous();
    // A WAF rule keyed on the header's text gave each spelling a fresh allowance.
    let spellings = [
        format!("Bearer {token}"),
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("Bearer  {token}"),
        format!(" Bearer {token} "),
        format!("Bearer {token}"),
    ];
    for spelling in &spellings {
        let reply = visitor
            .send(visitor.request(Method::GET, "/v1/me").header("authorization", spelling))
            .await;
        assert_eq!(reply.status, 200, "{spelling:?}: {:?}", reply.body);
    }
    let over = visitor
        .send(
            visitor
                .request(Method::GET, "/v1/me")
                .header("authorization", format!("bearer {token}")),
        )
        .await;
    assert_eq!(over.status, 429, "{:?}", over.body);
    assert_eq!(over.code(), Some("rate_limited"));
    let retry_after: u64 = over
        .header("retry-after")
        .and_then(|s| s.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry_after));
    assert_eq!(server.sales_manager("patient").await.me().await.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_a_small_body_of_many_bad_items_is_answered_with_one_finding() {
    let server = LocalServer::start().await;
    let owner = server.sales_manager("owner").await;
    let created = owner
        .create_opportunity(&oms_tests::opportunity_body("Order platform", "Contoso"))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().expect("id").to_owned();
    // `{"items": [1, 1, ...]}` with `count` items, through the existing raw-body call.
    let editor = owner.with_header("if-match", "\"1\"");
    let path = format!("/v1/opportunities/{id}/skill-requirements");
    let put_items = |count: usize| {
        let body = format!("{{\"items\": [{}]}}", vec!["1"; count].join(","));
        editor.send_raw(Method::PUT, &path, "application/json", body)
    };
    let reply = put_items(4000).await;
    assert_eq!(reply.status, 422, "{:?}", reply.body);
    assert_eq!(reply.body["errors"][0]["field"], "items");
    assert_eq!(reply.body["errors"].as_array().map(Vec::len), Some(1));
    // Twice as many is more values than any request holds: refused while it is read.
    let reply = put_items(8000).await;
    assert_eq!(reply.status, 413, "{:?}", reply.body);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_development_sign_in_refuses_what_a_web_page_of_another_site_could_send() {
    let server = LocalServer::start().await;
    let visitor = server.anonymous();
    let wanted = json!({ "sub": "eve", "groups": ["Admin"] });
    let port = server.base_url.rsplit(':').next().expect("port").to_owned();
    // The sign-in as a page would post it, with one header of the test's choosing.
    let sign_in_with = |name: &'static str, value: String| {
        visitor.send(
            visitor
                .request(Method::POST, "/_local/token")
                .header(name, value)
                .json(&wanted),
        )
    };
    // DNS rebinding: the page's own host name now points at 127.0.0.1.
    let rebound = sign_in_with("host", format!("evil.example:{port}")).await;
    assert_eq!(rebound.status, 403, "{:?}", rebound.body);
    assert_eq!(rebound.code(), Some("forbidden"));
    // A cross-site form or `fetch` with a "simple" content type, which needs no preflight.
    let simple = visitor
        .send_raw(Method::POST, "/_local/token", "text/plain", wanted.to_string())
        .await;
    assert_eq!(simple.status, 415, "{:?}", simple.body);
    let foreign = sign_in_with("origin", "http://evil.example".into()).await;
    assert_eq!(foreign.status, 403, "{:?}", foreign.body);
    let own_page = sign_in_with("origin", server.base_url.clone()).await;
    assert_eq!(own_page.status, 200, "the console's own sign-in: {:?}", own_page.body);
    server.stop().await;
}
