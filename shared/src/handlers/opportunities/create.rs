//! Creating a draft, at most once per `Idempotency-Key`.

use super::*;

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
