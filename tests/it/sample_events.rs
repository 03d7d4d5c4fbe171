//! Every sample in `events/` is a payload AWS really sends (API Gateway REST proxy with the Lambda
//! authorizer's context; `events/auth/` also in the Cognito authorizer's shape; the TOKEN
//! authorizer's own event). Each runs through its function's handler, by the same `lambda_http`
//! adapter the Lambda runtime uses, on a database prepared with what the request needs.

use std::sync::Arc;

use oms::app::App;
use oms::domain::lifecycle::Status;
use oms::routes::{by_function, routes};
use oms_tests::fixtures::{Fixture, OPPORTUNITY, SALES_MANAGER, prepare};
use serde_json::Value;

fn sample(function: &str) -> Value {
    let path = oms_tests::workspace_root()
        .join("events")
        .join(format!("{function}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .expect("sample is JSON")
}

/// Each function's sample, what it needs, and the status it must answer with.
const EXPECTATIONS: &[(&str, Fixture, u16)] = &[
    ("health", Fixture::Catalog, 200),
    ("get-openapi", Fixture::Catalog, 200),
    ("get-docs", Fixture::Catalog, 200),
    ("get-docs-asset", Fixture::Catalog, 200),
    ("get-me", Fixture::Catalog, 200),
    ("list-customers", Fixture::Catalog, 200),
    ("get-customer", Fixture::Catalog, 200),
    ("create-customer", Fixture::Catalog, 201),
    ("list-skills", Fixture::Catalog, 200),
    ("get-skill", Fixture::Catalog, 200),
    ("create-skill", Fixture::Catalog, 201),
    ("create-opportunity", Fixture::Catalog, 201),
    ("list-opportunities", Fixture::Draft, 200),
    ("get-opportunity", Fixture::Draft, 200),
    ("patch-opportunity", Fixture::Draft, 200),
    ("put-problem-statement", Fixture::Draft, 200),
    ("put-skill-requirements", Fixture::Draft, 200),
    ("submit-opportunity", Fixture::CompleteDraft, 200),
    ("cancel-opportunity", Fixture::Draft, 200),
    ("reactivate-opportunity", Fixture::Cancelled, 200),
    ("get-opportunity-history", Fixture::Draft, 200),
    ("presign-upload", Fixture::CompleteDraft, 201),
    ("list-attachments", Fixture::CompleteDraft, 200),
    ("get-attachment", Fixture::CompleteDraft, 200),
    ("delete-attachment", Fixture::CompleteDraft, 204),
    ("export-subject-data", Fixture::Draft, 200),
    ("erase-subject-data", Fixture::Draft, 200),
    ("list-audit-events", Fixture::Draft, 200),
    ("get-pipeline-report", Fixture::Draft, 200),
];

/// The app client of the samples' tokens (`aud` of the ID tokens, `client_id` of the access one).
const SAMPLE_APP_CLIENT: &str = "4f2k9h3j5l7n1p3r5t7v9x1z3b";
/// The origin the samples' stage allows.
const SAMPLE_ORIGIN: &str = "https://console.example.com";

/// An application configured as the template configures a stage: its app client, both token
/// kinds, and its browser origin.
fn as_deployed(mut app: App) -> App {
    app.clients = oms::auth::ClientPolicy::parse(Some(SAMPLE_APP_CLIENT), Some("id,access")).expect("policy");
    app.cors = oms::http::cors::Cors::new(Some(SAMPLE_ORIGIN)).expect("origin");
    app
}

#[test]
fn every_function_has_a_sample_and_an_expectation() {
    for route in routes() {
        assert!(
            EXPECTATIONS.iter().any(|(f, _, _)| *f == route.function),
            "{route:?} has no expectation"
        );
        let event = sample(route.function);
        assert_eq!(event["resource"], route.path, "{}: resource", route.function);
        assert_eq!(event["httpMethod"], route.method.as_str(), "{}: method", route.function);
        if route.authenticated {
            // The Lambda authorizer's context: the verified claims as one JSON string.
            let authorizer = &event["requestContext"]["authorizer"];
            let claims: Value = serde_json::from_str(authorizer["claims"].as_str().unwrap_or_default())
                .unwrap_or_else(|e| panic!("{}: claims are not a JSON string: {e}", route.function));
            assert!(claims["sub"].is_string(), "{}: no sub in the claims", route.function);
            assert_eq!(
                authorizer["principalId"], claims["sub"],
                "{}: principalId",
                route.function
            );
            assert_eq!(authorizer["sub"], claims["sub"], "{}: sub", route.function);
        }
    }
}

#[tokio::test]
async fn every_sample_event_runs_through_its_handler() {
    for (function, fixture, status) in EXPECTATIONS {
        let (executor, _dir) = oms_tests::sqlite_executor().await;
        let mut app = as_deployed(App::over_sql(Arc::clone(&executor)));
        app.pseudonyms = Some(oms::domain::privacy::PseudonymKey::new(vec![9; 32]).expect("key"));
        let objects = oms_tests::attachment_fixtures::object_store(_dir.path());
        app.objects = Arc::new(objects.clone());
        prepare(&app, *fixture).await;
        if function.contains("attachment") {
            use oms::domain::attachment::AttachmentStatus;
            oms_tests::attachment_fixtures::register(&app, AttachmentStatus::Available).await;
            let size = oms_tests::attachment_fixtures::SIZE as usize;
            oms_tests::attachment_fixtures::upload(&objects, &vec![7u8; size], "application/pdf").await;
        }
        let route = by_function(function).expect("route");
        let response = oms::runtime::invoke_api_gateway_event(route, &app, sample(function))
            .await
            .expect("a proxy response");
        assert_eq!(response["statusCode"], *status, "{function}: {response}");
        let headers = &response["multiValueHeaders"];
        assert_eq!(
            headers["x-request-id"][0], "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "{function}: request id"
        );
        assert_eq!(
            headers["access-control-allow-origin"][0], SAMPLE_ORIGIN,
            "{function}: CORS origin"
        );
        assert_eq!(
            headers["access-control-expose-headers"][0], "ETag, Location, x-request-id",
            "{function}: exposed headers"
        );
        let content_type = headers["content-type"][0].as_str().unwrap_or_default().to_owned();
        let text = response["body"].as_str().unwrap_or_default().to_owned();
        let body: Value = match content_type.contains("json") && !text.is_empty() {
            true => serde_json::from_str(&text).expect("JSON body"),
            false => Value::Null,
        };
        match *function {
            "get-openapi" => assert_eq!(body["openapi"], "3.1.0"),
            "get-docs" => {
                assert!(content_type.starts_with("text/html"), "{content_type}");
                assert!(text.contains("docs/docs-init.js"));
                assert_eq!(headers["x-content-type-options"][0], "nosniff");
                assert!(
                    headers["content-security-policy"][0]
                        .as_str()
                        .unwrap_or_default()
                        .contains("script-src 'self'")
                );
            }
            "get-docs-asset" => {
                assert!(content_type.starts_with("text/css"), "{content_type}");
                assert_eq!(headers["cache-control"][0], oms::docs::ASSET_CACHE_CONTROL);
                assert!(text.contains(".swagger-ui"));
            }
            "get-me" => assert_eq!(body["id"], SALES_MANAGER),
            "list-customers" => assert_eq!(body["items"][0]["name"], "Contoso"),
            "get-customer" => assert_eq!(body["name"], "Contoso"),
            "get-skill" => assert_eq!(body["name"], "AWS Lambda"),
            "create-opportunity" => {
                assert_eq!(body["customer"]["name"], "Contoso");
                assert!(
                    headers["location"][0]
                        .as_str()
                        .unwrap()
                        .starts_with("/v1/opportunities/")
                );
            }
            "list-opportunities" => assert_eq!(body["items"][0]["id"], OPPORTUNITY.to_string()),
            "patch-opportunity" => assert_eq!(
                (body["priority"].as_str(), body["version"].as_i64()),
                (Some("critical"), Some(2))
            ),
            "put-skill-requirements" => {
                assert_eq!(body["skill_requirements"][0]["name"], "AWS Lambda")
            }
            "submit-opportunity" => assert_eq!(body["status"], "submitted"),
            "cancel-opportunity" => assert_eq!(body["status"], "cancelled"),
            "reactivate-opportunity" => assert_eq!(body["status"], "draft"),
            "get-opportunity-history" => assert_eq!(body["items"][0]["to"], "draft"),
            "presign-upload" => {
                assert_eq!(body["attachment"]["status"], "pending");
                assert_eq!(body["upload"]["method"], "PUT");
                assert_eq!(body["upload"]["headers"]["content-type"], "application/pdf");
            }
            "list-attachments" => assert_eq!(body["items"][0]["status"], "available"),
            "get-attachment" => assert!(
                body["download"]["url"]
                    .as_str()
                    .unwrap()
                    .contains("/_local/objects/attachments/")
            ),
            "delete-attachment" => assert_eq!(body, Value::Null),
            "export-subject-data" => assert_eq!(body["opportunities"][0]["id"], OPPORTUNITY.to_string()),
            "erase-subject-data" => assert_eq!(body["details"]["opportunities"], 1),
            "list-audit-events" => assert_eq!(body["items"], serde_json::json!([])),
            _ => {}
        }
    }
}

/// The samples in `events/auth/`: what an authorizer lets through (API Gateway's Cognito authorizer
/// accepts any valid token of the pool; a cached Allow outlives the token) and what the functions
/// make of it.
const AUTH_SAMPLES: &[(&str, &str, u16, &str)] = &[
    ("access-token", "get-me", 200, ""),
    ("foreign-app-client", "get-me", 401, "unauthenticated"),
    ("wrong-token-use", "get-me", 401, "unauthenticated"),
    // The Lambda authorizer's list: the group `Partners,Admin` is one group, not Admin.
    ("group-named-with-a-comma", "create-skill", 403, "forbidden"),
    // Joined names that are not plain names (brackets, spaces) cannot be read safely.
    ("unreadable-groups", "create-skill", 401, "unauthenticated"),
    // A Sales Manager's valid token, then the same token with its payload edited to Admin: the
    // event's `headers` keeps only the second, `multiValueHeaders` shows both.
    ("two-authorization-headers", "create-skill", 401, "unauthenticated"),
    // One header whose payload says Admin, claims that say Sales Manager: the claims win.
    ("edited-groups-in-the-header", "create-skill", 403, "forbidden"),
    // An Allow that API Gateway cached for a token that has expired since.
    ("expired-token", "get-me", 401, "unauthenticated"),
    // The Lambda authorizer's context: the verified claims as one JSON string.
    ("lambda-authorizer-access-token", "get-me", 200, ""),
];

#[tokio::test]
async fn the_auth_samples_are_accepted_or_refused_as_their_names_say() {
    for (name, function, status, code) in AUTH_SAMPLES {
        let (executor, _dir) = oms_tests::sqlite_executor().await;
        let app = as_deployed(App::over_sql(executor));
        prepare(&app, Fixture::Catalog).await;
        let path = oms_tests::workspace_root()
            .join("events/auth")
            .join(format!("{name}.json"));
        let event: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("sample")).expect("JSON");
        assert_eq!(event["resource"], by_function(function).expect("route").path, "{name}");
        let response = oms::runtime::invoke_api_gateway_event(by_function(function).expect("route"), &app, event)
            .await
            .expect("a proxy response");
        assert_eq!(response["statusCode"], *status, "{name}: {response}");
        let body: Value = serde_json::from_str(response["body"].as_str().unwrap_or("null")).expect("JSON body");
        if code.is_empty() {
            assert_eq!(body["id"], SALES_MANAGER, "{name}");
        } else {
            assert_eq!(body["code"], *code, "{name}: {body}");
        }
        assert_eq!(
            response["multiValueHeaders"]["access-control-allow-origin"][0], SAMPLE_ORIGIN,
            "{name}: refusals carry the CORS origin too"
        );
    }
    // Nothing was created by the refused create-skill samples.
    let (executor, _dir) = oms_tests::sqlite_executor().await;
    let app = as_deployed(App::over_sql(executor));
    for name in [
        "group-named-with-a-comma",
        "unreadable-groups",
        "two-authorization-headers",
        "edited-groups-in-the-header",
    ] {
        let path = oms_tests::workspace_root()
            .join("events/auth")
            .join(format!("{name}.json"));
        let event: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        oms::runtime::invoke_api_gateway_event(by_function("create-skill").unwrap(), &app, event)
            .await
            .unwrap();
    }
    let skills = app.skills.list(None, 100).await.expect("list");
    assert!(skills.is_empty(), "a refused caller created {skills:?}");
}

#[test]
fn every_function_crate_has_a_sample_event() {
    let functions = oms_tests::workspace_root().join("functions");
    let mut names: Vec<String> = std::fs::read_dir(&functions)
        .expect("functions/")
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("Cargo.toml").exists())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 19, "{names:?}");
    for name in names {
        let path = oms_tests::workspace_root().join("events").join(format!("{name}.json"));
        assert!(path.exists(), "no sample event for the function {name}");
        let _: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).expect("sample is JSON");
    }
}

#[tokio::test]
async fn the_sqs_and_schedule_samples_run_through_their_consumers() {
    use oms::adapters::local_queue::LocalQueue;
    use oms::adapters::memory_cache::MemoryCache;
    use oms::ports::cache::{Cache, opportunity_key};
    use std::time::Duration;

    // cache-invalidation: both change events are applied, none fails.
    let (executor, _dir) = oms_tests::sqlite_executor().await;
    let mut app = App::over_sql(executor);
    let cache = Arc::new(MemoryCache::new());
    app.cache = cache.clone();
    cache
        .put(&opportunity_key(OPPORTUNITY), 1, "{}", time::Duration::minutes(5))
        .await
        .unwrap();
    let event = serde_json::from_value(sample("cache-invalidation")).expect("an SQS event");
    let response = oms::consumers::cache_invalidation::handle(&app, event).await;
    assert!(response.batch_item_failures.is_empty());
    assert!(
        cache.get(&opportunity_key(OPPORTUNITY)).await.unwrap().is_none(),
        "the entry was invalidated"
    );
    assert!(
        !cache
            .put(&opportunity_key(OPPORTUNITY), 2, "{}", time::Duration::minutes(5))
            .await
            .unwrap(),
        "version 2 is older than the invalidation (3)"
    );

    // opportunity-status-events: the submitted opportunity moves to matching_in_progress.
    let (executor, _dir) = oms_tests::sqlite_executor().await;
    let mut app = App::over_sql(executor);
    let dead = Arc::new(LocalQueue::new("dlq", Duration::from_secs(30), 3));
    app.dead_letters = dead.clone();
    prepare(&app, Fixture::Submitted).await;
    let event = serde_json::from_value(sample("opportunity-status-events")).expect("an SQS event");
    let response = oms::consumers::status_events::handle(&app, event).await;
    assert!(response.batch_item_failures.is_empty());
    assert!(dead.dead_letters().is_empty(), "{:?}", dead.dead_letters());
    assert_eq!(
        app.opportunities.get(OPPORTUNITY).await.unwrap().unwrap().status,
        Status::MatchingInProgress
    );

    // outbox-relay: the scheduled event publishes what the outbox holds.
    let queue = Arc::new(LocalQueue::new("change-events", Duration::from_secs(30), 3));
    app.publisher = queue.clone();
    let report = oms::consumers::outbox_relay::handle(&app, sample("outbox-relay"))
        .await
        .expect("relay");
    assert!(report["found"].as_u64().unwrap() >= 4, "{report}");
    assert_eq!(report["found"], report["published"]);
    assert_eq!(queue.depth() as u64, report["published"].as_u64().unwrap());
}

#[tokio::test]
async fn the_s3_sample_completes_known_uploads_and_clears_orphans() {
    use oms::domain::attachment::AttachmentStatus;
    use oms_tests::attachment_fixtures::{ATTACHMENT, SIZE, object_store, register, upload};

    let (executor, dir) = oms_tests::sqlite_executor().await;
    let mut app = App::over_sql(executor);
    let objects = object_store(dir.path());
    app.objects = Arc::new(objects.clone());
    prepare(&app, Fixture::CompleteDraft).await;
    register(&app, AttachmentStatus::Pending).await;
    upload(&objects, &vec![1u8; SIZE as usize], "application/pdf").await;
    let event = serde_json::from_value(sample("attachment-complete")).expect("an S3 event");
    let report = oms::consumers::attachments::handle(&app, event).await.expect("handled");
    let outcomes: Vec<&str> = report["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        vec!["available", "orphan_deleted"],
        "the export key is not an attachment and is left alone"
    );
    assert_eq!(
        app.attachments.attachment(ATTACHMENT).await.unwrap().unwrap().status,
        AttachmentStatus::Available
    );
    // A duplicate delivery changes nothing.
    let again = serde_json::from_value(sample("attachment-complete")).expect("an S3 event");
    let report = oms::consumers::attachments::handle(&app, again).await.expect("handled");
    assert_eq!(report["records"][0]["outcome"], "already_done");
    // The schedule finds nothing lapsed.
    let expiry = oms::consumers::attachments::expire_uploads(&app, sample("expire-uploads"))
        .await
        .expect("expiry");
    assert_eq!(expiry["checked"], 0);
}

/// Tokens of the samples' user pool, signed with the test key the authorizer is given.
mod pool {
    use jsonwebtoken::jwk::{Jwk, JwkSet};
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::json;

    pub const POOL: &str = "eu-west-1_Ab12Cd34E";

    fn key(name: &str) -> EncodingKey {
        let path = oms_tests::workspace_root().join("shared/src/auth/testdata").join(name);
        EncodingKey::from_rsa_pem(&std::fs::read(path).expect("test key")).expect("RSA key")
    }

    pub fn jwks() -> JwkSet {
        let mut jwk = Jwk::from_encoding_key(&key("test-signing-key.pem"), Algorithm::RS256).expect("JWK");
        jwk.common.key_id = Some("pool-key".into());
        JwkSet { keys: vec![jwk] }
    }

    /// A token of `token_use` for `client`, expiring in `expires_in` seconds, signed by `key_file`.
    pub fn token(token_use: &str, client: &str, expires_in: i64, key_file: &str) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut claims = json!({
            "sub": oms_tests::fixtures::SALES_MANAGER,
            "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"),
            "token_use": token_use,
            "cognito:groups": ["SalesManager"],
            "email": "dana@example.com",
            "iat": now,
            "exp": now + expires_in,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        claims[if token_use == "access" { "client_id" } else { "aud" }] = json!(client);
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("pool-key".into());
        jsonwebtoken::encode(&header, &claims, &key(key_file)).expect("signed")
    }
}

/// `events/authorizer.json` (API Gateway's TOKEN authorizer event) with each kind of token: the
/// app client's ID and access tokens are allowed on the whole stage with their claims in the
/// context, and that context, as API Gateway passes it on, lets the caller through get-me; a
/// foreign app client, a refresh token, an expired token and a bad signature are `Unauthorized`.
#[tokio::test]
async fn the_authorizer_sample_allows_the_app_clients_id_and_access_tokens_and_refuses_the_rest() {
    use oms::auth::authorizer::{Authorizer, AuthorizerConfig, UNAUTHORIZED};
    use oms::auth::jwt::KeySource;

    let config = AuthorizerConfig::from_vars(|name| match name {
        "OMS_COGNITO_USER_POOL_ID" => Some(pool::POOL.to_owned()),
        "OMS_COGNITO_APP_CLIENT_IDS" => Some(SAMPLE_APP_CLIENT.to_owned()),
        "OMS_COGNITO_TOKEN_USES" => Some("id,access".to_owned()),
        _ => None,
    })
    .expect("configuration");
    let authorizer = Authorizer::for_pool(&config, KeySource::Static(pool::jwks()));
    let with_token = |token: &str| {
        let mut event = sample("authorizer");
        assert_eq!(event["type"], "TOKEN");
        event["authorizationToken"] = Value::String(format!("Bearer {token}"));
        serde_json::from_value(event).expect("a TOKEN authorizer event")
    };
    for kind in ["id", "access"] {
        let token = pool::token(kind, SAMPLE_APP_CLIENT, 300, "test-signing-key.pem");
        let response = authorizer
            .authorize(with_token(&token))
            .await
            .unwrap_or_else(|e| panic!("{kind} token refused: {e}"));
        let answer = serde_json::to_value(&response).expect("JSON");
        assert_eq!(answer["principalId"], SALES_MANAGER, "{kind}");
        assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Allow", "{kind}");
        assert_eq!(
            answer["policyDocument"]["Statement"][0]["Resource"][0],
            "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*",
            "{kind}: the whole stage, so a cached answer fits every route"
        );
        let claims: Value =
            serde_json::from_str(answer["context"]["claims"].as_str().expect("claims as a string")).expect("JSON");
        assert_eq!(claims["token_use"], kind);
        assert_eq!(answer["context"]["sub"], SALES_MANAGER);

        // What API Gateway then sends the function: the context plus the principal.
        let mut event = sample("get-me");
        let mut context = answer["context"].clone();
        context["principalId"] = answer["principalId"].clone();
        event["requestContext"]["authorizer"] = context;
        event["headers"]["Authorization"] = Value::String(format!("Bearer {token}"));
        event["multiValueHeaders"]["Authorization"] = serde_json::json!([format!("Bearer {token}")]);
        let (executor, _dir) = oms_tests::sqlite_executor().await;
        let app = as_deployed(App::over_sql(executor));
        let proxy = oms::runtime::invoke_api_gateway_event(by_function("get-me").expect("route"), &app, event)
            .await
            .expect("a proxy response");
        assert_eq!(proxy["statusCode"], 200, "{kind}: {proxy}");
        let body: Value = serde_json::from_str(proxy["body"].as_str().expect("body")).expect("JSON");
        assert_eq!(body["id"], SALES_MANAGER, "{kind}");
        assert_eq!(body["groups"], serde_json::json!(["SalesManager"]), "{kind}");
    }
    let refused = [
        (
            "foreign app client",
            pool::token("id", "another-app-client", 300, "test-signing-key.pem"),
        ),
        (
            "foreign app client (access)",
            pool::token("access", "another-app-client", 300, "test-signing-key.pem"),
        ),
        (
            "refresh token",
            pool::token("refresh", SAMPLE_APP_CLIENT, 300, "test-signing-key.pem"),
        ),
        (
            "expired",
            pool::token("id", SAMPLE_APP_CLIENT, -60, "test-signing-key.pem"),
        ),
        (
            "bad signature",
            pool::token("id", SAMPLE_APP_CLIENT, 300, "other-signing-key.pem"),
        ),
    ];
    for (name, token) in refused {
        assert_eq!(
            authorizer.authorize(with_token(&token)).await.err(),
            Some(UNAUTHORIZED),
            "{name}"
        );
    }
}
