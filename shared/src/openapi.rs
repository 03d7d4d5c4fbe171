//! The OpenAPI 3.1 description, generated from the code: paths and methods come from the route
//! table ([`crate::routes::ROUTES`]), schemas from the request and response types themselves.
//! The committed `openapi.json` is checked against this by a test; regenerate it with
//! `cargo run -p oms-local -- openapi > openapi.json`.

use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, ObjectBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    Required, ResponseBuilder, Schema, ServerBuilder, Type,
};

use crate::auth::Caller;
use crate::domain::catalog::{Customer, Skill};
use crate::domain::history::HistoryItem;
use crate::handlers::input::{
    CancelRequest, CreateCustomerRequest, CreateOpportunityRequest, CreateSkillRequest, ProblemStatementRequest,
    SkillRequirementsRequest,
};
use crate::handlers::platform::Health;
use crate::handlers::views::{OpportunitySummaryView, OpportunityView};
use crate::http::problem::Problem;
use crate::routes::ROUTES;

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

/// A page of attachments.
#[derive(Serialize, ToSchema)]
pub struct AttachmentPage {
    /// Items, oldest first.
    pub items: Vec<crate::handlers::attachments::AttachmentView>,
    /// Cursor of the next page, `null` on the last.
    pub next_cursor: Option<String>,
}

/// A JSON merge patch of an opportunity (RFC 7396).
#[derive(Serialize, ToSchema)]
pub struct OpportunityPatch {
    /// `{ "id": ... }` of an existing customer (drafts only).
    pub customer: Option<serde_json::Value>,
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New priority.
    pub priority: Option<String>,
    /// New annual recurring revenue (`{ "amount", "currency" }`).
    pub annual_recurring_revenue: Option<serde_json::Value>,
    /// New timeline (merged), or `null` to remove it (drafts only).
    pub timeline: Option<serde_json::Value>,
    /// Why: required once the opportunity is no longer a draft.
    pub reason: Option<String>,
}

/// How one operation is documented.
struct Doc {
    summary: &'static str,
    tag: &'static str,
    body: Option<(&'static str, &'static [&'static str])>,
    success: (&'static str, Option<&'static str>),
    errors: &'static [&'static str],
    query: &'static [(&'static str, &'static str)],
    idempotent: bool,
    if_match: bool,
}

const JSON: &[&str] = &["application/json"];
const LIST_QUERY: &[(&str, &str)] = &[
    ("limit", "Page size, 1 to 100 (default 20)."),
    ("cursor", "`next_cursor` of the previous page."),
];

fn doc(function: &str) -> Option<Doc> {
    let opportunity_errors: &[&str] = &["400", "401", "403", "404", "409", "412", "415", "422"];
    Some(match function {
        "health" => Doc {
            summary: "Liveness",
            tag: "platform",
            body: None,
            success: ("200", Some("Health")),
            errors: &[],
            query: &[],
            idempotent: false,
            if_match: false,
        },
        "get-me" => Doc {
            summary: "The caller's profile",
            tag: "platform",
            body: None,
            success: ("200", Some("Caller")),
            errors: &["401"],
            query: &[],
            idempotent: false,
            if_match: false,
        },
        "list-customers" => Doc {
            summary: "List customers by name",
            tag: "customers",
            body: None,
            success: ("200", Some("CustomerPage")),
            errors: &["400", "401"],
            query: &[
                ("q", "Case-insensitive substring of the name."),
                ("limit", "Page size, 1 to 100 (default 20)."),
                ("cursor", "`next_cursor` of the previous page."),
            ],
            idempotent: false,
            if_match: false,
        },
        "get-customer" => Doc {
            summary: "One customer",
            tag: "customers",
            body: None,
            success: ("200", Some("Customer")),
            errors: &["400", "401", "404"],
            query: &[],
            idempotent: false,
            if_match: false,
        },
        "get-skill" => Doc {
            summary: "One catalog skill",
            tag: "skills",
            body: None,
            success: ("200", Some("Skill")),
            errors: &["400", "401", "404"],
            query: &[],
            idempotent: false,
            if_match: false,
        },
        "create-customer" => Doc {
            summary: "Add a customer",
            tag: "customers",
            body: Some(("CreateCustomerRequest", JSON)),
            success: ("201", Some("Customer")),
            errors: &["400", "401", "409", "415", "422"],
            query: &[],
            idempotent: true,
            if_match: false,
        },
        "list-skills" => Doc {
            summary: "The skills catalog",
            tag: "skills",
            body: None,
            success: ("200", Some("SkillPage")),
            errors: &["400", "401"],
            query: LIST_QUERY,
            idempotent: false,
            if_match: false,
        },
        "create-skill" => Doc {
            summary: "Add a catalog skill (Admin)",
            tag: "skills",
            body: Some(("CreateSkillRequest", JSON)),
            success: ("201", Some("Skill")),
            errors: &["400", "401", "403", "409", "415", "422"],
            query: &[],
            idempotent: true,
            if_match: false,
        },
        "create-opportunity" => Doc {
            summary: "Create a draft opportunity",
            tag: "opportunities",
            body: Some(("CreateOpportunityRequest", JSON)),
            success: ("201", Some("OpportunityView")),
            errors: &["400", "401", "403", "415", "422"],
            query: &[],
            idempotent: true,
            if_match: false,
        },
        "list-opportunities" => Doc {
            summary: "List opportunities (Sales Managers: their own; Admins: all)",
            tag: "opportunities",
            body: None,
            success: ("200", Some("OpportunityPage")),
            errors: &["400", "401", "403"],
            query: &[
                ("status", "Filter by status."),
                ("priority", "Filter by priority."),
                ("customer_id", "Filter by customer id."),
                ("created_from", "Created at or after (RFC 3339 or YYYY-MM-DD)."),
                ("created_to", "Created before (RFC 3339 or YYYY-MM-DD)."),
                ("q", "Case-insensitive substring of the title or customer name."),
                (
                    "sort",
                    "created_at, updated_at, priority or start_date; prefix - for descending (default -created_at).",
                ),
                ("limit", "Page size, 1 to 100 (default 20)."),
                ("cursor", "`next_cursor` of the previous page."),
            ],
            idempotent: false,
            if_match: false,
        },
        "get-opportunity" => Doc {
            summary: "The whole opportunity",
            tag: "opportunities",
            body: None,
            success: ("200", Some("OpportunityView")),
            errors: &["400", "401", "403", "404"],
            query: &[],
            idempotent: false,
            if_match: false,
        },
        "patch-opportunity" => Doc {
            summary: "Change details and timeline (JSON merge patch)",
            tag: "opportunities",
            body: Some((
                "OpportunityPatch",
                &["application/merge-patch+json", "application/json"],
            )),
            success: ("200", Some("OpportunityView")),
            errors: opportunity_errors,
            query: &[],
            idempotent: false,
            if_match: true,
        },
        "put-problem-statement" => Doc {
            summary: "Set the problem statement",
            tag: "opportunities",
            body: Some(("ProblemStatementRequest", JSON)),
            success: ("200", Some("OpportunityView")),
            errors: opportunity_errors,
            query: &[],
            idempotent: false,
            if_match: true,
        },
        "put-skill-requirements" => Doc {
            summary: "Replace the skill requirements",
            tag: "opportunities",
            body: Some(("SkillRequirementsRequest", JSON)),
            success: ("200", Some("OpportunityView")),
            errors: opportunity_errors,
            query: &[],
            idempotent: false,
            if_match: true,
        },
        "submit-opportunity" => Doc {
            summary: "Submit a complete draft",
            tag: "lifecycle",
            body: None,
            success: ("200", Some("OpportunityView")),
            errors: opportunity_errors,
            query: &[],
            idempotent: false,
            if_match: true,
        },
        "cancel-opportunity" => Doc {
            summary: "Cancel (reason required)",
            tag: "lifecycle",
            body: Some(("CancelRequest", JSON)),
            success: ("200", Some("OpportunityView")),
            errors: opportunity_errors,
            query: &[],
            idempotent: false,
            if_match: true,
        },
        "reactivate-opportunity" => Doc {
            summary: "Reactivate within 90 days of cancellation",
            tag: "lifecycle",
            body: None,
            success: ("200", Some("OpportunityView")),
            errors: opportunity_errors,
            query: &[],
            idempotent: false,
            if_match: true,
        },
        "get-opportunity-history" => Doc {
            summary: "Status history and field changes",
            tag: "opportunities",
            body: None,
            success: ("200", Some("HistoryPage")),
            errors: &["400", "401", "403", "404"],
            query: LIST_QUERY,
            idempotent: false,
            if_match: false,
        },
        "presign-upload" => Doc {
            summary: "Register an upload (at most 50 attachments and 1 GiB per opportunity; 409 attachment_limit_reached); returns a single-use presigned PUT valid 15 minutes",
            tag: "attachments",
            body: Some(("RegisterAttachmentRequest", JSON)),
            success: ("201", Some("RegisteredAttachment")),
            errors: &["400", "401", "403", "404", "409", "415", "422"],
            query: &[],
            idempotent: true,
            if_match: false,
        },
        "list-attachments" => Doc {
            summary: "An opportunity's attachments",
            tag: "attachments",
            body: None,
            success: ("200", Some("AttachmentPage")),
            errors: &["400", "401", "403", "404"],
            query: LIST_QUERY,
            idempotent: false,
            if_match: false,
        },
        "get-attachment" => Doc {
            summary: "An attachment, with a download URL valid 5 minutes once available",
            tag: "attachments",
            body: None,
            success: ("200", Some("AttachmentWithDownload")),
            errors: &["400", "401", "403", "404"],
            query: &[],
            idempotent: false,
            if_match: false,
        },
        "delete-attachment" => Doc {
            summary: "Delete an attachment and its object",
            tag: "attachments",
            body: None,
            success: ("204", None),
            errors: &["400", "401", "403", "404"],
            query: &[],
            idempotent: false,
            if_match: false,
        },
        _ => return None,
    })
}

fn error_description(status: &str) -> &'static str {
    match status {
        "400" => "Malformed JSON or parameters",
        "401" => "Missing, malformed, expired or foreign token",
        "403" => "Authenticated but not allowed",
        "404" => "No such resource (or another Sales Manager's)",
        "409" => "The resource's state does not allow this",
        "412" => "If-Match names a stale version",
        "415" => "Wrong Content-Type",
        "422" => "Well-formed but invalid; `errors` lists every failing field",
        _ => "Error",
    }
}

fn string_schema() -> Schema {
    ObjectBuilder::new().schema_type(Type::String).into()
}

/// Builds the OpenAPI document.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for route in ROUTES {
        let Some(doc) = doc(route.function) else {
            continue;
        };
        let mut op = OperationBuilder::new()
            .operation_id(Some(route.function))
            .summary(Some(doc.summary))
            .tag(doc.tag);
        for segment in route.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String).format(Some(
                            utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Uuid),
                        )))),
                );
            }
        }
        for (name, description) in doc.query {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(*name)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .description(Some(*description))
                    .schema(Some(string_schema())),
            );
        }
        if doc.idempotent {
            op = op.parameter(
                ParameterBuilder::new()
                    .name("Idempotency-Key")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some("A retry with the same key and body returns the first response; the same key with another body is 422."))
                    .schema(Some(string_schema())),
            );
        }
        if doc.if_match {
            op = op.parameter(
                ParameterBuilder::new()
                    .name("If-Match")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some("The opportunity's current ETag; 412 when stale."))
                    .schema(Some(string_schema())),
            );
        }
        if let Some((schema, media_types)) = doc.body {
            let mut body = RequestBodyBuilder::new().required(Some(Required::True));
            for media_type in media_types {
                body = body.content(
                    *media_type,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(schema)))
                        .build(),
                );
            }
            op = op.request_body(Some(body.build()));
        }
        let (status, schema) = doc.success;
        let mut success = ResponseBuilder::new().description("Success");
        if let Some(schema) = schema {
            success = success.content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(schema)))
                    .build(),
            );
        }
        op = op.response(status, success.build());
        for status in doc.errors {
            op = op.response(
                *status,
                ResponseBuilder::new()
                    .description(error_description(status))
                    .content(
                        "application/problem+json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            );
        }
        if route.authenticated {
            op = op.security(SecurityRequirement::new("cognito", Vec::<String>::new()));
        }
        let method = match route.method {
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "PATCH" => HttpMethod::Patch,
            _ => HttpMethod::Delete,
        };
        paths = paths.path(route.path, PathItem::new(method, op.build()));
    }
    let components = ComponentsBuilder::new()
        .schema_from::<OpportunityView>()
        .schema_from::<OpportunityPage>()
        .schema_from::<HistoryPage>()
        .schema_from::<CustomerPage>()
        .schema_from::<SkillPage>()
        .schema_from::<Customer>()
        .schema_from::<Skill>()
        .schema_from::<Caller>()
        .schema_from::<Health>()
        .schema_from::<Problem>()
        .schema_from::<CreateOpportunityRequest>()
        .schema_from::<OpportunityPatch>()
        .schema_from::<ProblemStatementRequest>()
        .schema_from::<SkillRequirementsRequest>()
        .schema_from::<CancelRequest>()
        .schema_from::<CreateCustomerRequest>()
        .schema_from::<CreateSkillRequest>()
        .schema_from::<crate::handlers::attachments::RegisterAttachmentRequest>()
        .schema_from::<crate::handlers::attachments::RegisteredAttachment>()
        .schema_from::<crate::handlers::attachments::AttachmentWithDownload>()
        .schema_from::<AttachmentPage>()
        .security_scheme(
            "cognito",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A Cognito ID or access token; groups from cognito:groups."))
                    .build(),
            ),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Opportunity Management API")
                .version("1.0.0")
                .description(Some("Sales Managers register customer opportunities so that a Solution Architect with the right skills can be matched to them. Errors are RFC 9457 problem documents with a stable `code`."))
                .build(),
        )
        .servers(Some(vec![ServerBuilder::new().url("/").description(Some("This deployment (API Gateway adds the stage in front)")).build()]))
        .paths(paths.build())
        .components(Some(components))
        .build()
}

/// The document as pretty JSON with a trailing newline (the committed form).
pub fn to_pretty_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented() {
        for route in ROUTES {
            assert!(doc(route.function).is_some(), "{route:?} has no OpenAPI entry");
        }
    }

    #[test]
    fn the_committed_openapi_json_matches_the_code() {
        let committed = include_str!("../../openapi.json");
        let generated = to_pretty_json();
        assert!(
            committed == generated,
            "openapi.json is out of date: run `cargo run -p oms-local -- openapi > openapi.json` and commit it"
        );
    }
}
