//! The lifecycle actions: submit, cancel, reactivate.

use super::changes::mutate;
use super::*;

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
