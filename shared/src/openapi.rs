//! The OpenAPI 3.1 description, generated from the code: paths and methods come from the route
//! table ([`crate::routes::routes`], from the fleet manifest), response schemas from the response types themselves
//! (`utoipa`), request schemas from the parse rules they must state exactly (the limits are the
//! domain's constants). The committed `openapi.json` is checked against this by a test;
//! regenerate it with `oms-local render` or `oms-local openapi` (see docs/OPENAPI.md: write to
//! another file, then move it).
//!
//! The request structs keep `Option` fields so that every failing field is reported at once;
//! their schemas here say what the parsers accept, so a client generated from the description
//! sends only what the server takes, and a fuzzer can tell accepted input from refused input.

use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa::openapi::{RefOr, Schema};

use crate::domain::attachment::{ALLOWED_CONTENT_TYPES, FILE_NAME_MAX, MAX_SIZE_BYTES};
use crate::domain::catalog::{Customer, NAME_MAX, Skill};
use crate::domain::history::HistoryItem;
use crate::domain::lifecycle::Status;
use crate::domain::money::{MAX_AMOUNT, currencies};
use crate::domain::opportunity::{
    DESCRIPTION_MAX, Importance, PROBLEM_STATEMENT_MAX, PROBLEM_STATEMENT_MIN, Priority, Proficiency,
    SKILL_REQUIREMENTS_MAX, SkillCategory, TIMELINE_MAX_DAYS, TITLE_MAX,
};
use crate::handlers::attachments::{AttachmentView, AttachmentWithDownload, RegisteredAttachment};
use crate::handlers::input::{CUSTOM_SKILL_MAX, REASON_MAX};
use crate::handlers::platform::Health;
use crate::handlers::views::{OpportunitySummaryView, OpportunityView};
use crate::http::cursor::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::http::problem::Problem;
use crate::routes::routes;

/// A page of opportunity summaries.
#[derive(Serialize, ToSchema)]
pub struct OpportunityPage {
    /// Items.
    pub items: Vec<OpportunitySummaryView>,
    /// Cursor of the next page, `null` on the last.
    pub next_cursor: Option<String>,
}

/// A page of history records.
#[derive(Serialize, ToSchema)]
pub struct HistoryPage {
    /// Items, oldest first.
    pub items: Vec<HistoryItem>,
    /// Cursor of the next page, `null` on the last.
    pub next_cursor: Option<String>,
}

/// A page of customers.
#[derive(Serialize, ToSchema)]
pub struct CustomerPage {
    /// Items, by name.
    pub items: Vec<Customer>,
    /// Cursor of the next page, `null` on the last.
    pub next_cursor: Option<String>,
}

/// A page of catalog skills.
#[derive(Serialize, ToSchema)]
pub struct SkillPage {
    /// Items, by name.
    pub items: Vec<Skill>,
    /// Cursor of the next page, `null` on the last.
    pub next_cursor: Option<String>,
}

/// A page of the audit log.
#[derive(Serialize, ToSchema)]
pub struct AuditEventPage {
    /// Items, oldest first.
    pub items: Vec<crate::ports::privacy::AuditEvent>,
    /// Cursor of the next page, `null` on the last.
    pub next_cursor: Option<String>,
}

/// A page of attachments.
#[derive(Serialize, ToSchema)]
pub struct AttachmentPage {
    /// Items, oldest first.
    pub items: Vec<AttachmentView>,
    /// Cursor of the next page, `null` on the last.
    pub next_cursor: Option<String>,
}

/// The supported years, 1900 to 9998: the prefix of every date and timestamp pattern.
const YEAR: &str = r"(19\d\d|[2-8]\d\d\d|9[0-8]\d\d|99[0-8]\d)";
/// Month and day as `-MM-DD` (the calendar itself is `format: date`'s).
const MONTH_DAY: &str = r"-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])";
/// What `str::trim` removes (Unicode White_Space), as a character class body.
const WHITESPACE: &str = r"\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (Unicode Cc), refused inside single-line texts.
const CONTROL: &str = r"\u0000-\u001f\u007f-\u009f";
/// Control characters refused inside multi-line texts (tab, line feed and carriage return pass).
const CONTROL_MULTILINE: &str = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f";
/// The invisible characters every text refuses (bidirectional controls, zero-width characters:
/// [`crate::domain::validation::invisible_character`]).
const INVISIBLE: &str = r"\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff";
/// The zero-width non-joiner and joiner, refused in one-line texts only.
const JOINERS: &str = r"\u200c\u200d";

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn nullable(schema: Value) -> Value {
    json!({ "oneOf": [schema, { "type": "null" }] })
}

/// A text the server trims and then requires to be `min..=max` characters long, not blank and
/// free of control characters (but newlines and tabs when `multiline`), stated as one pattern:
/// whitespace around, a non-blank first and last character, at most `max - 2` in between.
fn text(min: usize, max: usize, multiline: bool, description: &str) -> Value {
    let control = if multiline { CONTROL_MULTILINE } else { CONTROL };
    let joiners = if multiline { "" } else { JOINERS };
    let edge = format!("[^{WHITESPACE}{CONTROL}{INVISIBLE}{joiners}]");
    let inner = format!("[^{control}{INVISIBLE}{joiners}]");
    let body = if min <= 1 {
        if max <= 1 {
            edge.clone()
        } else {
            format!("{edge}({inner}{{0,{}}}{edge})?", max - 2)
        }
    } else {
        format!("{edge}{inner}{{{},{}}}{edge}", min - 2, max - 2)
    };
    json!({
        "type": "string",
        "description": format!(
            "{description} Trimmed, then {min} to {max} characters; no control characters{}.",
            if multiline { " except tab, line feed and carriage return" } else { "" }
        ),
        "pattern": format!("^[{WHITESPACE}]*{body}[{WHITESPACE}]*$"),
    })
}

/// The amount pattern of a currency with `units` minor units: a non-negative decimal of at most
/// `units` fraction digits, up to [`MAX_AMOUNT`].
fn amount_pattern(units: u32) -> String {
    let max = MAX_AMOUNT.to_string();
    let below = format!(r"\d{{1,{}}}", max.len() - 1);
    if units == 0 {
        format!("^0*({below}|{max})$")
    } else {
        format!(r"^0*({below}(\.\d{{1,{units}}})?|{max}(\.0{{1,{units}}})?)$")
    }
}

/// `MoneyInput`: one branch per number of minor units, so each currency's amount is exact.
fn money_input() -> Value {
    let mut groups: Vec<(u32, Vec<&str>)> = Vec::new();
    for (code, units) in currencies() {
        match groups.iter_mut().find(|(u, _)| u == units) {
            Some((_, codes)) => codes.push(code),
            None => groups.push((*units, vec![code])),
        }
    }
    groups.sort_by_key(|(units, _)| *units);
    let branches: Vec<Value> = groups
        .iter()
        .map(|(units, codes)| {
            json!({
                "title": format!("Currencies with {units} minor unit(s)"),
                "type": "object",
                "additionalProperties": false,
                "required": ["amount", "currency"],
                "properties": {
                    "amount": {
                        "type": "string",
                        "description": format!("Non-negative decimal string, at most {units} fraction digit(s), up to {MAX_AMOUNT}."),
                        "pattern": amount_pattern(*units),
                    },
                    "currency": { "type": "string", "enum": codes },
                },
            })
        })
        .collect();
    json!({
        "description": "Money as a decimal string (never a float) and an ISO 4217 currency code; the amount has at most the currency's minor units of fraction digits.",
        "oneOf": branches,
        "example": { "amount": "125000.00", "currency": "EUR" },
    })
}

/// Every currency code, for the merge patch of an amount (whose exactness depends on the stored currency).
fn currency_codes() -> Vec<&'static str> {
    currencies().iter().map(|(code, _)| *code).collect()
}

fn date_schemas() -> Vec<(&'static str, Value)> {
    vec![
        (
            "Date",
            json!({
                "type": "string",
                "format": "date",
                "pattern": format!("^{YEAR}{MONTH_DAY}$"),
                "description": "A calendar date `YYYY-MM-DD`, 1900-01-01 through 9998-12-31.",
                "example": "2027-02-01",
            }),
        ),
        (
            "DateTime",
            json!({
                "type": "string",
                "format": "date-time",
                "pattern": format!("^{YEAR}-"),
                "description": "An RFC 3339 timestamp; its date part (as written) 1900-01-01 through 9998-12-31.",
                "example": "2027-02-01T09:30:00Z",
            }),
        ),
    ]
}

/// The request schemas, exactly as the parsers in `handlers::input` and `domain` accept them.
fn request_schemas() -> Vec<(&'static str, Value)> {
    let reason = |what: &str| nullable(text(1, REASON_MAX, true, what));
    let customer_name = text(
        1,
        NAME_MAX,
        false,
        "A customer name; an existing customer of this name (ignoring case and spacing) is reused, otherwise one is created.",
    );
    let timeline_properties = json!({
        "start_date": schema_ref("Date"),
        "end_date": nullable(schema_ref("Date")),
        "duration_days": {
            "type": ["integer", "null"],
            "minimum": 1,
            "maximum": TIMELINE_MAX_DAYS,
            "description": format!("1 to {TIMELINE_MAX_DAYS} days; give this or `end_date`."),
        },
        "flexible": { "type": "boolean", "description": "Whether the dates may move." },
        "specific_days": {
            "type": ["array", "null"],
            "items": schema_ref("Date"),
            "maxItems": 366,
            "uniqueItems": true,
            "description": "Days within the timeline the work must happen on.",
        },
    });
    let patch_needs_one: Vec<Value> = [
        "customer",
        "title",
        "description",
        "priority",
        "annual_recurring_revenue",
        "timeline",
    ]
    .iter()
    .map(|field| json!({ "required": [field] }))
    .collect();
    vec![
        ("MoneyInput", money_input()),
        (
            "CustomerInput",
            json!({
                "description": "The customer: an existing customer's `id`, or a `name`.",
                "oneOf": [
                    {
                        "title": "Existing customer",
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["id"],
                        "properties": {
                            "id": { "type": "string", "format": "uuid", "description": "An existing customer's id (422 when there is none)." },
                            "name": { "type": "null" },
                        },
                    },
                    {
                        "title": "Customer by name",
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["name"],
                        "properties": { "name": customer_name, "id": { "type": "null" } },
                    },
                ],
            }),
        ),
        (
            "TimelineInput",
            json!({
                "description": format!("When the work happens: `start_date` and either `end_date` (not before it) or `duration_days`; at most {TIMELINE_MAX_DAYS} days; `specific_days` within it."),
                "type": "object",
                "additionalProperties": false,
                "required": ["start_date", "flexible"],
                "properties": timeline_properties,
                "oneOf": [
                    { "title": "With an end date", "required": ["end_date"], "properties": { "end_date": schema_ref("Date"), "duration_days": { "type": "null" } } },
                    { "title": "With a duration", "required": ["duration_days"], "properties": { "duration_days": { "type": "integer" }, "end_date": { "type": "null" } } },
                ],
                "example": { "start_date": "2027-02-01", "duration_days": 90, "flexible": true },
            }),
        ),
        (
            "CreateOpportunityRequest",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["customer", "title", "description", "priority", "annual_recurring_revenue"],
                "properties": {
                    "customer": schema_ref("CustomerInput"),
                    "title": text(1, TITLE_MAX, false, "Title."),
                    "description": text(1, DESCRIPTION_MAX, true, "Description."),
                    "priority": schema_ref("Priority"),
                    "annual_recurring_revenue": schema_ref("MoneyInput"),
                    "timeline": nullable(schema_ref("TimelineInput")),
                },
                "example": {
                    "customer": { "name": "Contoso" },
                    "title": "Serverless order platform",
                    "description": "Move the order platform to an event-driven architecture.",
                    "priority": "high",
                    "annual_recurring_revenue": { "amount": "125000.00", "currency": "EUR" },
                    "timeline": { "start_date": "2027-02-01", "duration_days": 90, "flexible": true },
                },
            }),
        ),
        (
            "OpportunityPatch",
            json!({
                "description": "A JSON merge patch (RFC 7396) of the details: give at least one field besides `reason`. `customer` only while a draft; once `architect_selected` only `description` and `timeline`; the merged document must satisfy the create rules (422), and the timeline may be removed (`null`) only from a draft.",
                "type": "object",
                "additionalProperties": false,
                "minProperties": 1,
                "properties": {
                    "customer": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["id"],
                        "properties": { "id": { "type": "string", "format": "uuid" } },
                        "description": "Another existing customer (drafts only).",
                    },
                    "title": text(1, TITLE_MAX, false, "New title."),
                    "description": text(1, DESCRIPTION_MAX, true, "New description."),
                    "priority": schema_ref("Priority"),
                    "annual_recurring_revenue": {
                        "type": "object",
                        "additionalProperties": false,
                        "minProperties": 1,
                        "description": "Merged into the current amount; the result must be valid money (at most the currency's minor units).",
                        "properties": {
                            "amount": { "type": "string", "pattern": amount_pattern(3) },
                            "currency": { "type": "string", "enum": currency_codes() },
                        },
                    },
                    "timeline": nullable(json!({
                        "type": "object",
                        "additionalProperties": false,
                        "description": "Merged into the current timeline (`null` members remove); the result must be a valid timeline.",
                        "properties": timeline_properties,
                    })),
                    "reason": reason("Why: required once the opportunity is no longer a draft (recorded in the history)."),
                },
                "anyOf": patch_needs_one,
                "example": { "priority": "critical" },
            }),
        ),
        (
            "ProblemStatementRequest",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["markdown"],
                "properties": {
                    "markdown": text(PROBLEM_STATEMENT_MIN, PROBLEM_STATEMENT_MAX, true, "Markdown, at most 30,000 bytes of UTF-8."),
                    "reason": reason("Why it changed (recorded in the history); required once the opportunity is no longer a draft."),
                },
            }),
        ),
        (
            "SkillRequirementInput",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["category", "importance", "min_proficiency"],
                "properties": {
                    "skill_id": { "type": ["string", "null"], "format": "uuid", "description": "A catalog skill's id (422 when there is none)." },
                    "custom_name": nullable(text(1, CUSTOM_SKILL_MAX, false, "A skill outside the catalog.")),
                    "category": schema_ref("SkillCategory"),
                    "importance": schema_ref("Importance"),
                    "min_proficiency": schema_ref("Proficiency"),
                },
                "oneOf": [
                    { "title": "Catalog skill", "required": ["skill_id"], "properties": { "skill_id": { "type": "string" }, "custom_name": { "type": "null" } } },
                    { "title": "Custom skill", "required": ["custom_name"], "properties": { "custom_name": { "type": "string" }, "skill_id": { "type": "null" } } },
                ],
                "example": { "custom_name": "AWS Lambda", "category": "technical", "importance": "must_have", "min_proficiency": "advanced" },
            }),
        ),
        (
            "SkillRequirementsRequest",
            json!({
                "description": "Replaces the whole list; the same skill may not be listed twice (422).",
                "type": "object",
                "additionalProperties": false,
                "required": ["items"],
                "properties": {
                    "items": { "type": "array", "maxItems": SKILL_REQUIREMENTS_MAX, "items": schema_ref("SkillRequirementInput") },
                    "reason": reason("Why they changed (recorded in the history); required once the opportunity is no longer a draft."),
                },
            }),
        ),
        (
            "CancelRequest",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["reason"],
                "properties": { "reason": text(1, REASON_MAX, true, "Why it is cancelled.") },
                "example": { "reason": "The customer chose another vendor." },
            }),
        ),
        (
            "CreateCustomerRequest",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["name"],
                "properties": { "name": text(1, NAME_MAX, false, "Unique ignoring case and spacing (409 otherwise).") },
                "example": { "name": "Contoso" },
            }),
        ),
        (
            "CreateSkillRequest",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "category"],
                "properties": {
                    "name": text(1, NAME_MAX, false, "Unique ignoring case and spacing (409 otherwise)."),
                    "category": schema_ref("SkillCategory"),
                    "description": nullable(text(1, 1_000, true, "What the skill covers.")),
                },
                "example": { "name": "AWS Lambda", "category": "technical" },
            }),
        ),
        (
            "RegisterAttachmentRequest",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["file_name", "content_type", "size_bytes", "sha256"],
                "properties": {
                    "file_name": {
                        "type": "string",
                        "description": format!("The file's name: its last path segment is kept, control and reserved characters become spaces, and it is shortened to {FILE_NAME_MAX} characters (keeping the extension); it must still name something. It never becomes part of the storage key."),
                        "pattern": format!(r#"^([\s\S]*[/\\])?[^/\\]*[^/\\{WHITESPACE}{CONTROL}.<>:"|?*][^/\\]*$"#),
                    },
                    "content_type": {
                        "type": "string",
                        "enum": ALLOWED_CONTENT_TYPES,
                        "description": "A business document or image type (case and parameters are ignored).",
                    },
                    "size_bytes": { "type": "integer", "minimum": 1, "maximum": MAX_SIZE_BYTES },
                    "sha256": { "type": "string", "pattern": "^[0-9A-Fa-f]{64}$", "description": "SHA-256 of the content, hex: the upload URL binds it (any other bytes are refused) and completion checks it again." },
                },
                "example": { "file_name": "proposal.pdf", "content_type": "application/pdf", "size_bytes": 48213, "sha256": "9f2c1e3b4a5d6c7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e" },
            }),
        ),
    ]
}

/// The response schemas, from the response types (and every type they name).
fn response_schemas() -> Vec<(String, RefOr<Schema>)> {
    fn add<T: ToSchema>(all: &mut Vec<(String, RefOr<Schema>)>) {
        all.push((T::name().into_owned(), T::schema()));
        T::schemas(all);
    }
    let mut all = Vec::new();
    add::<OpportunityView>(&mut all);
    add::<OpportunityPage>(&mut all);
    add::<HistoryPage>(&mut all);
    add::<crate::domain::reports::PipelineReport>(&mut all);
    add::<CustomerPage>(&mut all);
    add::<SkillPage>(&mut all);
    add::<Customer>(&mut all);
    add::<Skill>(&mut all);
    add::<crate::domain::privacy::UserProfile>(&mut all);
    add::<crate::handlers::privacy::ExportResponse>(&mut all);
    add::<crate::ports::privacy::AuditEvent>(&mut all);
    add::<AuditEventPage>(&mut all);
    add::<Health>(&mut all);
    add::<Problem>(&mut all);
    add::<RegisteredAttachment>(&mut all);
    add::<AttachmentWithDownload>(&mut all);
    add::<AttachmentPage>(&mut all);
    add::<Priority>(&mut all);
    add::<Status>(&mut all);
    add::<SkillCategory>(&mut all);
    add::<Importance>(&mut all);
    add::<Proficiency>(&mut all);
    all
}

/// How one operation is documented (each route of the fleet manifest carries one).
#[derive(Debug, Clone, Copy)]
pub struct Doc {
    pub summary: &'static str,
    pub tag: &'static str,
    pub body: Option<(&'static str, &'static [&'static str])>,
    pub success: (&'static str, Option<&'static str>),
    /// Response headers of the success answer besides `x-request-id`.
    pub success_headers: &'static [&'static str],
    /// Query parameters (names under `components/parameters`).
    pub query: &'static [&'static str],
    /// Who may call it: `any` caller, opportunity `managers` (Sales Managers and Admins), `admin`.
    pub role: &'static str,
    /// 409 codes.
    pub conflicts: &'static [&'static str],
    pub idempotent: bool,
    pub if_match: bool,
    /// 422 without a body (submit: the draft is incomplete).
    pub incomplete: bool,
}

/// The JSON media type, for request bodies.
pub const JSON: &[&str] = &["application/json"];
/// The paging query parameters.
pub const PAGE: &[&str] = &["limit", "cursor"];
/// The 409 codes of a change to an opportunity.
pub const MUTATION_CONFLICTS: &[&str] = &["opportunity_closed", "field_locked", "concurrent_modification"];
/// The 409 codes of a lifecycle action.
pub const ACTION_CONFLICTS: &[&str] = &[
    "illegal_transition",
    "reactivation_window_closed",
    "opportunity_closed",
    "concurrent_modification",
];

/// The success answer of an operation that returns the whole opportunity.
pub const VIEW: (&str, Option<&str>) = ("200", Some("OpportunityView"));

/// A documented operation with its summary, tag and success answer; the rest at defaults.
pub const fn base(summary: &'static str, tag: &'static str, success: (&'static str, Option<&'static str>)) -> Doc {
    Doc {
        summary,
        tag,
        body: None,
        success,
        success_headers: &[],
        query: &[],
        role: "managers",
        conflicts: &[],
        idempotent: false,
        if_match: false,
        incomplete: false,
    }
}

/// The query parameters, each defined once.
fn parameters() -> Value {
    let query = |name: &str, description: &str, schema: Value| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema });
    let search = |description: &str, max: Option<usize>| {
        let pattern = match max {
            Some(max) => format!(
                "^[{WHITESPACE}]*([^{WHITESPACE}\\u0000]([^\\u0000]{{0,{}}}[^{WHITESPACE}\\u0000])?)?[{WHITESPACE}]*$",
                max - 2
            ),
            None => "^[^\\u0000]*$".to_owned(),
        };
        json!({ "type": "string", "pattern": pattern, "description": description })
    };
    json!({
        "limit": query("limit", "Page size.", json!({ "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT })),
        "cursor": query("cursor", "`next_cursor` of the previous page of the same list and sort order (400 `invalid_cursor` otherwise).", json!({ "type": "string", "pattern": "^[A-Za-z0-9_-]+$" })),
        "customer_q": query("q", "Case-insensitive substring of the name (trimmed).", search("Search text.", None)),
        "opportunity_q": query("q", "Case-insensitive substring of the title or customer name (trimmed, at most 100 characters).", search("Search text.", Some(100))),
        "status": query("status", "Filter by status.", schema_ref("Status")),
        "priority": query("priority", "Filter by priority.", schema_ref("Priority")),
        "customer_id": query("customer_id", "Filter by customer id.", json!({ "type": "string", "format": "uuid" })),
        "owner_id": query("owner_id", "Only this owner's opportunities: a user id (`sub`). Admins; a Sales Manager may name only themselves in the list (403 otherwise).", json!({ "type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$" })),
        "download_links": query("download_links", "Add a short-lived download URL to each available attachment.", json!({ "type": "string", "enum": ["true", "false"], "default": "false" })),
        "created_from": query("created_from", "Created at or after: a date (midnight UTC) or an RFC 3339 timestamp.", json!({ "oneOf": [schema_ref("Date"), schema_ref("DateTime")] })),
        "created_to": query("created_to", "Created before: a date (midnight UTC) or an RFC 3339 timestamp.", json!({ "oneOf": [schema_ref("Date"), schema_ref("DateTime")] })),
        "sort": query("sort", "Sort key; `-` for descending (default `-created_at`).", json!({
            "type": "string",
            "enum": ["created_at", "-created_at", "updated_at", "-updated_at", "priority", "-priority", "start_date", "-start_date"],
            "default": "-created_at",
        })),
        "Idempotency-Key": {
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "description": "A retry with the same key and body within 24 hours returns the first response; the same key with another body is 422 `idempotency_key_reused`; a retry while the first is still running waits for it and then returns its response.",
            "schema": { "type": "string", "pattern": "^[!-~]{1,255}$" },
            "example": "3f1c2b9e-first-try",
        },
        "If-Match": {
            "name": "If-Match",
            "in": "header",
            "required": false,
            "description": "The opportunity's current `ETag` (or `*`); 412 `stale_version` when another version is current. Without it a concurrent write is recomputed on the fresh state.",
            "schema": { "type": "string", "pattern": "^(\\*|\"[0-9]+\"(, *\"[0-9]+\")*)$" },
            "example": "\"2\"",
        },
    })
}

/// The response headers, each defined once; all but `Retry-After` (API Gateway's) are always sent.
fn headers() -> Value {
    json!({
        "x-request-id": { "required": true, "description": "The request id (API Gateway's); quote it when reporting a problem.", "schema": { "type": "string", "minLength": 1 } },
        "ETag": { "required": true, "description": "The opportunity's version in quotes, for `If-Match`.", "schema": { "type": "string", "pattern": "^\"[0-9]+\"$" } },
        "Location": { "required": true, "description": "The new resource's path.", "schema": { "type": "string", "format": "uri-reference" } },
        "WWW-Authenticate": { "required": true, "description": "`Bearer`.", "schema": { "type": "string" } },
        "Retry-After": { "description": "Seconds to wait before retrying.", "schema": { "type": "integer", "minimum": 0 } },
        "Cache-Control": { "required": true, "description": "How long the file may be cached.", "schema": { "type": "string" } },
    })
}

/// A problem response whose `code` is one of `codes`.
fn problem_response(description: &str, codes: &[&str], extra_headers: &[&str]) -> Value {
    let mut headers = Map::new();
    headers.insert(
        "x-request-id".into(),
        json!({ "$ref": "#/components/headers/x-request-id" }),
    );
    for name in extra_headers {
        headers.insert(
            (*name).into(),
            json!({ "$ref": format!("#/components/headers/{name}") }),
        );
    }
    json!({
        "description": description,
        "headers": headers,
        "content": {
            "application/problem+json": {
                "schema": {
                    "allOf": [
                        schema_ref("Problem"),
                        { "type": "object", "properties": { "code": { "type": "string", "enum": codes } } },
                    ],
                },
                "example": {
                    "type": format!("/problems/{}", codes[0]),
                    "title": "…",
                    "status": 0,
                    "detail": "…",
                    "code": codes[0],
                    "request_id": "c0a8012e-7d1f-4a7e-9d1b-2f3c4d5e6f70",
                },
            },
        },
    })
}

fn operation(route: &crate::routes::Route, doc: &Doc) -> Value {
    let path_params: Vec<&str> = route
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect();
    let mut parameters: Vec<Value> = path_params
        .iter()
        .map(|name| {
            let schema = if route.function == "get-docs-asset" {
                json!({ "type": "string", "enum": crate::docs::ASSET_NAMES })
            } else if *name == "user_id" {
                json!({ "type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]+$", "description": "A user id (Cognito `sub`) or a pseudonym." })
            } else {
                json!({ "type": "string", "format": "uuid" })
            };
            json!({ "name": name, "in": "path", "required": true, "schema": schema })
        })
        .collect();
    for name in doc.query {
        parameters.push(json!({ "$ref": format!("#/components/parameters/{name}") }));
    }
    if doc.idempotent {
        parameters.push(json!({ "$ref": "#/components/parameters/Idempotency-Key" }));
    }
    if doc.if_match {
        parameters.push(json!({ "$ref": "#/components/parameters/If-Match" }));
    }
    let mut op = Map::new();
    op.insert("operationId".into(), json!(route.function));
    op.insert("summary".into(), json!(doc.summary));
    op.insert("tags".into(), json!([doc.tag]));
    if !parameters.is_empty() {
        op.insert("parameters".into(), json!(parameters));
    }
    if let Some((schema, media_types)) = doc.body {
        let content: Map<String, Value> = media_types
            .iter()
            .map(|m| ((*m).to_owned(), json!({ "schema": schema_ref(schema) })))
            .collect();
        op.insert("requestBody".into(), json!({ "required": true, "content": content }));
    }
    let mut responses = Map::new();
    let (status, schema) = doc.success;
    let mut success_headers = Map::new();
    success_headers.insert(
        "x-request-id".into(),
        json!({ "$ref": "#/components/headers/x-request-id" }),
    );
    for name in doc.success_headers {
        success_headers.insert(
            (*name).into(),
            json!({ "$ref": format!("#/components/headers/{name}") }),
        );
    }
    let mut success = json!({ "description": "Success", "headers": success_headers });
    match (route.function, schema) {
        (_, Some(schema)) => {
            success["content"] = json!({ "application/json": { "schema": schema_ref(schema) } });
        }
        ("get-openapi", None) => {
            success["content"] = json!({ "application/json": { "schema": { "type": "object" } } });
        }
        ("get-docs", None) => {
            success["content"] = json!({ "text/html": { "schema": { "type": "string" } } });
        }
        ("get-docs-asset", None) => {
            success["headers"]["Cache-Control"] = json!({ "$ref": "#/components/headers/Cache-Control" });
            success["content"] = json!({
                "text/javascript": { "schema": { "type": "string" } },
                "text/css": { "schema": { "type": "string" } },
                "image/png": { "schema": { "type": "string", "contentMediaType": "image/png" } },
                "text/plain": { "schema": { "type": "string" } },
            });
        }
        _ => {}
    }
    if route.function == "get-pipeline-report" {
        // The same figures as CSV when the client prefers `text/csv`.
        success["content"]["text/csv"] = json!({
            "schema": { "type": "string" },
            "example": "dimension,status,priority,currency,count,arr_amount\r\ntotal,,,EUR,2,250000.50\r\nstatus,draft,,EUR,2,250000.50\r\nstatus,submitted,,,0,\r\n",
        });
    }
    let links = links(route.function, schema);
    if !links.is_empty() {
        success["links"] = Value::Object(links);
    }
    responses.insert(status.into(), success);
    let mut bad_request: Vec<&str> = Vec::new();
    if !path_params.is_empty() && route.function != "get-docs-asset" || !doc.query.is_empty() {
        bad_request.push("invalid_parameter");
    }
    if doc.query.contains(&"cursor") {
        bad_request.push("invalid_cursor");
    }
    if doc.body.is_some() {
        bad_request.extend(["malformed_json", "empty_body"]);
    }
    if doc.idempotent {
        bad_request.push("invalid_idempotency_key");
    }
    if !bad_request.is_empty() {
        responses.insert(
            "400".into(),
            problem_response(
                "The request cannot be read: malformed JSON, a bad parameter or header, an empty body",
                &bad_request,
                &[],
            ),
        );
    }
    if route.authenticated {
        responses.insert(
            "401".into(),
            problem_response(
                "Missing, malformed, expired or foreign token",
                &["unauthenticated"],
                &["WWW-Authenticate"],
            ),
        );
    }
    if matches!(doc.role, "managers" | "admin") {
        responses.insert(
            "403".into(),
            problem_response(
                if doc.role == "admin" {
                    "Only Admins may do this"
                } else {
                    "Only Sales Managers and Admins work with opportunities"
                },
                &["forbidden"],
                &[],
            ),
        );
    }
    // A privacy subject is never unknown: a person the service never saw has an empty export.
    if !path_params.is_empty() && !path_params.contains(&"user_id") {
        responses.insert(
            "404".into(),
            problem_response("No such resource (or another Sales Manager's)", &["not_found"], &[]),
        );
    }
    if !doc.conflicts.is_empty() {
        responses.insert(
            "409".into(),
            problem_response("The resource's state does not allow this", doc.conflicts, &[]),
        );
    }
    if doc.if_match {
        responses.insert(
            "412".into(),
            problem_response("If-Match names a stale version", &["stale_version"], &[]),
        );
    }
    if doc.body.is_some() {
        responses.insert(
            "413".into(),
            problem_response(
                "The body exceeds 256 KiB, or holds more than 4,096 JSON values or nests deeper than 16 levels",
                &["payload_too_large"],
                &[],
            ),
        );
        responses.insert(
            "415".into(),
            problem_response("Wrong Content-Type", &["unsupported_media_type"], &[]),
        );
    }
    if doc.body.is_some() || doc.incomplete {
        let mut codes = vec!["validation_failed"];
        if doc.idempotent {
            codes.push("idempotency_key_reused");
        }
        responses.insert(
            "422".into(),
            problem_response(
                "Well-formed but invalid; `errors` lists every failing field",
                &codes,
                &[],
            ),
        );
    }
    if route.authenticated {
        responses.insert(
            "429".into(),
            problem_response(
                "More requests this minute than the per-user limit (1,000 by default) admits; retry after `Retry-After` seconds",
                &["rate_limited"],
                &["Retry-After"],
            ),
        );
    }
    responses.insert(
        "500".into(),
        problem_response(
            "Our fault; the details are in the log under the request id",
            &["internal_error"],
            &[],
        ),
    );
    op.insert("responses".into(), Value::Object(responses));
    if route.authenticated {
        op.insert("security".into(), json!([{ "cognito": [] }]));
    }
    Value::Object(op)
}

/// OpenAPI links from what an operation returns to the operations on it: a client (or the
/// fuzzer's stateful phase) follows them from a created opportunity to reading, changing and
/// acting on it, with its id and its current `ETag` as `If-Match`.
fn links(function: &str, schema: Option<&str>) -> Map<String, Value> {
    let mut links = Map::new();
    let with_id = |id: &str, etag: bool| {
        let mut parameters = json!({ "path.id": id });
        if etag {
            parameters["header.If-Match"] = json!("$response.header.ETag");
        }
        parameters
    };
    match schema {
        Some("OpportunityView") => {
            for route in routes() {
                let doc = route.doc;
                if route.path.starts_with("/v1/opportunities/{id}") {
                    links.insert(
                        route.function.to_owned(),
                        json!({ "operationId": route.function, "parameters": with_id("$response.body#/id", doc.if_match) }),
                    );
                }
            }
        }
        Some("RegisteredAttachment") => {
            for target in ["get-attachment", "delete-attachment"] {
                links.insert(
                    target.to_owned(),
                    json!({ "operationId": target, "parameters": with_id("$response.body#/attachment/id", false) }),
                );
            }
        }
        Some("Customer") if function == "create-customer" => {
            links.insert(
                "list-opportunities".to_owned(),
                json!({ "operationId": "list-opportunities", "parameters": { "query.customer_id": "$response.body#/id" } }),
            );
        }
        _ => {}
    }
    links
}

/// Builds the OpenAPI document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in routes() {
        let item = paths.entry(route.path).or_insert_with(|| json!({}));
        item[route.method.as_str().to_ascii_lowercase()] = operation(route, &route.doc);
    }
    let mut schemas = Map::new();
    for (name, schema) in response_schemas() {
        schemas.insert(name, serde_json::to_value(schema).unwrap_or(Value::Null));
    }
    for (name, schema) in date_schemas().into_iter().chain(request_schemas()) {
        schemas.insert(name.to_owned(), schema);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Opportunity Management API",
            "version": "1.0.0",
            "description": "Sales Managers register customer opportunities so that a Solution Architect with the right skills can be matched to them. Errors are RFC 9457 problem documents with a stable `code`. Every request but `/health`, `/openapi.json` and `/docs` needs `Authorization: Bearer <Cognito ID or access token>`; every response carries `x-request-id`. Dates and timestamps are supported from 1900-01-01 through 9998-12-31.",
        },
        "servers": [{ "url": "/", "description": "This deployment (API Gateway adds the stage in front)" }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": parameters(),
            "headers": headers(),
            "securitySchemes": {
                "cognito": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "`Authorization: Bearer <token>`: a Cognito ID or access token of this app client; groups (`SalesManager`, `Admin`) from `cognito:groups`.",
                },
            },
        },
    })
}

/// The document as pretty JSON with a trailing newline (the committed form).
pub fn to_pretty_json() -> String {
    let document = serde_json::to_value(document()).map(keys_in_order).unwrap_or_default();
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// Every object's keys in alphabetical order. serde_json keeps insertion order when any crate of
/// the build enables its `preserve_order` feature and sorts otherwise, so without this the text
/// would depend on which crates were built together.
pub(crate) fn keys_in_order(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut members: Vec<(String, serde_json::Value)> = map.into_iter().collect();
            members.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(members.into_iter().map(|(k, v)| (k, keys_in_order(v))).collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(keys_in_order).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    match (key.as_str(), v) {
                        ("$ref", Value::String(target)) => found.push(target.clone()),
                        _ => refs(v, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves_to_a_definition() {
        let document = document();
        let mut found = Vec::new();
        refs(&document, &mut found);
        assert!(found.len() > 50, "only {} references found", found.len());
        let dangling: Vec<&String> = found
            .iter()
            .filter(|target| {
                let pointer = target.strip_prefix('#').unwrap_or("not a local reference");
                document.pointer(pointer).is_none()
            })
            .collect();
        assert!(dangling.is_empty(), "dangling references: {dangling:?}");
    }

    #[test]
    fn a_dangling_reference_is_detected() {
        let document = json!({ "a": { "$ref": "#/components/schemas/Nothing" } });
        let mut found = Vec::new();
        refs(&document, &mut found);
        assert_eq!(found, vec!["#/components/schemas/Nothing"]);
        assert!(document.pointer("/components/schemas/Nothing").is_none());
    }

    fn pattern_of(schema: &Value) -> regex_lite::Regex {
        regex_lite::Regex::new(schema["pattern"].as_str().unwrap()).unwrap()
    }

    #[test]
    fn text_patterns_accept_exactly_what_parse_text_accepts() {
        let inputs = [
            "",
            " ",
            "   ",
            "a",
            "ab",
            "abc",
            "abcd",
            "  abc  ",
            "a c",
            "\u{b}ab",
            "ab\u{b}",
            "a\u{1}c",
            "a\nc",
            "a\tc",
            "\n\na\n",
            "a\u{0}",
            "\u{0}",
            "\u{2003}a\u{2003}",
            "\u{85}a",
            "a\u{85}b",
            "\u{feff}",
            "a\u{200b}b",
            "a\u{202e}b",
            "\u{2066}ab",
            "a\u{200d}b",
            "é",
            "日本語",
        ];
        for multiline in [false, true] {
            let pattern = pattern_of(&text(1, 3, multiline, ""));
            for input in inputs {
                assert_eq!(
                    pattern.is_match(input),
                    crate::domain::validation::parse_text(input, 3, multiline).is_ok(),
                    "{input:?} (multiline: {multiline})"
                );
            }
        }
        let statement = pattern_of(&text(5, 7, true, ""));
        assert!(!statement.is_match(" abcd "));
        assert!(statement.is_match(" abcde\n"));
        assert!(statement.is_match("abcdefg"));
        assert!(!statement.is_match("abcdefgh"));
    }

    #[test]
    fn amount_patterns_match_what_money_parse_accepts() {
        for (currency, units) in [("JPY", 0), ("EUR", 2), ("KWD", 3)] {
            let pattern = regex_lite::Regex::new(&amount_pattern(units)).unwrap();
            for amount in [
                "0",
                "5",
                "007",
                "5.",
                ".5",
                "5.1",
                "5.12",
                "5.123",
                "5.1234",
                "-1",
                "1e5",
                "1000000000000",
                "1000000000000.00",
                "1000000000000.01",
                "1000000000001",
                "999999999999.999",
                "",
                " 5",
            ] {
                assert_eq!(
                    pattern.is_match(amount),
                    crate::domain::money::Money::parse(Some(amount), Some(currency)).is_ok(),
                    "{amount:?} in {currency}"
                );
            }
        }
    }

    #[test]
    fn amount_patterns_bound_the_fraction_digits_and_the_maximum() {
        assert_eq!(amount_pattern(0), r"^0*(\d{1,12}|1000000000000)$");
        assert_eq!(
            amount_pattern(2),
            r"^0*(\d{1,12}(\.\d{1,2})?|1000000000000(\.0{1,2})?)$"
        );
    }

    #[test]
    fn money_input_names_every_currency_once() {
        let money = money_input();
        let mut codes: Vec<String> = money["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|b| b["properties"]["currency"]["enum"].as_array().unwrap().clone())
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        let count = codes.len();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), count);
        assert_eq!(count, currencies().len());
    }

    #[test]
    fn the_committed_openapi_json_matches_the_code() {
        let committed = include_str!("../../openapi.json");
        let generated = to_pretty_json();
        assert!(
            committed == generated,
            "openapi.json is out of date: regenerate it with `oms-local openapi` (docs/OPENAPI.md) and commit it"
        );
    }
}
