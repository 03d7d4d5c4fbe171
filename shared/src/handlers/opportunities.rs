//! The opportunity endpoints: create, list, get, patch, problem statement, skill requirements,
//! submit, cancel, reactivate and history.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::idempotent::{self, Once};
use super::input::{
    CancelRequest, CreateOpportunityRequest, Details, MoneyInput, ProblemStatementRequest, SkillRequirementsRequest,
    parse_customer, parse_details, parse_priority, parse_reason, parse_skill_requirements,
};
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

/// `POST /v1/opportunities`: creates a draft.
pub async fn create(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    let (body, mut errors): (CreateOpportunityRequest, _) = json_body(&request)?;
    let key = idempotency_key(&request)?;
    let now = app.clock.now();
    // With an Idempotency-Key the id derives from it, so a retry can never create a second one.
    let id = match &key {
        Some(key) => Uuid::new_v5(
            &Uuid::NAMESPACE_OID,
            format!("opportunity\n{}\n{key}", caller.id).as_bytes(),
        ),
        None => app.ids.new_id(),
    };
    let customer = parse_customer(&mut errors, body.customer.as_ref(), app.ids.new_id());
    let details = parse_details(
        &mut errors,
        body.title.as_deref(),
        body.description.as_deref(),
        body.priority.as_deref(),
        body.annual_recurring_revenue.as_ref(),
        body.timeline.as_ref(),
    );
    let (customer, details) = errors
        .finish(|| Some((customer?, details?)))
        .map_err(ApiError::Validation)?;
    let draft = OpportunityDraft {
        id,
        owner_sub: caller.id.clone(),
        title: details.title,
        description: details.description,
        priority: details.priority,
        annual_recurring_revenue: details.annual_recurring_revenue,
        timeline: details.timeline,
        problem_statement: None,
        skill_requirements: Vec::new(),
        created_at: now,
        // The creation records the caller's profile in its transaction, with this name.
        owner_name: caller.name.clone(),
    };
    let new = NewOpportunity {
        event: ChangeEvent {
            id: app.ids.new_id(),
            event_type: ChangeKind::OpportunityCreated,
            aggregate_id: id,
            aggregate_version: 1,
            occurred_at: now,
            detail: json!({ "status": "draft", "owner_id": caller.id }),
        },
        history: HistoryEntry {
            change: Change::Status {
                from: None,
                to: Status::Draft,
            },
            at: now,
            actor: caller.id.clone(),
            reason: None,
        },
        customer,
        draft,
    };
    let render = |o: &Opportunity| {
        let headers = vec![("location".into(), location(o)), ("etag".into(), o.etag())];
        to_stored(StatusCode::CREATED, &OpportunityView::of(o), headers)
    };
    let fingerprint = request_fingerprint(&request);
    let events = vec![new.event.clone()];
    let once = idempotent::Request {
        caller: &caller.id,
        key: key.as_deref(),
        fingerprint: &fingerprint,
        now,
    };
    let created = idempotent::create_once(once, &render, |claim| app.opportunities.create(new, claim)).await;
    let created = match created {
        // The key was used more than 24 hours ago (its record expired): the opportunity's id
        // comes from the key, so the one it created is the answer.
        Err(ApiError::Conflict {
            code: "already_exists", ..
        }) if key.is_some() => {
            return Ok(replay(render(&load_accessible(app, &caller, id).await?)));
        }
        other => other?,
    };
    match created {
        Once::Created(o) => {
            // A new opportunity has no attachments: its view needs no read.
            let body = view_json_with(&o, &[])?;
            after_commit(app, Some(entry_of(&o, &body)), &events).await;
            Ok(with_header(
                respond_json(&o, body, StatusCode::CREATED),
                "location",
                &location(&o),
            ))
        }
        Once::Replayed(response) => Ok(response),
    }
}

/// The owner of a cached opportunity view, to check access without the database.
#[derive(serde::Deserialize)]
struct CachedOwner {
    owner_id: String,
}

/// `GET /v1/opportunities/{id}`: cache-aside; a cache failure falls back to the database.
pub async fn get(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    let id = path_id(&request, "id")?;
    let key = opportunity_key(id);
    match app.cache.get(&key).await {
        Ok(Some(entry)) => match serde_json::from_str::<CachedOwner>(&entry.body) {
            Ok(cached) if caller.can_access(&cached.owner_id) => {
                crate::metrics::record(crate::metrics::CACHE_HITS, 1.0);
                let mut response = Response::new(Body::Text(entry.body));
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                return Ok(with_header(response, "etag", &format!("\"{}\"", entry.version)));
            }
            Ok(_) => return Err(ApiError::NotFound(format!("no opportunity {id}"))),
            Err(error) => tracing::warn!(%error, key, "unreadable cache entry; reading the database"),
        },
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, key, "cache unavailable; reading the database"),
    }
    crate::metrics::record(crate::metrics::CACHE_MISSES, 1.0);
    let (opportunity, attachments) = load_view(app, &caller, id, ATTACHMENTS_IN_VIEW).await?;
    let body = view_json_with(&opportunity, &attachments)?;
    if let Err(error) = app.cache.put(&key, opportunity.version, &body, OPPORTUNITY_TTL).await {
        tracing::warn!(%error, key, "could not fill the cache");
    }
    Ok(respond_json(&opportunity, body, StatusCode::OK))
}

fn parse_sort(raw: Option<&str>) -> Result<(SortKey, bool), ApiError> {
    let text = raw.unwrap_or("-created_at");
    let (descending, name) = match text.strip_prefix('-') {
        Some(name) => (true, name),
        None => (false, text),
    };
    let key = match name {
        "created_at" => SortKey::CreatedAt,
        "updated_at" => SortKey::UpdatedAt,
        "priority" => SortKey::Priority,
        "start_date" => SortKey::StartDate,
        _ => {
            return Err(ApiError::BadRequest {
                code: "invalid_parameter",
                detail: "sort must be created_at, updated_at, priority or start_date, optionally prefixed with -"
                    .into(),
            });
        }
    };
    Ok((key, descending))
}

fn bad_parameter(name: &str, expected: &str) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_parameter",
        detail: format!("{name} must be {expected}"),
    }
}

/// Accepts an RFC 3339 timestamp or a date (midnight UTC), within the supported range.
fn parse_instant(name: &str, raw: Option<String>) -> Result<Option<OffsetDateTime>, ApiError> {
    let Some(text) = raw else { return Ok(None) };
    dates::parse_instant(&text)
        .map(Some)
        .map_err(|message| ApiError::BadRequest {
            code: "invalid_parameter",
            detail: format!("{name} {message}"),
        })
}

/// `GET /v1/opportunities`: Sales Managers see their own, Admins all.
pub async fn list(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    only_query_params(
        &request,
        &[
            "status",
            "priority",
            "customer_id",
            "owner_id",
            "created_from",
            "created_to",
            "q",
            "sort",
            "limit",
            "cursor",
        ],
    )?;
    let owner_id = super::input::parse_owner_id(query(&request, "owner_id")?)?;
    let status = query(&request, "status")?
        .map(|s| Status::parse(&s).ok_or_else(|| bad_parameter("status", "a status such as draft or submitted")))
        .transpose()?;
    let priority = query(&request, "priority")?
        .map(|p| parse_priority(&p).map_err(|m| bad_parameter("priority", m.trim_start_matches("must be "))))
        .transpose()?;
    let customer_id = query(&request, "customer_id")?
        .map(|c| Uuid::parse_str(&c).map_err(|_| bad_parameter("customer_id", "a UUID")))
        .transpose()?;
    let created_from = parse_instant("created_from", query(&request, "created_from")?)?;
    let created_to = parse_instant("created_to", query(&request, "created_to")?)?;
    let text = query(&request, "q")?
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    if text.as_ref().is_some_and(|q| q.chars().count() > 100) {
        return Err(bad_parameter("q", "at most 100 characters"));
    }
    let sort_text = query(&request, "sort")?;
    let (sort, descending) = parse_sort(sort_text.as_deref())?;
    let list_name = format!("opportunities:{}", sort_text.as_deref().unwrap_or("-created_at"));
    let limit = parse_limit(query(&request, "limit")?.as_deref())?;
    let after = match position(&request, &list_name)? {
        None => None,
        Some((value, id)) => Some(match sort {
            SortKey::CreatedAt | SortKey::UpdatedAt => {
                SortPosition::Timestamp(dates::parse_instant(&value).map_err(|_| malformed())?, id)
            }
            SortKey::Priority => SortPosition::Rank(
                value
                    .parse()
                    .ok()
                    .filter(|rank| (1..=4).contains(rank))
                    .ok_or_else(malformed)?,
                id,
            ),
            // Opportunities without a timeline sort last, under a key past the supported range.
            SortKey::StartDate => SortPosition::Date(
                parse_date(&value)
                    .ok()
                    .or_else(|| {
                        let no_start = crate::ports::store::NO_START_DATE;
                        (date_position(no_start) == value).then_some(no_start)
                    })
                    .ok_or_else(malformed)?,
                id,
            ),
        }),
    };
    // Admins filter by owner; a Sales Manager sees their own, and may only name themselves.
    let owner_sub = match owner_id {
        Some(owner) if caller.is_admin() || owner == caller.id => Some(owner),
        Some(_) => return Err(ApiError::Forbidden("only Admins may filter by another owner".into())),
        None if caller.is_admin() => None,
        None => Some(caller.id.clone()),
    };
    let q = OpportunityQuery {
        owner_sub,
        status,
        priority,
        customer_id,
        created_from,
        created_to,
        text,
        sort,
        descending,
        after,
        limit,
    };
    let rows = app.opportunities.list(&q).await?;
    let page = Page::from_overfetch(
        rows,
        limit,
        &list_name,
        |s| {
            let value = match sort {
                SortKey::CreatedAt => timestamp_position(s.created_at),
                SortKey::UpdatedAt => timestamp_position(s.updated_at),
                SortKey::Priority => s.priority.rank().to_string(),
                SortKey::StartDate => date_position(s.start_date_key),
            };
            (value, s.id.to_string())
        },
        OpportunitySummaryView::of,
    );
    json_response(StatusCode::OK, &page)
}

/// Loads, checks `If-Match`, computes the change and writes it through the one write path
/// ([`opportunity_writes::write`]). Without `If-Match` a concurrent write is recomputed on the
/// fresh state; with it, it is a 412.
async fn mutate<F>(
    app: &App,
    request: &Request,
    caller: &Caller,
    id: Uuid,
    compute: F,
) -> Result<Response<Body>, ApiError>
where
    F: Fn(&Opportunity, OffsetDateTime) -> Result<Mutation, ApiError>,
{
    mutate_from(app, request, caller, id, None, compute).await
}

/// [`mutate`], starting from a state already read (`Some(None)`: read and not found).
async fn mutate_from<F>(
    app: &App,
    request: &Request,
    caller: &Caller,
    id: Uuid,
    preloaded: Option<Option<(Opportunity, Vec<Attachment>)>>,
    compute: F,
) -> Result<Response<Body>, ApiError>
where
    F: Fn(&Opportunity, OffsetDateTime) -> Result<Mutation, ApiError>,
{
    let preloaded = std::sync::Mutex::new(preloaded);
    // The state and the attachments its view shows, in one read: an attachment change bumps the
    // version, so the write succeeds only while these attachments are current.
    let load = || async {
        let taken = preloaded.lock().map(|mut p| p.take()).unwrap_or(None);
        let (current, attachments) = match taken {
            Some(Some((o, attachments))) if caller.can_access(&o.owner_sub) => (o, attachments),
            Some(_) => return Err(ApiError::NotFound(format!("no opportunity {id}"))),
            None => load_view(app, caller, id, ATTACHMENTS_IN_VIEW).await?,
        };
        check_if_match(request, &current.etag())?;
        Ok((current, attachments))
    };
    let view = |o: Opportunity, attachments: Vec<Attachment>| async move {
        let body = view_json_with(&o, &attachments).map_err(|e| e.to_string())?;
        Ok((o, body))
    };
    let on_conflict = if has_if_match(request) {
        OnConflict::Fail
    } else {
        OnConflict::Recompute
    };
    match opportunity_writes::write(app, load, compute, view, on_conflict, None).await {
        Ok(written) => Ok(respond_json(&written.opportunity, written.view, StatusCode::OK)),
        Err(WriteError::Refused(error)) => Err(error),
        Err(WriteError::Store(error)) => Err(error.into()),
        Err(WriteError::View(error)) => Err(ApiError::Internal(error)),
        Err(WriteError::KeptChanging) => Err(ApiError::Conflict {
            code: "concurrent_modification",
            detail: "the opportunity is being changed concurrently; retry".into(),
        }),
    }
}

fn field_change(
    field: &str,
    old: Value,
    new: Value,
    at: OffsetDateTime,
    actor: &str,
    reason: &Option<String>,
) -> HistoryEntry {
    HistoryEntry {
        change: history::field_change(field, old, new),
        at,
        actor: actor.into(),
        reason: reason.clone(),
    }
}

/// Fields `PATCH` accepts.
const PATCHABLE: &[&str] = &[
    "customer",
    "title",
    "description",
    "priority",
    "annual_recurring_revenue",
    "timeline",
];

/// The patchable part of an opportunity as a JSON document, for merge patches and diffs.
fn patchable_document(o: &Opportunity) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("customer".into(), json!({ "id": o.customer.id }));
    doc.insert("title".into(), json!(o.title));
    doc.insert("description".into(), json!(o.description));
    doc.insert("priority".into(), json!(o.priority));
    doc.insert("annual_recurring_revenue".into(), json!(o.annual_recurring_revenue));
    doc.insert(
        "timeline".into(),
        o.timeline.as_ref().map_or(Value::Null, |t| t.to_input_json()),
    );
    doc
}

/// `PATCH /v1/opportunities/{id}`: a JSON merge patch (RFC 7396) of details and timeline.
pub async fn patch(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    let id = path_id(&request, "id")?;
    let body = checked_body(&request, &["application/merge-patch+json", "application/json"])?;
    let (mut patch, mut errors): (Map<String, Value>, _) = parse_body(body)?;
    let reason_value = patch.remove("reason");
    let reason = match reason_value {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => errors.check("reason", parse_text(&text, super::input::REASON_MAX, true)),
        Some(_) => {
            errors.add("reason", "must be a string");
            None
        }
    };
    for key in patch.keys() {
        if !PATCHABLE.contains(&key.as_str()) {
            errors.add(key.clone(), "cannot be changed with PATCH (problem statement and skill requirements have their own endpoints; status changes through actions)");
        }
    }
    if patch.is_empty() {
        errors.add("", "the patch changes nothing; give at least one field");
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors.into_vec()));
    }
    // A new customer's name is the catalog's: read once before the write, so that the written
    // opportunity renders without a read-back (its existence is checked again by the foreign
    // key of the update).
    let named_customer = match patch
        .get("customer")
        .and_then(|c| c.get("id"))
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
    {
        Some(customer_id) => app.customers.customer(customer_id).await?,
        None => None,
    };
    let patch = Value::Object(patch);
    mutate(app, &request, &caller, id, |current, now| {
        current.ensure_open()?;
        let before = Value::Object(patchable_document(current));
        let mut after = before.clone();
        json_patch::merge(&mut after, &patch);
        let doc = after.as_object().cloned().unwrap_or_default();
        let mut errors = FieldErrors::new();
        let text = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_owned);
        for name in ["title", "description", "priority"] {
            if doc.get(name).is_some_and(|v| !v.is_string()) {
                errors.add_unreadable(name, "must be a string");
            }
        }
        let arr: Option<MoneyInput> = match doc.get("annual_recurring_revenue") {
            Some(v) => read_value(v.clone(), "annual_recurring_revenue", &mut errors),
            None => None,
        };
        let timeline: Option<TimelineInput> = match doc.get("timeline") {
            None | Some(Value::Null) => None,
            Some(v) => read_value(v.clone(), "timeline", &mut errors),
        };
        let customer_id = match doc.get("customer") {
            Some(Value::Object(c)) if c.len() == 1 => c
                .get("id")
                .and_then(Value::as_str)
                .and_then(|s| Uuid::parse_str(s).ok()),
            _ => None,
        };
        let customer = match customer_id {
            Some(wanted) if wanted == current.customer.id => Some(current.customer.clone()),
            Some(wanted) => match named_customer.as_ref().filter(|c| c.id == wanted) {
                Some(found) => Some(CustomerRef {
                    id: found.id,
                    name: found.name.clone(),
                }),
                None => {
                    errors.add("customer.id", "no such customer");
                    None
                }
            },
            None => {
                errors.add("customer.id", "must be the UUID of an existing customer");
                None
            }
        };
        let details: Option<Details> = parse_details(
            &mut errors,
            text("title").as_deref(),
            text("description").as_deref(),
            text("priority").as_deref(),
            arr.as_ref(),
            timeline.as_ref(),
        );
        if current.timeline.is_some()
            && doc.get("timeline").is_none_or(Value::is_null)
            && current.status != Status::Draft
        {
            errors.add("timeline", "cannot be removed once the opportunity is submitted");
        }
        let (details, customer) = errors
            .finish(|| Some((details?, customer?)))
            .map_err(ApiError::Validation)?;
        let mut next = current.clone();
        next.title = details.title;
        next.description = details.description;
        next.priority = details.priority;
        next.annual_recurring_revenue = details.annual_recurring_revenue;
        next.timeline = details.timeline;
        next.customer = customer;
        let normalised = Value::Object(patchable_document(&next));
        let changed: Vec<&str> = PATCHABLE
            .iter()
            .copied()
            .filter(|f| before.get(*f) != normalised.get(*f))
            .collect();
        if changed.is_empty() {
            return Ok(Mutation::of(next, Vec::new()));
        }
        current.ensure_fields_may_change(&changed, reason.as_deref())?;
        let history = changed
            .iter()
            .map(|f| {
                let old = before.get(*f).cloned().unwrap_or(Value::Null);
                let new = normalised.get(*f).cloned().unwrap_or(Value::Null);
                field_change(f, old, new, now, &caller.id, &reason)
            })
            .collect();
        Ok(Mutation::of(next, history))
    })
    .await
}

fn optional_reason(errors: &mut FieldErrors, reason: Option<&str>) -> Option<String> {
    reason.and_then(|r| errors.check("reason", parse_text(r, super::input::REASON_MAX, true)))
}

/// `PUT /v1/opportunities/{id}/problem-statement`.
pub async fn put_problem_statement(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    let id = path_id(&request, "id")?;
    let (body, mut errors): (ProblemStatementRequest, _) = json_body(&request)?;
    let statement = errors
        .require("markdown", body.markdown.as_deref())
        .and_then(|m| errors.check("markdown", ProblemStatement::parse(m)));
    let reason = optional_reason(&mut errors, body.reason.as_deref());
    let statement = errors.finish(|| statement).map_err(ApiError::Validation)?;
    mutate(app, &request, &caller, id, |current, now| {
        current.ensure_requirements_editable("problem statement")?;
        let mut next = current.clone();
        next.problem_statement = Some(statement.clone());
        let history = if current.problem_statement.as_ref() == Some(&statement) {
            Vec::new()
        } else {
            let old = current
                .problem_statement
                .as_ref()
                .map_or(Value::Null, |p| json!(p.markdown));
            vec![field_change(
                "problem_statement",
                old,
                json!(statement.markdown),
                now,
                &caller.id,
                &reason,
            )]
        };
        Ok(Mutation::of(next, history))
    })
    .await
}

/// `PUT /v1/opportunities/{id}/skill-requirements`: replaces the list.
pub async fn put_skill_requirements(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    let id = path_id(&request, "id")?;
    let (body, mut errors): (SkillRequirementsRequest, _) = json_body(&request)?;
    let items = errors
        .require("items", body.items.as_ref())
        .cloned()
        .unwrap_or_default();
    let reason = optional_reason(&mut errors, body.reason.as_deref());
    let wanted: Vec<Uuid> = items
        .iter()
        .filter_map(|i| i.skill_id.as_deref().and_then(|s| Uuid::parse_str(s).ok()))
        .collect();
    // The catalog skills named and the state the change is computed from, in one read.
    let (preloaded, catalog) = if wanted.is_empty() {
        (None, Vec::new())
    } else {
        let (found, catalog) = app
            .opportunities
            .get_with_skills(id, ATTACHMENTS_IN_VIEW, &wanted)
            .await?;
        (Some(found), catalog)
    };
    let requirements = parse_skill_requirements(&mut errors, &items, &catalog);
    let requirements = errors.finish(|| Some(requirements)).map_err(ApiError::Validation)?;
    mutate_from(app, &request, &caller, id, preloaded, |current, now| {
        current.ensure_requirements_editable("skill requirements")?;
        let mut next = current.clone();
        next.skill_requirements = requirements.clone();
        let view = |list: &[crate::domain::opportunity::SkillRequirement]| {
            json!(list.iter().map(|r| r.view()).collect::<Vec<_>>())
        };
        let history = if current.skill_requirements == requirements {
            Vec::new()
        } else {
            vec![field_change(
                "skill_requirements",
                view(&current.skill_requirements),
                view(&requirements),
                now,
                &caller.id,
                &reason,
            )]
        };
        Ok(Mutation {
            skill_requirements_changed: true,
            ..Mutation::of(next, history)
        })
    })
    .await
}

/// `POST /v1/opportunities/{id}/submit`: draft to submitted, once complete.
pub async fn submit(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    let id = path_id(&request, "id")?;
    mutate(app, &request, &caller, id, |current, now| {
        let t = current.submit(now, &caller.id)?;
        let detail = json!({
            "status": t.next.status,
            "owner_id": current.owner_sub,
            "annual_recurring_revenue": current.annual_recurring_revenue,
        });
        Ok(Mutation {
            events: vec![(ChangeKind::OpportunitySubmitted, detail)],
            ..Mutation::of(t.next, vec![t.history])
        })
    })
    .await
}

/// `POST /v1/opportunities/{id}/cancel`: any status before completed; a reason is required.
pub async fn cancel(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    let id = path_id(&request, "id")?;
    let (body, mut errors): (CancelRequest, _) = json_body(&request)?;
    let reason = parse_reason(&mut errors, body.reason.as_deref());
    let reason = errors.finish(|| reason).map_err(ApiError::Validation)?;
    mutate(app, &request, &caller, id, |current, now| {
        let t = current.cancel(now, &caller.id, reason.clone())?;
        let detail = json!({ "status": t.next.status, "previous_status": current.status, "reason": reason });
        Ok(Mutation {
            events: vec![(ChangeKind::OpportunityCancelled, detail)],
            ..Mutation::of(t.next, vec![t.history])
        })
    })
    .await
}

/// `POST /v1/opportunities/{id}/reactivate`: back to the status before cancellation, within 90 days.
pub async fn reactivate_opportunity(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    let id = path_id(&request, "id")?;
    mutate(app, &request, &caller, id, |current, now| {
        let t = current.reactivate(now, &caller.id)?;
        let detail = json!({ "status": t.next.status });
        Ok(Mutation {
            events: vec![(ChangeKind::OpportunityReactivated, detail)],
            ..Mutation::of(t.next, vec![t.history])
        })
    })
    .await
}

/// `GET /v1/opportunities/{id}/history`: status and field change records, oldest first.
pub async fn history(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = opportunity_manager(&request)?;
    let id = path_id(&request, "id")?;
    only_query_params(&request, &["limit", "cursor"])?;
    let limit = parse_limit(query(&request, "limit")?.as_deref())?;
    let list_name = format!("history:{id}");
    let after_seq = match position(&request, &list_name)? {
        Some((value, _)) => value.parse::<i64>().map_err(|_| malformed())?,
        None => 0,
    };
    // The access check and the page in one read.
    let found = match app.opportunities.history_with_owner(id, after_seq, limit).await? {
        Some((owner, page)) if caller.can_access(&owner) => page,
        _ => return Err(ApiError::NotFound(format!("no opportunity {id}"))),
    };
    let next_cursor = match found.items.last() {
        Some(last) if found.more => Some(
            Cursor {
                list: list_name,
                value: last.seq.to_string(),
                id: id.to_string(),
            }
            .encode(),
        ),
        _ => None,
    };
    json_response(
        StatusCode::OK,
        &Page {
            items: found.items,
            next_cursor,
        },
    )
}
