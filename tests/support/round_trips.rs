//! The round-trip scenario: every API operation and the consumers that touch the database, run
//! through the production executor on the Data API stand-in in the production configuration
//! (DynamoDB cache, SQS publisher; moto), each one's Data API calls
//! counted by the stand-in. Shared by `tests/it/data_api_round_trips.rs` (the budgets) and the
//! benchmark (the table it prints).

use std::sync::Arc;

use oms::app::App;
use oms::ports::cache::NoCache;
use oms::sql::standin::{CallCounts, DataApiStandin};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::SALES_MANAGER;
use crate::{api_event, call};

/// One measured operation: its label (as in `oms::store::round_trips::BUDGETS`), its calls.
pub struct Measured {
    /// The operation and case.
    pub label: &'static str,
    /// Its Data API calls by operation.
    pub calls: CallCounts,
}

/// Runs the scenario on a fresh stand-in schema and moto (`moto_url`), returning each
/// operation's calls in order.
pub async fn measure_every_operation(moto_url: &str) -> Vec<Measured> {
    let mut h = Harness::start(moto_url).await;
    scenario(&mut h).await;
    h.measured
}

const ADMIN: &str = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

struct Harness {
    standin: DataApiStandin,
    app: App,
    measured: Vec<Measured>,
    _objects: tempfile::TempDir,
}

impl Harness {
    async fn start(moto_url: &str) -> Harness {
        let standin = crate::data_api::migrated_standin(|_| {}).await;
        let mut app = App::over_sql(crate::data_api::shared_executor(&standin));
        let aws = crate::moto_config_at(moto_url).await;
        let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
        let table = format!("oms-round-trips-{}", Uuid::new_v4().simple());
        crate::create_cache_table(&dynamodb, &table).await;
        app.cache = Arc::new(oms::adapters::dynamodb_cache::DynamoDbCache::new(
            dynamodb.clone(),
            &table,
        ));
        let sqs = aws_sdk_sqs::Client::new(&aws);
        let queue = sqs
            .create_queue()
            .queue_name(format!("oms-round-trips-{}", Uuid::new_v4().simple()))
            .send()
            .await
            .expect("queue")
            .queue_url
            .expect("queue url");
        app.publisher = Arc::new(oms::adapters::sqs::SqsPublisher::new(sqs.clone(), &queue));
        app.dead_letters = Arc::new(oms::adapters::sqs::SqsDeadLetters::new(sqs, &queue));
        let objects = tempfile::tempdir().expect("temp dir");
        app.objects = Arc::new(crate::attachment_fixtures::object_store(objects.path()));
        Harness {
            standin,
            app,
            measured: Vec::new(),
            _objects: objects,
        }
    }

    /// Runs `event` through `function` on `app`, counting the Data API calls it makes.
    async fn measure_on(&mut self, app: &App, label: &'static str, function: &str, event: Value) -> (u16, Value) {
        let before = self.standin.calls();
        let answer = call(app, function, event).await;
        let calls = self.standin.calls().since(&before);
        self.measured.push(Measured { label, calls });
        answer
    }

    async fn measure(&mut self, label: &'static str, function: &str, event: Value) -> (u16, Value) {
        let app = self.app.clone();
        self.measure_on(&app, label, function, event).await
    }

    async fn measure_consumer<F: std::future::Future<Output = ()>>(&mut self, label: &'static str, run: F) {
        let before = self.standin.calls();
        run.await;
        let calls = self.standin.calls().since(&before);
        self.measured.push(Measured { label, calls });
    }
}

fn with_query(mut event: Value, query: Value) -> Value {
    event["queryStringParameters"] = query;
    event
}

fn with_header(mut event: Value, name: &str, value: &str) -> Value {
    event["headers"][name] = json!(value);
    event
}

async fn scenario(h: &mut Harness) {
    let manager = |function: &str, id: Option<Uuid>, body: Option<Value>| {
        api_event(function, id, body, SALES_MANAGER, "SalesManager")
    };
    let admin = |function: &str, id: Option<Uuid>, body: Option<Value>| api_event(function, id, body, ADMIN, "Admin");

    // The catalog: 50 skills, the first through the API.
    let (status, skill) = h
        .measure(
            "create-skill",
            "create-skill",
            admin(
                "create-skill",
                None,
                Some(json!({ "name": "Skill 00", "category": "technical" })),
            ),
        )
        .await;
    assert_eq!(status, 201, "{skill}");
    let mut skills = vec![skill["id"].as_str().expect("id").to_owned()];
    for n in 1..50 {
        let (status, skill) = call(
            &h.app,
            "create-skill",
            admin(
                "create-skill",
                None,
                Some(json!({ "name": format!("Skill {n:02}"), "category": "technical" })),
            ),
        )
        .await;
        assert_eq!(status, 201, "{skill}");
        skills.push(skill["id"].as_str().expect("id").to_owned());
    }
    let skill_id = Uuid::parse_str(&skills[0]).expect("uuid");
    let (status, _) = h
        .measure("list-skills", "list-skills", manager("list-skills", None, None))
        .await;
    assert_eq!(status, 200);
    let (status, _) = h
        .measure("get-skill", "get-skill", manager("get-skill", Some(skill_id), None))
        .await;
    assert_eq!(status, 200);

    let (status, customer) = h
        .measure(
            "create-customer",
            "create-customer",
            manager("create-customer", None, Some(json!({ "name": "Contoso" }))),
        )
        .await;
    assert_eq!(status, 201, "{customer}");
    let customer_id = Uuid::parse_str(customer["id"].as_str().expect("id")).expect("uuid");
    let (status, _) = h
        .measure(
            "list-customers",
            "list-customers",
            manager("list-customers", None, None),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = h
        .measure(
            "get-customer",
            "get-customer",
            manager("get-customer", Some(customer_id), None),
        )
        .await;
    assert_eq!(status, 200);

    let details = |customer: Value| {
        json!({
            "customer": customer,
            "title": "Serverless order platform",
            "description": "Move the order platform to an event-driven architecture.",
            "priority": "high",
            "annual_recurring_revenue": { "amount": "125000.00", "currency": "EUR" },
            "timeline": { "start_date": "2027-02-01", "duration_days": 90, "flexible": true }
        })
    };
    let (status, created) = h
        .measure(
            "create-opportunity (new customer, Idempotency-Key)",
            "create-opportunity",
            with_header(
                manager("create-opportunity", None, Some(details(json!({ "name": "Fabrikam" })))),
                "Idempotency-Key",
                "round-trips-1",
            ),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let (status, created) = h
        .measure(
            "create-opportunity (existing customer)",
            "create-opportunity",
            manager("create-opportunity", None, Some(details(json!({ "id": customer_id })))),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = Uuid::parse_str(created["id"].as_str().expect("id")).expect("uuid");

    let mut uncached: App = h.app.clone();
    uncached.cache = Arc::new(NoCache);
    let (status, _) = h
        .measure_on(
            &uncached,
            "get-opportunity (uncached)",
            "get-opportunity",
            manager("get-opportunity", Some(id), None),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = h
        .measure(
            "get-opportunity (cached)",
            "get-opportunity",
            manager("get-opportunity", Some(id), None),
        )
        .await;
    assert_eq!(status, 200);

    let (status, body) = h
        .measure(
            "put-problem-statement",
            "put-problem-statement",
            manager(
                "put-problem-statement",
                Some(id),
                Some(json!({ "markdown": format!("## Problem\n\n{}", "The order platform cannot absorb the holiday peak. ".repeat(4)) })),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let items: Vec<Value> = skills
        .iter()
        .map(|s| json!({ "skill_id": s, "category": "technical", "importance": "must_have", "min_proficiency": "expert" }))
        .collect();
    let (status, body) = h
        .measure(
            "put-skill-requirements (50 catalog skills)",
            "put-skill-requirements",
            manager("put-skill-requirements", Some(id), Some(json!({ "items": items }))),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["skill_requirements"].as_array().map(Vec::len), Some(50));
    let (status, body) = h
        .measure(
            "patch-opportunity (3 fields)",
            "patch-opportunity",
            manager(
                "patch-opportunity",
                Some(id),
                Some(json!({ "title": "Order platform", "priority": "critical", "description": "Event-driven, at last." })),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = h
        .measure(
            "get-opportunity-history",
            "get-opportunity-history",
            manager("get-opportunity-history", Some(id), None),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = h
        .measure(
            "list-opportunities",
            "list-opportunities",
            with_query(manager("list-opportunities", None, None), json!({ "limit": "20" })),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = h
        .measure(
            "submit-opportunity",
            "submit-opportunity",
            manager("submit-opportunity", Some(id), None),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let status_event = json!({ "Records": [{
        "messageId": Uuid::new_v4(), "receiptHandle": "r", "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:oms-opportunity-status-events", "awsRegion": "eu-west-1",
        "attributes": { "ApproximateReceiveCount": "1" }, "messageAttributes": {},
        "body": json!({ "event_id": Uuid::now_v7(), "opportunity_id": id, "status": "matching_in_progress",
            "occurred_at": "2026-11-22T10:20:00Z", "source": "matching-service" }).to_string()
    }]});
    let app = h.app.clone();
    h.measure_consumer("opportunity-status-events (1 event)", async {
        let event = serde_json::from_value(status_event).expect("SQS event");
        let response = oms::consumers::status_events::handle(&app, event).await;
        assert!(response.batch_item_failures.is_empty(), "applied");
    })
    .await;
    let (status, body) = h
        .measure(
            "cancel-opportunity",
            "cancel-opportunity",
            manager(
                "cancel-opportunity",
                Some(id),
                Some(json!({ "reason": "Budget moved to next year" })),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = h
        .measure(
            "reactivate-opportunity",
            "reactivate-opportunity",
            manager(
                "reactivate-opportunity",
                Some(id),
                Some(json!({ "reason": "Budget is back" })),
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let (status, registered) = h
        .measure(
            "presign-upload",
            "presign-upload",
            manager(
                "presign-upload",
                Some(id),
                Some(json!({ "file_name": "proposal.pdf", "content_type": "application/pdf", "size_bytes": 1024, "sha256": "ab".repeat(32) })),
            ),
        )
        .await;
    assert_eq!(status, 201, "{registered}");
    let attachment = Uuid::parse_str(registered["attachment"]["id"].as_str().expect("id")).expect("uuid");
    let (status, _) = h
        .measure(
            "list-attachments",
            "list-attachments",
            manager("list-attachments", Some(id), None),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = h
        .measure(
            "get-attachment",
            "get-attachment",
            manager("get-attachment", Some(attachment), None),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = h
        .measure(
            "delete-attachment",
            "delete-attachment",
            manager("delete-attachment", Some(attachment), None),
        )
        .await;
    assert!(status == 204 || status == 200, "{status} {body}");
    let app = h.app.clone();
    h.measure_consumer("outbox-relay (nothing pending)", async {
        oms::consumers::outbox_relay::handle(&app, json!({}))
            .await
            .expect("relay");
    })
    .await;
    let (status, _) = h
        .measure("get-me (uncached profile)", "get-me", manager("get-me", None, None))
        .await;
    assert_eq!(status, 200);
}
