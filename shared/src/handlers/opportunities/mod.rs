//! The opportunity endpoints: create, list, get, patch, problem statement, skill requirements,
//! submit, cancel, reactivate and history.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::idempotent::{self, Once};
use super::views::{AttachmentSummary, OpportunitySummaryView, OpportunityView};
use crate::app::App;
use crate::application::opportunity_writes::{self, Mutation, OnConflict, WriteError};
use crate::auth::Caller;
use crate::consumers::after_commit;
use crate::domain::attachment::Attachment;
use crate::domain::dates;
use crate::domain::events::{ChangeEvent, ChangeKind};
use crate::domain::history::{self, Change, HistoryEntry};
use crate::domain::lifecycle::Status;
use crate::domain::opportunity::{
    CustomerRef, Opportunity, OpportunityDraft, ProblemStatement, TimelineInput, parse_date,
};
use crate::domain::validation::{FieldErrors, parse_text};
use crate::handlers::input::{
    CancelRequest, CreateOpportunityRequest, Details, MoneyInput, ProblemStatementRequest, SkillRequirementsRequest,
    parse_customer, parse_details, parse_priority, parse_reason, parse_skill_requirements,
};
use crate::http::ApiError;
use crate::http::body::{parse_body, read_value};
use crate::http::cursor::{Cursor, Page, date_position, malformed, parse_limit, position, timestamp_position};
use crate::http::request::{
    check_if_match, checked_body, has_if_match, idempotency_key, json_body, only_query_params, opportunity_manager,
    path_id, query, request_fingerprint,
};
use crate::http::response::{json as json_response, replay, to_stored, with_header};
use crate::ports::cache::{OPPORTUNITY_TTL, WriteThrough, opportunity_key};
use crate::ports::store::{NewOpportunity, OpportunityQuery, SortKey, SortPosition};
use lambda_http::http;

/// Attachments listed in an opportunity's view.
pub const ATTACHMENTS_IN_VIEW: i64 = 100;

/// The whole view of an opportunity, with the summaries of `attachments` (its first
/// [`ATTACHMENTS_IN_VIEW`], as [`crate::ports::store::OpportunityStore::get_with_attachments`]
/// reads them with it).
pub fn view_with(o: &Opportunity, attachments: &[Attachment]) -> OpportunityView {
    let summaries = attachments
        .iter()
        .take(ATTACHMENTS_IN_VIEW as usize)
        .map(|a| AttachmentSummary {
            id: a.id,
            file_name: a.file_name.clone(),
            content_type: a.content_type.clone(),
            size_bytes: a.size_bytes,
            status: a.status.as_str().to_owned(),
        })
        .collect();
    OpportunityView::of(o).with_attachments(summaries)
}

/// The view as JSON: built once, it is both the response body and the cache entry.
pub(crate) fn view_json_with(o: &Opportunity, attachments: &[Attachment]) -> Result<String, ApiError> {
    serde_json::to_string(&view_with(o, attachments)).map_err(|e| ApiError::Internal(e.to_string()))
}

/// A response carrying an opportunity's view JSON and its ETag.
fn respond_json(o: &Opportunity, body: String, status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    with_header(response, "etag", &o.etag())
}

/// The cache entry of an already rendered view.
fn entry_of(o: &Opportunity, body: &str) -> WriteThrough {
    crate::application::opportunity_writes::write_through(o, body)
}

fn location(opportunity: &Opportunity) -> String {
    format!("/v1/opportunities/{}", opportunity.id)
}

/// The cache entry of an opportunity: its whole view, at its version.
pub fn cache_entry(o: &Opportunity, attachments: &[Attachment]) -> Option<WriteThrough> {
    match view_json_with(o, attachments) {
        Ok(body) => Some(entry_of(o, &body)),
        Err(error) => {
            tracing::warn!(%error, "could not build the cache entry");
            None
        }
    }
}

/// Loads an opportunity the caller may see; another Sales Manager's is a 404.
async fn load_accessible(app: &App, caller: &Caller, id: Uuid) -> Result<Opportunity, ApiError> {
    Ok(load_view(app, caller, id, 0).await?.0)
}

/// Loads an opportunity the caller may see with what its view shows (the first
/// `attachments_limit` attachments), in one read; another Sales Manager's is a 404.
async fn load_view(
    app: &App,
    caller: &Caller,
    id: Uuid,
    attachments_limit: i64,
) -> Result<(Opportunity, Vec<Attachment>), ApiError> {
    match app.opportunities.get_with_attachments(id, attachments_limit).await? {
        Some((o, attachments)) if caller.can_access(&o.owner_sub) => Ok((o, attachments)),
        _ => Err(ApiError::NotFound(format!("no opportunity {id}"))),
    }
}

mod changes;
mod create;
mod lifecycle;
mod reads;

pub use changes::{patch, put_problem_statement, put_skill_requirements};
pub use create::create;
pub use lifecycle::{cancel, reactivate_opportunity, submit};
pub use reads::{get, history, list};
