//! Hostile and edge-of-range input through the real handlers, on the embedded SQLite file and on
//! PostgreSQL (what Aurora runs; its executor enforces the Data API's 1 MiB and 64 KB limits).
//! Every case must get the contract's answer: a problem document, never a 500 or a panic.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine;
use oms::app::App;
use oms::sql::{DbError, Dialect, Param, Row, SqlExecutor, SqlTransaction};
use serde_json::{Value, json};
use uuid::Uuid;

const MANAGER: &str = "manager-1";
const ADMIN: &str = "admin-1";

/// An API Gateway REST proxy event with query parameters and headers of the test's choosing.
struct Call<'a> {
    function: &'a str,
    id: Option<Uuid>,
    query: Vec<(&'a str, String)>,
    headers: Vec<(&'a str, &'a str)>,
    body: Option<Value>,
    sub: &'a str,
    groups: &'a str,
}

impl<'a> Call<'a> {
    fn new(function: &'a str) -> Self {
        Call {
            function,
            id: None,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            sub: MANAGER,
            groups: "SalesManager",
        }
    }
    fn id(mut self, id: Uuid) -> Self {
        self.id = Some(id);
        self
    }
    fn query(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }
    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    fn admin(mut self) -> Self {
        self.sub = ADMIN;
        self.groups = "Admin";
        self
    }

    async fn send(self, app: &App) -> (u16, Value) {
        let route = oms::routes::by_function(self.function).expect("route");
        let path = match self.id {
            Some(id) => route.path.replace("{id}", &id.to_string()),
            None => route.path.to_owned(),
        };
        let mut headers = serde_json::Map::new();
        headers.insert("content-type".into(), json!("application/json"));
        for (name, value) in &self.headers {
            headers.insert((*name).into(), json!(value));
        }
        let single: serde_json::Map<String, Value> =
            self.query.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
        let multi: serde_json::Map<String, Value> =
            self.query.iter().map(|(k, v)| ((*k).to_owned(), json!([v]))).collect();
        let event = json!({
            "resource": route.path,
            "path": path,
            "httpMethod": route.method.as_str(),
            "headers": headers,
            "queryStringParameters": if single.is_empty() { Value::Null } else { Value::Object(single) },
            "multiValueQueryStringParameters": if multi.is_empty() { Value::Null } else { Value::Object(multi) },
            "pathParameters": self.id.map(|id| json!({ "id": id })),
            "body": self.body.map(|b| b.to_string()),
            "isBase64Encoded": false,
            "requestContext": {
                "stage": "test", "requestId": Uuid::new_v4().to_string(), "httpMethod": route.method.as_str(),
                "resourcePath": route.path,
                "authorizer": { "claims": { "sub": self.sub, "cognito:groups": self.groups, "exp": oms_tests::CLAIMS_EXP } }
            }
        });
        oms_tests::call(app, self.function, event).await
    }
}

fn create_body(currency: &str, amount: &str) -> Value {
    json!({
        "customer": { "name": "Contoso" },
        "title": "Order platform",
        "description": "Move the order platform to a serverless architecture.",
        "priority": "high",
        "annual_recurring_revenue": { "amount": amount, "currency": currency },
        "timeline": { "start_date": "2027-02-01", "duration_days": 90, "flexible": true }
    })
}

async fn create(app: &App, body: Value) -> Value {
    let (status, created) = Call::new("create-opportunity").body(body).send(app).await;
    assert_eq!(status, 201, "{created}");
    created
}

fn id_of(view: &Value) -> Uuid {
    view["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()).expect("id")
}

fn fields(problem: &Value) -> Vec<String> {
    let mut fields: Vec<String> = problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    fields.sort();
    fields
}

fn cursor(list: &str, value: &str) -> String {
    let json = json!({ "list": list, "value": value, "id": Uuid::now_v7().to_string() });
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
}

async fn timelines_ending_past_the_supported_range_are_refused(app: App) {
    let with_timeline = |timeline: Value| {
        let mut body = create_body("EUR", "1.00");
        body["timeline"] = timeline;
        body
    };
    let cases = [
        (
            json!({ "start_date": "9999-12-31", "duration_days": 2, "flexible": true }),
            "timeline.start_date",
        ),
        (
            json!({ "start_date": "9998-12-31", "duration_days": 2, "flexible": true }),
            "timeline.duration_days",
        ),
        (
            json!({ "start_date": "9998-12-01", "end_date": "9999-01-02", "flexible": true }),
            "timeline.end_date",
        ),
        (
            json!({ "start_date": "0000-01-01", "duration_days": 2, "flexible": true }),
            "timeline.start_date",
        ),
        (
            json!({ "start_date": "-0001-01-01", "duration_days": 2, "flexible": true }),
            "timeline.start_date",
        ),
        (
            json!({ "start_date": "2027-01-01", "duration_days": 9, "flexible": true, "specific_days": ["+02027-01-02"] }),
            "timeline.specific_days[0]",
        ),
    ];
    for (timeline, field) in cases {
        let (status, problem) = Call::new("create-opportunity")
            .body(with_timeline(timeline.clone()))
            .send(&app)
            .await;
        assert_eq!(status, 422, "{timeline}: {problem}");
        assert!(fields(&problem).contains(&field.to_owned()), "{timeline}: {problem}");
    }
    // The last supported day itself is fine.
    let last = json!({ "start_date": "9998-12-30", "duration_days": 2, "flexible": true });
    let (status, problem) = Call::new("create-opportunity")
        .body(with_timeline(last))
        .send(&app)
        .await;
    assert_eq!(status, 201, "{problem}");
}

async fn created_filters_outside_the_supported_range_are_refused(app: App) {
    for value in [
        "9999-12-31T23:59:59-01:00",
        "0000-01-01",
        "1899-12-31T23:00:00Z",
        "2026-13-01",
    ] {
        for name in ["created_from", "created_to"] {
            let (status, problem) = Call::new("list-opportunities").query(name, value).send(&app).await;
            assert_eq!(status, 400, "{name}={value}: {problem}");
            assert_eq!(problem["code"], "invalid_parameter");
        }
    }
    let (status, _) = Call::new("list-opportunities")
        .query("created_from", "2026-05-01T23:30:00-01:00")
        .send(&app)
        .await;
    assert_eq!(status, 200);
}

async fn forged_cursors_are_refused_on_every_list(app: App) {
    let opportunity = id_of(&create(&app, create_body("EUR", "1.00")).await);
    let mut cases: Vec<(Call<'_>, String)> = Vec::new();
    for sort in ["created_at", "-created_at", "updated_at", "-updated_at"] {
        for value in [
            "9999-12-31T23:59:59-01:00",
            "0000-01-01T00:00:00Z",
            "garbage",
            "a\u{0}b",
        ] {
            let list = format!("opportunities:{sort}");
            cases.push((
                Call::new("list-opportunities").query("sort", sort),
                cursor(&list, value),
            ));
        }
    }
    for sort in ["start_date", "-start_date"] {
        for value in ["10000-01-01", "0000-01-01", "-0001-01-01"] {
            let list = format!("opportunities:{sort}");
            cases.push((
                Call::new("list-opportunities").query("sort", sort),
                cursor(&list, value),
            ));
        }
    }
    for sort in ["priority", "-priority"] {
        for value in ["99999999999999999999", "-5", "x"] {
            let list = format!("opportunities:{sort}");
            cases.push((
                Call::new("list-opportunities").query("sort", sort),
                cursor(&list, value),
            ));
        }
    }
    cases.push((
        Call::new("get-opportunity-history").id(opportunity),
        cursor(&format!("history:{opportunity}"), "1e99"),
    ));
    cases.push((
        Call::new("list-attachments").id(opportunity),
        cursor(&format!("attachments:{opportunity}"), "9999-12-31T23:59:59-01:00"),
    ));
    cases.push((Call::new("list-customers"), cursor("customers", "a\u{0}")));
    cases.push((Call::new("list-skills"), cursor("skills", "a\u{0}")));
    cases.push((Call::new("list-customers"), "x".repeat(5_000)));
    for (call, cursor) in cases {
        let (status, problem) = call.query("cursor", cursor.clone()).send(&app).await;
        assert_eq!(status, 400, "{cursor}: {problem}");
        assert_eq!(problem["code"], "invalid_cursor", "{problem}");
    }
}

async fn every_failing_field_is_reported_even_when_one_has_the_wrong_json_type(app: App) {
    let body = json!({
        "title": "",
        "priority": "urgent",
        "annual_recurring_revenue": { "amount": 1.5, "currency": "EUR" },
        "timeline": { "start_date": 20270101, "duration_days": "ninety", "flexible": "yes" },
        "colour": "red"
    });
    let (status, problem) = Call::new("create-opportunity").body(body).send(&app).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        fields(&problem),
        vec![
            "annual_recurring_revenue.amount",
            "colour",
            "customer",
            "description",
            "priority",
            "timeline.duration_days",
            "timeline.flexible",
            "timeline.start_date",
            "title",
        ]
    );
    let text = problem.to_string();
    for internal in ["invalid type", "expected", "line ", "column", "struct"] {
        assert!(
            !text.contains(internal),
            "a message quotes the parser ({internal}): {problem}"
        );
    }
    // The same for a merge patch, whose values are read after merging.
    let id = id_of(&create(&app, create_body("EUR", "1.00")).await);
    let patch =
        json!({ "annual_recurring_revenue": { "amount": 2 }, "timeline": { "duration_days": true }, "title": 7 });
    let (status, problem) = Call::new("patch-opportunity").id(id).body(patch).send(&app).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        fields(&problem),
        vec!["annual_recurring_revenue.amount", "timeline.duration_days", "title"]
    );
}

async fn nul_characters_are_refused_at_the_edge(app: App) {
    for function in ["list-opportunities", "list-customers"] {
        let (status, problem) = Call::new(function).query("q", "\u{0}").send(&app).await;
        assert_eq!(status, 400, "{function}: {problem}");
        assert_eq!(problem["code"], "invalid_parameter");
    }
    let mut body = create_body("EUR", "1.00");
    body["title"] = json!("Order\u{0}platform");
    body["customer"] = json!({ "name": "Con\u{0}toso" });
    let (status, problem) = Call::new("create-opportunity").body(body).send(&app).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(fields(&problem), vec!["customer.name", "title"]);
    let (status, problem) = Call::new("create-customer")
        .body(json!({ "name": "\u{0}" }))
        .send(&app)
        .await;
    assert_eq!((status, fields(&problem)), (422, vec!["name".to_owned()]), "{problem}");
    let id = id_of(&create(&app, create_body("EUR", "1.00")).await);
    let (status, problem) = Call::new("cancel-opportunity")
        .id(id)
        .body(json!({ "reason": "no\u{0}" }))
        .send(&app)
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (422, vec!["reason".to_owned()]),
        "{problem}"
    );
    let markdown = format!("{}\u{0}", "x".repeat(200));
    let (status, problem) = Call::new("put-problem-statement")
        .id(id)
        .body(json!({ "markdown": markdown }))
        .send(&app)
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (422, vec!["markdown".to_owned()]),
        "{problem}"
    );
}

async fn amounts_keep_their_currency_minor_units_through_create_read_patch_and_list(app: App) {
    for (currency, amount, patched) in [
        ("JPY", "5", "7"),
        ("EUR", "125000.50", "0.01"),
        ("KWD", "1.234", "2.345"),
    ] {
        let created = create(&app, create_body(currency, amount)).await;
        assert_eq!(created["annual_recurring_revenue"]["amount"], amount, "{created}");
        let id = id_of(&created);
        let (status, read) = Call::new("get-opportunity").id(id).send(&app).await;
        assert_eq!(status, 200);
        assert_eq!(read["annual_recurring_revenue"]["amount"], amount, "{read}");
        // A patch of another field sends nothing back about the amount; it must still validate.
        let (status, changed) = Call::new("patch-opportunity")
            .id(id)
            .body(json!({ "priority": "low" }))
            .send(&app)
            .await;
        assert_eq!(status, 200, "{currency}: {changed}");
        let (status, changed) = Call::new("patch-opportunity")
            .id(id)
            .body(json!({ "annual_recurring_revenue": { "amount": patched } }))
            .send(&app)
            .await;
        assert_eq!(status, 200, "{currency}: {changed}");
        assert_eq!(changed["annual_recurring_revenue"]["amount"], patched);
        let (_, read) = Call::new("get-opportunity").id(id).send(&app).await;
        assert_eq!(read["annual_recurring_revenue"]["amount"], patched, "{read}");
        let (status, page) = Call::new("list-opportunities").send(&app).await;
        assert_eq!(status, 200);
        let listed = page["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["id"] == json!(id)))
            .cloned()
            .expect("listed");
        assert_eq!(listed["annual_recurring_revenue"]["amount"], patched, "{listed}");
    }
    // More decimals than the currency has are refused, not rounded.
    let (status, problem) = Call::new("create-opportunity")
        .body(create_body("JPY", "5.5"))
        .send(&app)
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (422, vec!["annual_recurring_revenue.amount".to_owned()])
    );
}

/// The longest legal texts, in 4-byte characters, within their byte limits.
fn longest(chars: usize, max_bytes: usize) -> String {
    "\u{1F600}".repeat(chars.min(max_bytes / 4))
}

async fn lists_and_history_of_the_largest_legal_content_stay_within_the_data_api_limits(app: App) {
    let description = longest(oms::domain::opportunity::DESCRIPTION_MAX, usize::MAX);
    let statement = |i: usize| {
        let mut text = longest(
            oms::domain::opportunity::PROBLEM_STATEMENT_MAX,
            oms::domain::opportunity::PROBLEM_STATEMENT_MAX_BYTES - 8,
        );
        text.push_str(&format!("{i:08}"));
        text
    };
    let mut body = create_body("EUR", "1.00");
    body["description"] = json!(description);
    body["title"] = json!(longest(oms::domain::opportunity::TITLE_MAX, usize::MAX));
    let mut ids = Vec::new();
    for _ in 0..101 {
        let id = id_of(&create(&app, body.clone()).await);
        let (status, problem) = Call::new("put-problem-statement")
            .id(id)
            .body(json!({ "markdown": statement(0) }))
            .send(&app)
            .await;
        assert_eq!(status, 200, "{problem}");
        ids.push(id);
    }
    let (status, page) = Call::new("list-opportunities").query("limit", "100").send(&app).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(100));
    // Forty changes of the longest problem statement, with the longest reasons: paged by size.
    let id = ids[0];
    let reason = longest(oms::handlers::input::REASON_MAX, usize::MAX);
    for i in 1..=40 {
        let (status, problem) = Call::new("put-problem-statement")
            .id(id)
            .body(json!({ "markdown": statement(i), "reason": reason }))
            .send(&app)
            .await;
        assert_eq!(status, 200, "{problem}");
    }
    let mut seen = 0;
    let mut next: Option<String> = None;
    for _ in 0..50 {
        let mut call = Call::new("get-opportunity-history").id(id).query("limit", "100");
        if let Some(cursor) = &next {
            call = call.query("cursor", cursor.clone());
        }
        let (status, page) = call.send(&app).await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().cloned().unwrap_or_default();
        assert!(!items.is_empty());
        seen += items.len();
        next = page["next_cursor"].as_str().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    assert_eq!(seen, 42, "created, the first statement and forty changes");
    // The catalog read whole, in pages, with the longest names and descriptions.
    for i in 0..150 {
        let mut name = longest(oms::domain::catalog::NAME_MAX - 3, usize::MAX);
        name.push_str(&format!("{i:03}"));
        let (status, problem) = Call::new("create-skill")
            .admin()
            .body(json!({ "name": name, "category": "technical", "description": longest(1_000, usize::MAX) }))
            .send(&app)
            .await;
        assert_eq!(status, 201, "{problem}");
    }
    let (status, page) = Call::new("list-skills").query("limit", "100").send(&app).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(100));
}

/// Counts how transactions end, to prove that error paths roll back explicitly.
struct Ending {
    inner: Arc<dyn SqlExecutor>,
    ends: Arc<Mutex<Vec<&'static str>>>,
}

struct EndingTx {
    inner: Box<dyn SqlTransaction>,
    ends: Arc<Mutex<Vec<&'static str>>>,
}

#[async_trait]
impl SqlTransaction for EndingTx {
    async fn query(&mut self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        self.inner.query(sql, params).await
    }
    async fn execute(&mut self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        self.inner.execute(sql, params).await
    }
    async fn commit(self: Box<Self>) -> Result<(), DbError> {
        self.ends.lock().unwrap().push("commit");
        self.inner.commit().await
    }
    async fn rollback(self: Box<Self>) -> Result<(), DbError> {
        self.ends.lock().unwrap().push("rollback");
        self.inner.rollback().await
    }
}

#[async_trait]
impl SqlExecutor for Ending {
    async fn query(&self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        self.inner.query(sql, params).await
    }
    async fn execute(&self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        self.inner.execute(sql, params).await
    }
    async fn begin(&self) -> Result<Box<dyn SqlTransaction>, DbError> {
        self.ends.lock().unwrap().push("begin");
        Ok(Box::new(EndingTx {
            inner: self.inner.begin().await?,
            ends: self.ends.clone(),
        }))
    }
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }
}

async fn failed_writes_roll_their_transaction_back_explicitly(executor: Arc<dyn SqlExecutor>) {
    let ends = Arc::new(Mutex::new(Vec::new()));
    let app = App::over_sql(Arc::new(Ending {
        inner: executor,
        ends: ends.clone(),
    }));
    let taken = |ends: &Arc<Mutex<Vec<&'static str>>>| std::mem::take(&mut *ends.lock().unwrap());
    // An unknown customer id: the transaction fails half-way.
    let mut body = create_body("EUR", "1.00");
    body["customer"] = json!({ "id": Uuid::now_v7().to_string() });
    let (status, _) = Call::new("create-opportunity").body(body).send(&app).await;
    assert_eq!(status, 422);
    assert_eq!(taken(&ends), vec!["begin", "rollback"]);
    // A duplicate customer name.
    let (status, _) = Call::new("create-customer")
        .body(json!({ "name": "Fabrikam" }))
        .send(&app)
        .await;
    assert_eq!(status, 201);
    taken(&ends);
    let (status, _) = Call::new("create-customer")
        .body(json!({ "name": "fabrikam" }))
        .send(&app)
        .await;
    assert_eq!(status, 409);
    assert_eq!(taken(&ends), vec!["begin", "rollback"]);
    // A successful write commits.
    create(&app, create_body("EUR", "1.00")).await;
    assert_eq!(taken(&ends), vec!["begin", "commit"]);
}

on_every_backend!(
    apps:
    timelines_ending_past_the_supported_range_are_refused,
    created_filters_outside_the_supported_range_are_refused,
    forged_cursors_are_refused_on_every_list,
    every_failing_field_is_reported_even_when_one_has_the_wrong_json_type,
    nul_characters_are_refused_at_the_edge,
    amounts_keep_their_currency_minor_units_through_create_read_patch_and_list,
    lists_and_history_of_the_largest_legal_content_stay_within_the_data_api_limits;
    executors:
    failed_writes_roll_their_transaction_back_explicitly,
);
