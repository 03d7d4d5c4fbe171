//! Property tests: whatever a client sends, request parsing, validation, dates, money and cursors
//! give a value or a typed error, never a panic, and the handlers answer every write and list with
//! a response below 500. Money round-trips exactly in every currency's minor units.
//!
//! The number of cases follows proptest's `PROPTEST_CASES` (256 by default).

use std::sync::Arc;

use base64::Engine;
use proptest::prelude::*;
use proptest::sample::select;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::app::App;
use crate::domain::dates;
use crate::domain::money::{Money, minor_units};
use crate::domain::opportunity::{Timeline, TimelineInput};
use crate::domain::validation::FieldErrors;
use crate::http::body::parse_body;
use crate::http::cursor::Cursor;
use crate::sql::sqlite::SqliteExecutor;

/// Field names the API knows, so that generated objects often have the right shape.
const KEYS: &[&str] = &[
    "customer",
    "id",
    "name",
    "title",
    "description",
    "priority",
    "annual_recurring_revenue",
    "amount",
    "currency",
    "timeline",
    "start_date",
    "end_date",
    "duration_days",
    "flexible",
    "specific_days",
    "markdown",
    "reason",
    "items",
    "skill_id",
    "custom_name",
    "category",
    "importance",
    "min_proficiency",
];

/// Texts near the edges of what the API accepts.
const EDGY_TEXTS: &[&str] = &[
    "",
    " ",
    "\u{0}",
    "a\u{0}b",
    "\u{202E}evil",
    "2027-01-01",
    "9998-12-31",
    "9999-12-31",
    "0000-01-01",
    "-0001-01-01",
    "+02027-01-01",
    "2027-02-30",
    "9999-12-31T23:59:59-01:00",
    "1900-01-01T00:00:00+23:59",
    "EUR",
    "JPY",
    "KWD",
    "XXX",
    "1.234",
    "5",
    "5.00",
    "-1",
    "1e5",
    "1000000000000.001",
    "99999999999999999999999999999",
    "low",
    "critical",
    "must_have",
    "technical",
    "expert",
    "0195f3a0-7c1e-7d2a-9b4e-3f1a2b3c4d5e",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        select(EDGY_TEXTS).prop_map(str::to_owned),
        ".{0,24}",
        "[0-9.\\-+T:Z]{0,26}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        select(&[0i64, 1, 2, 90, 3650, 3651, -1, i64::MAX, i64::MIN][..]).prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(prop_oneof![select(KEYS).prop_map(str::to_owned), ".{0,6}"], inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A date near the edges of the supported range (or not a date at all).
fn date_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(&["9999-12-31", "9998-12-31", "9998-12-30", "1900-01-01", "1899-12-31", "0000-01-01", "-0001-01-01", "2027-02-01"][..])
            .prop_map(str::to_owned),
        1 => text(),
    ]
}

/// A body shaped like an opportunity, its timeline at the edges of the supported range.
fn opportunity_shaped() -> impl Strategy<Value = Value> {
    let timeline = (
        date_text(),
        prop::option::of(date_text()),
        prop::option::of(select(&[1i64, 2, 90, 3650, 3651, 0, -1, i64::MAX][..])),
        prop::option::of(prop::collection::vec(date_text(), 0..3)),
        json_value(),
    )
        .prop_map(|(start, end, days, specific, flexible)| {
            let mut t =
                json!({ "start_date": start, "flexible": if flexible.is_boolean() { flexible } else { json!(true) } });
            if let Some(end) = end {
                t["end_date"] = json!(end);
            }
            if let Some(days) = days {
                t["duration_days"] = json!(days);
            }
            if let Some(specific) = specific {
                t["specific_days"] = json!(specific);
            }
            t
        });
    let money = (text(), select(&["EUR", "JPY", "KWD", "XXX"][..]))
        .prop_map(|(amount, currency)| json!({ "amount": amount, "currency": currency }));
    (
        text(),
        text(),
        select(&["low", "high", "urgent"][..]),
        money,
        timeline,
        json_value(),
    )
        .prop_map(|(title, name, priority, money, timeline, reason)| {
            json!({
                "customer": { "name": name },
                "title": title,
                "description": "A description",
                "priority": priority,
                "annual_recurring_revenue": money,
                "timeline": timeline,
                "reason": reason,
            })
        })
}

/// A request body: mostly objects with the API's field names, sometimes anything at all.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => opportunity_shaped().prop_map(|v| v.to_string().into_bytes()),
        8 => prop::collection::btree_map(select(KEYS).prop_map(str::to_owned), json_value(), 0..10)
            .prop_map(|m| Value::Object(m.into_iter().collect()).to_string().into_bytes()),
        1 => json_value().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

/// `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a test runtime")
}

/// An application on an in-memory SQLite database, with one draft opportunity of the caller's.
async fn app_with_a_draft() -> (App, Uuid) {
    let executor = SqliteExecutor::in_memory().expect("sqlite");
    crate::sql::migrations::migrate(&executor).await.expect("migrate");
    let app = App::over_sql(Arc::new(executor));
    let body = json!({
        "customer": { "name": "Contoso" },
        "title": "Order platform",
        "description": "Move the order platform.",
        "priority": "high",
        "annual_recurring_revenue": { "amount": "5", "currency": "JPY" },
        "timeline": { "start_date": "2027-02-01", "duration_days": 90, "flexible": true }
    });
    let (status, created) = invoke(&app, "create-opportunity", None, &[], body.to_string().into_bytes()).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .expect("id");
    (app, id)
}

/// Runs an API Gateway event through a function's route, as the Lambda runtime would.
async fn invoke(
    app: &App,
    function: &str,
    id: Option<Uuid>,
    query: &[(String, String)],
    body: Vec<u8>,
) -> (u16, Value) {
    let route = crate::routes::by_function(function).expect("route");
    let path = id.map_or_else(
        || route.path.to_owned(),
        |id| route.path.replace("{id}", &id.to_string()),
    );
    let single: serde_json::Map<String, Value> = query.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let multi: serde_json::Map<String, Value> = query.iter().map(|(k, v)| (k.clone(), json!([v]))).collect();
    let event = json!({
        "resource": route.path,
        "path": path,
        "httpMethod": route.method.as_str(),
        "headers": { "content-type": "application/json" },
        "queryStringParameters": if single.is_empty() { Value::Null } else { Value::Object(single) },
        "multiValueQueryStringParameters": if multi.is_empty() { Value::Null } else { Value::Object(multi) },
        "pathParameters": id.map(|id| json!({ "id": id })),
        "body": base64::engine::general_purpose::STANDARD.encode(&body),
        "isBase64Encoded": true,
        "requestContext": {
            "stage": "test", "requestId": "properties", "httpMethod": route.method.as_str(), "resourcePath": route.path,
            "authorizer": { "claims": { "sub": "manager-1", "cognito:groups": "SalesManager", "exp": 4_102_444_800_i64 } }
        }
    });
    let response = crate::runtime::invoke_api_gateway_event(route, app, event)
        .await
        .expect("a proxy response");
    let status = response["statusCode"].as_u64().unwrap_or_default() as u16;
    let body = response["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, body)
}

#[test]
fn opportunity_bodies_at_the_edges_of_the_date_range_get_an_answer_below_500() {
    let runtime = runtime();
    let (app, id) = runtime.block_on(app_with_a_draft());
    const FUNCTIONS: &[&str] = &["create-opportunity", "patch-opportunity"];
    proptest!(ProptestConfig::with_cases(cases(512)), |(function in select(FUNCTIONS), body in opportunity_shaped())| {
        let (status, answer) = runtime.block_on(invoke(&app, function, Some(id), &[], body.to_string().into_bytes()));
        prop_assert!(status < 500, "{function}: {status} {answer}");
    });
}

#[test]
fn any_body_sent_to_any_write_endpoint_gets_an_answer_below_500() {
    let runtime = runtime();
    let (app, id) = runtime.block_on(app_with_a_draft());
    const FUNCTIONS: &[&str] = &[
        "create-opportunity",
        "patch-opportunity",
        "put-problem-statement",
        "put-skill-requirements",
        "cancel-opportunity",
        "create-customer",
        "create-skill",
    ];
    proptest!(ProptestConfig::with_cases(cases(512)), |(function in select(FUNCTIONS), body in body())| {
        let (status, answer) = runtime.block_on(invoke(&app, function, Some(id), &[], body));
        prop_assert!(status < 500, "{function}: {status} {answer}");
        if status >= 400 {
            prop_assert!(answer["code"].is_string(), "{function}: not a problem document: {answer}");
        }
    });
}

fn cursor_text() -> impl Strategy<Value = String> {
    let list = prop_oneof![
        sort_text().prop_map(|sort| format!("opportunities:{sort}")),
        select(&["customers", "skills"][..]).prop_map(str::to_owned),
        ".{0,12}",
    ];
    let value = prop_oneof![instant_text(), text(), any::<i64>().prop_map(|i| i.to_string())];
    prop_oneof![
        4 => (list, value, prop_oneof![Just(Uuid::nil().to_string()), ".{0,8}"]).prop_map(|(list, value, id)| {
            let json = json!({ "list": list, "value": value, "id": id });
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
        }),
        1 => text(),
    ]
}

/// Dates and timestamps around the edges of the supported range, with any offset.
fn instant_text() -> impl Strategy<Value = String> {
    const EDGES: &[&str] = &[
        "9999-12-31T23:59:59-01:00",
        "9998-12-31T23:59:59-23:59",
        "1900-01-01T00:00:00+23:59",
        "0001-01-01T00:00:00+01:00",
        "0000-01-01T00:00:00Z",
        "9999-12-31",
        "1899-12-31",
    ];
    let year = select(&[-9999i32, -1, 0, 1, 1899, 1900, 2026, 9998, 9999, 10_000][..]);
    let random = (
        year,
        select(&[1u8, 2, 12][..]),
        select(&[1u8, 28, 29, 30, 31][..]),
        -1_439i32..1_440,
        any::<bool>(),
    )
        .prop_map(|(year, month, day, offset, as_date)| {
            let date = format!("{year:04}-{month:02}-{day:02}");
            if as_date {
                return date;
            }
            let sign = if offset < 0 { '-' } else { '+' };
            let minutes = offset.unsigned_abs();
            format!("{date}T23:59:59{sign}{:02}:{:02}", minutes / 60, minutes % 60)
        });
    prop_oneof![select(EDGES).prop_map(str::to_owned), random]
}

fn sort_text() -> impl Strategy<Value = String> {
    prop_oneof![
        select(
            &[
                "created_at",
                "-created_at",
                "updated_at",
                "-updated_at",
                "priority",
                "-priority",
                "start_date",
                "-start_date"
            ][..]
        )
        .prop_map(str::to_owned),
        text(),
    ]
}

fn query() -> impl Strategy<Value = Vec<(String, String)>> {
    let parameter = prop_oneof![
        instant_text().prop_map(|v| ("created_from".to_owned(), v)),
        instant_text().prop_map(|v| ("created_to".to_owned(), v)),
        sort_text().prop_map(|v| ("sort".to_owned(), v)),
        cursor_text().prop_map(|v| ("cursor".to_owned(), v)),
        text().prop_map(|v| ("q".to_owned(), v)),
        (select(&["status", "priority", "customer_id", "limit", "q"][..]), text()).prop_map(|(n, v)| (n.to_owned(), v)),
    ];
    prop::collection::vec(parameter, 0..4)
}

#[test]
fn any_query_sent_to_any_list_gets_an_answer_below_500() {
    let runtime = runtime();
    let (app, id) = runtime.block_on(app_with_a_draft());
    const FUNCTIONS: &[&str] = &[
        "list-opportunities",
        "list-customers",
        "list-skills",
        "get-opportunity-history",
        "list-attachments",
    ];
    proptest!(ProptestConfig::with_cases(cases(512)), |(function in select(FUNCTIONS), query in query())| {
        let (status, answer) = runtime.block_on(invoke(&app, function, Some(id), &query, Vec::new()));
        prop_assert!(status < 500, "{function} {query:?}: {status} {answer}");
    });
}

proptest! {
    #[test]
    fn any_json_body_is_read_or_refused_with_named_fields(bytes in body()) {
        if let Ok((_, errors)) = parse_body::<crate::handlers::input::CreateOpportunityRequest>(&bytes) {
            for error in errors.into_vec() {
                prop_assert!(!error.message.contains("invalid type"), "{}", error.message);
            }
        }
    }

    #[test]
    fn dates_and_instants_are_in_range_whenever_they_are_accepted(
        year in -20_000i32..20_000,
        month in 0u8..14,
        day in 0u8..33,
        offset_minutes in -1_500i32..1_500,
        raw in text(),
    ) {
        let date = format!("{year:04}-{month:02}-{day:02}");
        if let Ok(parsed) = dates::parse_date(&date) {
            prop_assert!(dates::in_range(parsed));
        }
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let offset = offset_minutes.unsigned_abs();
        let instant = format!("{date}T12:00:00{sign}{:02}:{:02}", offset / 60, offset % 60);
        for text in [instant.as_str(), raw.as_str(), date.as_str()] {
            if let Ok(utc) = dates::parse_instant(text) {
                prop_assert_eq!(utc.offset(), time::UtcOffset::UTC);
                prop_assert!(utc.year() >= 1899 && utc.year() <= 9999, "{} -> {}", text, utc);
            }
        }
        let _ = dates::parse_date(&raw);
    }

    #[test]
    fn timelines_from_any_input_are_parsed_or_refused(
        start in prop::option::of(text()),
        end in prop::option::of(text()),
        duration in prop::option::of(any::<i64>()),
        flexible in prop::option::of(any::<bool>()),
        days in prop::option::of(prop::collection::vec(text(), 0..4)),
    ) {
        let input = TimelineInput { start_date: start, end_date: end, duration_days: duration, flexible, specific_days: days };
        if let Ok(timeline) = Timeline::parse(&input, FieldErrors::new()) {
            prop_assert!(dates::in_range(timeline.start_date));
            prop_assert!(dates::in_range(timeline.last_day()));
        }
    }

    #[test]
    fn money_round_trips_exactly_in_its_currency_minor_units(
        currency in select(&["JPY", "CLP", "EUR", "USD", "GBP", "KWD", "BHD", "OMR"][..]),
        whole in 0i64..1_000_000_000_000,
        fraction in 0u32..1_000,
        digits in 0u32..4,
    ) {
        let units = minor_units(currency).unwrap_or(2);
        let digits = digits.min(units);
        let amount = if digits == 0 {
            whole.to_string()
        } else {
            format!("{whole}.{:0width$}", fraction % 10u32.pow(digits), width = digits as usize)
        };
        let money = Money::parse(Some(&amount), Some(currency)).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert_eq!(money.amount.scale(), units);
        let exact: Decimal = amount.parse().map_err(|_| TestCaseError::fail("decimal"))?;
        prop_assert_eq!(money.amount, exact);
        // As PostgreSQL's numeric(16, 3) gives it back, and as JSON carries it.
        let mut stored = money.amount;
        stored.rescale(3);
        let read = Money::from_stored(stored, currency.to_owned());
        prop_assert_eq!(read.amount.to_string(), money.amount.to_string());
        let json = serde_json::to_string(&money).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: Money = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, money);
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused_without_panicking(
        list in ".{0,20}",
        value in ".{0,40}",
        garbage in cursor_text(),
    ) {
        let cursor = Cursor { list: list.clone(), value, id: Uuid::now_v7().to_string() };
        let decoded = Cursor::decode(&cursor.encode(), &list);
        if cursor.value.contains('\0') {
            prop_assert!(decoded.is_err());
        } else {
            prop_assert_eq!(decoded.ok(), Some(cursor));
        }
        let _ = Cursor::decode(&garbage, "opportunities:-created_at");
    }
}
