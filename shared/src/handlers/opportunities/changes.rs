//! Changing an opportunity through the one write path: `PATCH` of its details and the `PUT`s of
//! its problem statement and skill requirements.

use super::*;

/// Loads, checks `If-Match`, computes the change and writes it through the one write path
/// ([`opportunity_writes::write`]). Without `If-Match` a concurrent write is recomputed on the
/// fresh state; with it, it is a 412.
pub(super) async fn mutate<F>(
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
        Some(Value::String(text)) => {
            errors.check("reason", parse_text(&text, crate::handlers::input::REASON_MAX, true))
        }
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
    reason.and_then(|r| errors.check("reason", parse_text(r, crate::handlers::input::REASON_MAX, true)))
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
        .map(|items| items.0.clone())
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
