//! The user directory and the privacy requests through the functions' dispatch, on SQLite and
//! PostgreSQL: profiles recorded by writes (never by reads), owner names and the owner filter,
//! the GDPR export (inline and as a link), the erasure (pseudonyms, scrubbed text, invalidated
//! caches, repeatable) and the audit log; and every privacy SQL text run on both backends.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use oms::adapters::memory_cache::MemoryCache;
use oms::app::App;
use oms::domain::privacy::{PseudonymKey, is_pseudonym};
use oms::ports::objects::ObjectStore;
use oms::sql::SqlExecutor;
use oms::store::privacy_sql;
use oms_tests::recording::Recording;
use oms_tests::{api_event, call, opportunity_body};
use serde_json::{Value, json};
use uuid::Uuid;

const ALICE: &str = "alice-sub";
const ALICE_EMAIL: &str = "alice@example.com";
const ALICE_NAME: &str = "Alice Example";
const ADMIN: &str = "admin-sub";

/// An API Gateway event whose verified claims carry an e-mail address and a name.
fn event_as(
    function: &str,
    path: &[(&str, &str)],
    body: Option<Value>,
    sub: &str,
    groups: &str,
    profile: Option<(&str, &str)>,
) -> Value {
    let mut event = api_event(function, None, body, sub, groups);
    let route = oms::routes::by_function(function).unwrap();
    let mut concrete = route.path.to_owned();
    let mut parameters = serde_json::Map::new();
    for (name, value) in path {
        concrete = concrete.replace(&format!("{{{name}}}"), value);
        parameters.insert((*name).into(), json!(value));
    }
    event["path"] = json!(concrete);
    if !parameters.is_empty() {
        event["pathParameters"] = Value::Object(parameters);
    }
    if let Some((email, name)) = profile {
        event["requestContext"]["authorizer"]["claims"]["email"] = json!(email);
        event["requestContext"]["authorizer"]["claims"]["name"] = json!(name);
    }
    event
}

fn with_query(mut event: Value, query: Value) -> Value {
    event["queryStringParameters"] = query;
    event
}

fn app_over(executor: Arc<dyn SqlExecutor>) -> App {
    let mut app = App::over_sql(executor);
    app.cache = Arc::new(MemoryCache::new());
    app.pseudonyms = Some(PseudonymKey::new(vec![42; 32]).unwrap());
    app
}

/// Alice creates an opportunity that names her, cancels it with a reason that names her; the
/// Admin creates a skill. Returns the opportunity id.
async fn alice_works(app: &App) -> Uuid {
    let alice = Some((ALICE_EMAIL, ALICE_NAME));
    let mut body = opportunity_body("Platform for Alice Example", "Contoso");
    body["description"] = json!(format!("Contact {ALICE_NAME} at {ALICE_EMAIL} (or ALICE EXAMPLE)."));
    let (status, created) = call(
        app,
        "create-opportunity",
        event_as("create-opportunity", &[], Some(body), ALICE, "SalesManager", alice),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["owner_name"], ALICE_NAME, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, cancelled) = call(
        app,
        "cancel-opportunity",
        event_as(
            "cancel-opportunity",
            &[("id", &id)],
            Some(json!({ "reason": format!("{ALICE_EMAIL} asked to stop") })),
            ALICE,
            "SalesManager",
            alice,
        ),
    )
    .await;
    assert_eq!(status, 200, "{cancelled}");
    id.parse().unwrap()
}

async fn get_json(app: &App, event: Value) -> (u16, Value) {
    call(
        app,
        event["requestContext"]["resourcePath"]
            .as_str()
            .map(function_of)
            .unwrap(),
        event,
    )
    .await
}

fn function_of(path: &str) -> &'static str {
    oms::routes::routes()
        .find(|r| r.path == path)
        .map(|r| r.function)
        .unwrap()
}

async fn me(app: &App, sub: &str, profile: Option<(&str, &str)>) -> Value {
    let (status, body) = get_json(app, event_as("get-me", &[], None, sub, "SalesManager", profile)).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn a_write_records_the_profile_and_a_read_does_not(executor: Arc<dyn SqlExecutor>) {
    let app = app_over(executor);
    let alice = Some((ALICE_EMAIL, ALICE_NAME));
    let before = me(&app, ALICE, alice).await;
    assert_eq!(before["email"], ALICE_EMAIL, "from the token before any write");
    assert!(before["first_seen_at"].is_null(), "{before}");
    let before_again = me(&app, ALICE, alice).await;
    assert!(before_again["first_seen_at"].is_null(), "a read writes no profile");
    alice_works(&app).await;
    // The profile cache (15 minutes) of a new caller holds nothing yet: read it fresh.
    let stored = me(&app, ALICE, None).await;
    assert_eq!(stored["id"], ALICE);
    assert_eq!(
        stored["email"], ALICE_EMAIL,
        "the stored profile, not the token's (none)"
    );
    assert_eq!(stored["name"], ALICE_NAME);
    assert_eq!(stored["groups"], json!(["SalesManager"]));
    assert!(
        stored["first_seen_at"].is_string() && stored["last_seen_at"].is_string(),
        "{stored}"
    );
}

async fn admins_see_owner_names_and_filter_by_owner(executor: Arc<dyn SqlExecutor>) {
    let app = app_over(executor);
    alice_works(&app).await;
    let (status, created) = call(
        &app,
        "create-opportunity",
        event_as(
            "create-opportunity",
            &[],
            Some(opportunity_body("Bob's", "Fabrikam")),
            "bob-sub",
            "SalesManager",
            None,
        ),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let list = |sub: &str, groups: &str, query: Value| {
        with_query(event_as("list-opportunities", &[], None, sub, groups, None), query)
    };
    let (status, all) = call(&app, "list-opportunities", list(ADMIN, "Admin", Value::Null)).await;
    assert_eq!(status, 200, "{all}");
    let names: Vec<(Value, Value)> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["owner_id"].clone(), i["owner_name"].clone()))
        .collect();
    assert!(names.contains(&(json!(ALICE), json!(ALICE_NAME))), "{names:?}");
    assert!(
        names.contains(&(json!("bob-sub"), Value::Null)),
        "no name in Bob's token: {names:?}"
    );
    let (status, alices) = call(
        &app,
        "list-opportunities",
        list(ADMIN, "Admin", json!({ "owner_id": ALICE })),
    )
    .await;
    assert_eq!(status, 200, "{alices}");
    assert_eq!(alices["items"].as_array().unwrap().len(), 1);
    assert_eq!(alices["items"][0]["owner_id"], ALICE);
    let (status, own) = call(
        &app,
        "list-opportunities",
        list("bob-sub", "SalesManager", json!({ "owner_id": "bob-sub" })),
    )
    .await;
    assert_eq!((status, own["items"].as_array().map(Vec::len)), (200, Some(1)));
    let (status, refused) = call(
        &app,
        "list-opportunities",
        list("bob-sub", "SalesManager", json!({ "owner_id": ALICE })),
    )
    .await;
    assert_eq!((status, refused["code"].as_str()), (403, Some("forbidden")));
    let (status, blank) = call(
        &app,
        "list-opportunities",
        list(ADMIN, "Admin", json!({ "owner_id": " " })),
    )
    .await;
    assert_eq!((status, blank["code"].as_str()), (400, Some("invalid_parameter")));
}

async fn export(app: &App, subject: &str, query: Value) -> (u16, Value) {
    call(
        app,
        "export-subject-data",
        with_query(
            event_as(
                "export-subject-data",
                &[("user_id", subject)],
                None,
                ADMIN,
                "Admin",
                None,
            ),
            query,
        ),
    )
    .await
}

async fn an_export_holds_everything_about_the_person_and_is_audited(executor: Arc<dyn SqlExecutor>) {
    let app = app_over(executor);
    let id = alice_works(&app).await;
    let (status, document) = export(&app, ALICE, Value::Null).await;
    assert_eq!(status, 200, "{document}");
    assert_eq!(document["subject_id"], ALICE);
    assert_eq!(document["profile"]["email"], ALICE_EMAIL);
    assert_eq!(document["opportunities"].as_array().unwrap().len(), 1);
    let opportunity = &document["opportunities"][0];
    assert_eq!(opportunity["id"], id.to_string());
    assert!(
        opportunity["description"].as_str().unwrap().contains(ALICE_EMAIL),
        "whole"
    );
    assert_eq!(
        document["history"].as_array().unwrap().len(),
        2,
        "created and cancelled"
    );
    assert!(
        document["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["actor"] == ALICE)
    );
    assert_eq!(document["customers"][0]["name"], "Contoso", "she created the customer");
    assert!(
        document["other_records"]["outbox_events"].as_i64().unwrap() >= 1,
        "the creation names her"
    );
    let (status, nobody) = export(&app, "never-seen", Value::Null).await;
    assert_eq!(status, 200, "{nobody}");
    assert!(
        nobody["profile"].is_null() && nobody["opportunities"] == json!([]),
        "{nobody}"
    );
    let (status, refused) = call(
        &app,
        "export-subject-data",
        event_as(
            "export-subject-data",
            &[("user_id", ALICE)],
            None,
            "bob-sub",
            "SalesManager",
            None,
        ),
    )
    .await;
    assert_eq!((status, refused["code"].as_str()), (403, Some("forbidden")));
    let (status, log) = call(
        &app,
        "list-audit-events",
        event_as("list-audit-events", &[], None, ADMIN, "Admin", None),
    )
    .await;
    assert_eq!(status, 200, "{log}");
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "both exports, the refused one not: {log}");
    assert_eq!(items[0]["action"], "privacy_export");
    assert_eq!(items[0]["actor_id"], ADMIN);
    assert_eq!(items[0]["subject_id"], ALICE);
    assert_eq!(items[0]["details"]["opportunities"], 1);
    assert_eq!(items[0]["details"]["delivery"], "inline");
    assert_eq!(items[1]["subject_id"], "never-seen");
}

async fn a_large_export_is_a_link_to_a_file_in_the_exports_bucket(executor: Arc<dyn SqlExecutor>) {
    let mut app = app_over(executor);
    let dir = tempfile::tempdir().unwrap();
    let exports = Arc::new(oms_tests::attachment_fixtures::object_store(dir.path()));
    app.exports = exports.clone();
    app.export_inline_bytes = 512;
    alice_works(&app).await;
    let (status, link) = export(&app, ALICE, Value::Null).await;
    assert_eq!(status, 200, "{link}");
    assert!(
        link["download"]["url"]
            .as_str()
            .unwrap()
            .contains("/_local/objects/privacy-exports/"),
        "{link}"
    );
    let (_, log) = get_json(&app, event_as("list-audit-events", &[], None, ADMIN, "Admin", None)).await;
    let audit = &log["items"][0];
    assert_eq!(audit["details"]["delivery"], "link");
    let key = format!("privacy-exports/{}.json", audit["id"].as_str().unwrap());
    let facts = exports.head(&key).await.unwrap().expect("the export file");
    assert_eq!(facts.size_bytes, link["size_bytes"].as_i64().unwrap());
    assert!(facts.size_bytes > 512);
}

async fn erase(app: &App, subject: &str, groups: &str) -> (u16, Value) {
    call(
        app,
        "erase-subject-data",
        event_as("erase-subject-data", &[("user_id", subject)], None, ADMIN, groups, None),
    )
    .await
}

async fn an_erasure_leaves_the_records_without_the_person_and_can_be_repeated(executor: Arc<dyn SqlExecutor>) {
    let app = app_over(executor);
    let id = alice_works(&app).await;
    let (status, before) = call(
        &app,
        "get-opportunity",
        event_as(
            "get-opportunity",
            &[("id", &id.to_string())],
            None,
            ADMIN,
            "Admin",
            None,
        ),
    )
    .await;
    assert_eq!(
        (status, before["owner_name"].as_str()),
        (200, Some(ALICE_NAME)),
        "cached now"
    );
    me(&app, ALICE, None).await;
    let (status, refused) = erase(&app, ALICE, "SalesManager").await;
    assert_eq!((status, refused["code"].as_str()), (403, Some("forbidden")));

    let (status, audit) = erase(&app, ALICE, "Admin").await;
    assert_eq!(status, 200, "{audit}");
    assert_eq!(audit["action"], "privacy_erasure");
    let details = &audit["details"];
    assert_eq!(details["profile_deleted"], true);
    assert_eq!(details["opportunities"], 1);
    assert_eq!(details["history_records"], 2);
    assert_eq!(details["customers"], 1);
    assert!(details["outbox_events"].as_u64().unwrap() >= 1, "{details}");
    assert!(
        details["texts_scrubbed"].as_u64().unwrap() >= 3,
        "title, description, reason: {details}"
    );

    let (status, after) = call(
        &app,
        "get-opportunity",
        event_as(
            "get-opportunity",
            &[("id", &id.to_string())],
            None,
            ADMIN,
            "Admin",
            None,
        ),
    )
    .await;
    assert_eq!(status, 200, "{after}");
    let owner = after["owner_id"].as_str().unwrap();
    assert!(is_pseudonym(owner), "the cached view was invalidated: {after}");
    assert!(after["owner_name"].is_null());
    let text = after.to_string();
    assert!(!text.to_lowercase().contains("alice"), "{text}");
    assert!(after["description"].as_str().unwrap().contains("[erased]"));
    let (_, history) = call(
        &app,
        "get-opportunity-history",
        event_as(
            "get-opportunity-history",
            &[("id", &id.to_string())],
            None,
            ADMIN,
            "Admin",
            None,
        ),
    )
    .await;
    let history_text = history.to_string();
    assert!(!history_text.to_lowercase().contains("alice"), "{history_text}");
    assert!(history["items"].as_array().unwrap().iter().all(|h| h["actor"] == owner));

    let (_, document) = export(&app, ALICE, Value::Null).await;
    assert!(document["profile"].is_null(), "{document}");
    for section in ["opportunities", "history", "customers", "skills", "attachments"] {
        assert_eq!(document[section], json!([]), "{section}: {document}");
    }
    assert_eq!(document["other_records"]["outbox_events"], 0);
    assert_eq!(document["other_records"]["idempotency_records"], 0);
    assert!(!document.to_string().contains(ALICE_EMAIL));
    let me_after = me(&app, ALICE, None).await;
    assert!(
        me_after["first_seen_at"].is_null(),
        "the profile is gone, cache included: {me_after}"
    );
    let (status, her_view) = call(
        &app,
        "list-opportunities",
        with_query(
            event_as("list-opportunities", &[], None, ALICE, "SalesManager", None),
            Value::Null,
        ),
    )
    .await;
    assert_eq!(
        (status, her_view["items"].as_array().map(Vec::len)),
        (200, Some(0)),
        "not hers any more: {her_view}"
    );

    let (status, again) = erase(&app, ALICE, "Admin").await;
    assert_eq!(status, 200, "{again}");
    for field in [
        "opportunities",
        "history_records",
        "customers",
        "outbox_events",
        "texts_scrubbed",
    ] {
        assert_eq!(again["details"][field], 0, "{field}: {again}");
    }
    assert_eq!(again["details"]["profile_deleted"], false);
    let (_, twice) = get_json(
        &app,
        event_as(
            "get-opportunity",
            &[("id", &id.to_string())],
            None,
            ADMIN,
            "Admin",
            None,
        ),
    )
    .await;
    assert_eq!(twice["owner_id"], owner, "the same pseudonym");

    let (status, log) = get_json(
        &app,
        with_query(
            event_as("list-audit-events", &[], None, ADMIN, "Admin", None),
            json!({ "limit": "2" }),
        ),
    )
    .await;
    assert_eq!(status, 200, "{log}");
    assert_eq!(log["items"].as_array().unwrap().len(), 2);
    let cursor = log["next_cursor"].as_str().expect("a second page").to_owned();
    let (_, rest) = get_json(
        &app,
        with_query(
            event_as("list-audit-events", &[], None, ADMIN, "Admin", None),
            json!({ "limit": "2", "cursor": cursor }),
        ),
    )
    .await;
    let all: Vec<Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["items"].as_array().unwrap())
        .cloned()
        .collect();
    assert_eq!(all.len(), 3, "erasure, export, erasure: {all:?}");
    let whole = Value::Array(all).to_string();
    assert!(!whole.contains(ALICE_EMAIL) && !whole.contains(ALICE_NAME), "{whole}");
}

async fn bad_privacy_requests_are_problems_not_failures(executor: Arc<dyn SqlExecutor>) {
    let mut app = app_over(executor);
    let long = "x".repeat(129);
    let (status, body) = export(&app, &long, Value::Null).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_parameter")));
    let (status, body) = export(&app, ALICE, json!({ "download_links": "yes" })).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_parameter")));
    let (status, body) = export(&app, ALICE, json!({ "other": "1" })).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_parameter")));
    let (status, body) = export(&app, "a\u{7}b", Value::Null).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_parameter")));
    for query in [
        json!({ "limit": "0" }),
        json!({ "cursor": "bm9wZQ" }),
        json!({ "cursor": "%%%" }),
    ] {
        let (status, body) = get_json(
            &app,
            with_query(
                event_as("list-audit-events", &[], None, ADMIN, "Admin", None),
                query.clone(),
            ),
        )
        .await;
        assert_eq!(status, 400, "{query}: {body}");
    }
    let (status, body) = get_json(
        &app,
        event_as("list-audit-events", &[], None, "bob", "SalesManager", None),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    app.pseudonyms = None;
    let (status, body) = erase(&app, ALICE, "Admin").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (500, Some("internal_error")),
        "a configuration fault, said so in the log"
    );
}

/// Every write of the API today sends a batch of opportunity changes, which carries the writer's
/// profile; a write transaction without one (a future kind of write) records it at commit.
async fn a_write_without_child_rows_still_records_its_writer_at_commit(executor: Arc<dyn SqlExecutor>) {
    use oms::ports::privacy::UserDirectory;
    use oms::store::privacy::{RecordingWriter, SeenWriter, SqlPrivacy};
    let writer = SeenWriter {
        sub: "carol".into(),
        email: Some("carol@example.com".into()),
        name: Some("Carol".into()),
        groups: vec!["SalesManager".into()],
        at: time::OffsetDateTime::now_utc(),
    };
    let recording = RecordingWriter::new(executor.clone(), writer);
    recording.begin().await.unwrap().commit().await.unwrap();
    let profile = SqlPrivacy::new(executor).profile("carol").await.unwrap();
    assert_eq!(profile.and_then(|p| p.name), Some("Carol".to_owned()));
}

type Scenario = fn(Arc<dyn SqlExecutor>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Every scenario on one recording database each: every privacy SQL text must have run.
async fn every_privacy_statement_runs(fresh: impl Fn() -> Pin<Box<dyn Future<Output = Arc<dyn SqlExecutor>> + Send>>) {
    let scenarios: Vec<Scenario> = vec![
        |e| Box::pin(a_write_records_the_profile_and_a_read_does_not(e)),
        |e| Box::pin(an_export_holds_everything_about_the_person_and_is_audited(e)),
        |e| Box::pin(an_erasure_leaves_the_records_without_the_person_and_can_be_repeated(e)),
        |e| Box::pin(attachments_and_skills_are_exported_and_erased(e)),
        |e| Box::pin(a_write_without_child_rows_still_records_its_writer_at_commit(e)),
    ];
    let seen = Arc::new(Mutex::new(Vec::new()));
    for scenario in scenarios {
        let recording: Arc<dyn SqlExecutor> = Arc::new(Recording {
            inner: fresh().await,
            seen: seen.clone(),
        });
        scenario(recording).await;
    }
    let seen = seen.lock().unwrap();
    let missing: Vec<&str> = privacy_sql::ALL
        .iter()
        .filter(|(_, sql)| !seen.contains(sql))
        .map(|(name, _)| *name)
        .collect();
    assert!(missing.is_empty(), "privacy statements never run: {missing:?}");
}

/// Attachments and catalog skills through the store: a registered attachment's file name that
/// names the person, and a skill they created.
async fn attachments_and_skills_are_exported_and_erased(executor: Arc<dyn SqlExecutor>) {
    use oms::domain::attachment::{Attachment, AttachmentStatus, object_key};
    use oms::domain::catalog::Skill;
    use oms::domain::opportunity::SkillCategory;
    let app = app_over(executor.clone());
    let opportunity = alice_works(&app).await;
    let now = oms::ports::truncate_to_micros(time::OffsetDateTime::now_utc());
    let attachment = Attachment {
        id: Uuid::now_v7(),
        opportunity_id: opportunity,
        owner_sub: ALICE.into(),
        file_name: format!("{ALICE_NAME} CV.pdf"),
        content_type: "application/pdf".into(),
        size_bytes: 10,
        sha256: None,
        object_key: String::new(),
        status: AttachmentStatus::Pending,
        rejection_reason: None,
        created_at: now,
        upload_expires_at: now,
        completed_at: None,
    };
    let attachment = Attachment {
        object_key: object_key(opportunity, attachment.id),
        ..attachment
    };
    app.attachments
        .register(&attachment, &oms_tests::fixture_event(opportunity, 1), None)
        .await
        .unwrap();
    let skill = Skill {
        id: Uuid::now_v7(),
        name: "Serverless".into(),
        category: SkillCategory::Technical,
        description: None,
        created_at: now,
    };
    app.skills
        .create(skill, Some(ALICE), oms_tests::fixture_event(Uuid::now_v7(), 0), None)
        .await
        .unwrap();
    let (_, document) = export(&app, ALICE, json!({ "download_links": "true" })).await;
    assert_eq!(
        document["attachments"][0]["file_name"],
        format!("{ALICE_NAME} CV.pdf"),
        "{document}"
    );
    assert!(document["attachments"][0].get("download").is_none(), "pending: no link");
    assert_eq!(
        document["opportunities"][0]["attachments"][0]["id"],
        attachment.id.to_string()
    );
    assert_eq!(document["skills"][0]["name"], "Serverless");
    let (status, audit) = erase(&app, ALICE, "Admin").await;
    assert_eq!(status, 200, "{audit}");
    assert_eq!(audit["details"]["attachments"], 1);
    assert_eq!(audit["details"]["skills"], 1);
    let stored = app.attachments.attachment(attachment.id).await.unwrap().unwrap();
    assert_eq!(stored.file_name, "[erased] CV.pdf");
    assert!(is_pseudonym(&stored.owner_sub));
}

on_every_backend!(
    a_write_records_the_profile_and_a_read_does_not,
    admins_see_owner_names_and_filter_by_owner,
    an_export_holds_everything_about_the_person_and_is_audited,
    a_large_export_is_a_link_to_a_file_in_the_exports_bucket,
    an_erasure_leaves_the_records_without_the_person_and_can_be_repeated,
    attachments_and_skills_are_exported_and_erased,
    bad_privacy_requests_are_problems_not_failures,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_privacy_statement_runs_on_sqlite() {
    let dirs = Arc::new(Mutex::new(Vec::new()));
    every_privacy_statement_runs(move || {
        let dirs = dirs.clone();
        Box::pin(async move {
            let (executor, dir) = oms_tests::sqlite_executor().await;
            dirs.lock().unwrap().push(dir);
            executor
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_privacy_statement_runs_on_postgres() {
    every_privacy_statement_runs(|| Box::pin(oms_tests::postgres_executor())).await;
}
