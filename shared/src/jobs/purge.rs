//! `retention-purge`: daily, deletes what is past its retention ([`RetentionPolicy`]).
//!
//! Order, so that a crash at any point leaves nothing wrong and the next run finishes the work:
//! 1. object keys a previous run queued are deleted from the object store first;
//! 2. closed opportunities, a batch per transaction: their history, requirements and attachment
//!    rows are deleted and their attachments' object keys queued (`object_deletions`) in the same
//!    transaction, so no row ever points at a deleted object a user could still request; then the
//!    queued objects are deleted and each key forgotten after its object is gone, so no object is
//!    ever left that no row remembers (a crash in between leaves the key for the next run;
//!    deleting an object twice is harmless);
//! 3. rejected and never-completed registrations the same way, each with its `AttachmentDeleted`
//!    event and a version bump of its opportunity (whose view lists attachments);
//! 4. published outbox events, processed-event ids and expired idempotency records, a bounded
//!    `DELETE` per statement.
//!
//! Every step selects what is still past its cutoff, so a re-run deletes what is left and
//! nothing else.

use serde::Serialize;

use crate::app::App;
use crate::domain::retention::RetentionPolicy;
use crate::handlers::attachments::{after_attachment_change, attachment_event};
use crate::ports::cache::opportunity_key;
use crate::ports::jobs::RegistrationPurge;

/// Object keys read per round of the deletion queue.
const OBJECT_PAGE: i64 = 100;

/// What one run deleted.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    /// Closed opportunities deleted.
    pub opportunities: u64,
    /// Their history records.
    pub history: u64,
    /// Their skill requirements.
    pub requirements: u64,
    /// Their attachment rows.
    pub attachments: u64,
    /// Rejected or never-completed registrations deleted.
    pub registrations: u64,
    /// Objects deleted from the object store.
    pub objects: u64,
    /// Object keys still queued at the end of the run (counted up to 1,000): the object store
    /// refused their deletion now; the next run deletes them first.
    pub objects_left: u64,
    /// Published outbox events deleted.
    pub published_events: u64,
    /// Processed-event ids deleted.
    pub processed_events: u64,
    /// Expired idempotency records deleted.
    pub idempotency_records: u64,
    /// Batches run (transactions or statements that deleted something).
    pub batches: u64,
    /// False when a kind reached the batch limit of one run: the rest waits for the next run.
    pub complete: bool,
}

/// Deletes the queued objects, forgetting each key once its object is gone. After the store
/// refused one, the run stops trying (its keys wait for the next run).
async fn drain_objects(app: &App, report: &mut PurgeReport, refused: &mut bool, max_rounds: i64) -> Result<(), String> {
    if *refused {
        return Ok(());
    }
    for _ in 0..max_rounds {
        let keys = app
            .retention
            .queued_object_deletions(OBJECT_PAGE)
            .await
            .map_err(|e| e.to_string())?;
        if keys.is_empty() {
            return Ok(());
        }
        let mut failed_now = 0;
        for key in &keys {
            match app.objects.delete(key).await {
                Ok(()) => {
                    app.retention.object_deleted(key).await.map_err(|e| e.to_string())?;
                    report.objects += 1;
                }
                Err(error) => {
                    tracing::error!(%error, key, "an object could not be deleted; its key stays queued");
                    failed_now += 1;
                }
            }
        }
        *refused |= failed_now > 0;
        if failed_now > 0 || (keys.len() as i64) < OBJECT_PAGE {
            return Ok(()); // the store refuses (try at the next run), or the queue is empty
        }
    }
    report.complete = false;
    Ok(())
}

/// Runs `step` (one bounded batch, returning how many rows it deleted) until a batch deletes
/// fewer than `full`, at most `max` times; false when the limit was reached.
async fn repeat<F, Fut>(max: i64, full: u64, report: &mut PurgeReport, mut step: F) -> Result<u64, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<u64, String>>,
{
    let mut total = 0u64;
    for _ in 0..max {
        let deleted = step().await?;
        total = total.saturating_add(deleted);
        if deleted > 0 {
            report.batches += 1;
        }
        if deleted < full {
            return Ok(total);
        }
    }
    report.complete = false;
    Ok(total)
}

/// One run of the purge under `policy`.
pub async fn purge(app: &App, policy: &RetentionPolicy) -> Result<PurgeReport, String> {
    let now = app.clock.now();
    let cutoffs = policy.cutoffs(now).map_err(|e| e.to_string())?;
    let mut report = PurgeReport {
        complete: true,
        ..PurgeReport::default()
    };
    let mut refused = false;
    drain_objects(app, &mut report, &mut refused, policy.max_batches).await?;

    let mut closed_done = false;
    for _ in 0..policy.max_batches {
        let batch = app
            .retention
            .purge_closed_opportunities(cutoffs.closed_opportunities, policy.opportunity_batch, now)
            .await
            .map_err(|e| e.to_string())?;
        if batch.ids.is_empty() {
            closed_done = true;
            break;
        }
        report.batches += 1;
        report.opportunities += batch.ids.len() as u64;
        report.history += batch.history;
        report.requirements += batch.requirements;
        report.attachments += batch.attachments;
        for id in &batch.ids {
            // Gone for good: no later version can be cached.
            if let Err(error) = app.cache.invalidate(&opportunity_key(*id), i64::MAX).await {
                tracing::warn!(%error, %id, "the purged opportunity's cache entry could not be invalidated; it expires");
            }
        }
        drain_objects(app, &mut report, &mut refused, policy.max_batches).await?;
        if (batch.ids.len() as i64) < policy.opportunity_batch {
            closed_done = true;
            break;
        }
    }
    report.complete &= closed_done;

    let mut registrations_done = false;
    for _ in 0..policy.max_batches {
        let candidates = app
            .retention
            .purgeable_registrations(
                cutoffs.rejected_attachments,
                cutoffs.unfinished_uploads,
                policy.opportunity_batch,
            )
            .await
            .map_err(|e| e.to_string())?;
        if candidates.is_empty() {
            registrations_done = true;
            break;
        }
        let purges: Vec<RegistrationPurge> = candidates
            .iter()
            .map(|a| RegistrationPurge {
                attachment: a.clone(),
                event: attachment_event(app, crate::domain::events::ChangeKind::AttachmentDeleted, a),
            })
            .collect();
        let events = app
            .retention
            .purge_registrations(&purges, cutoffs.rejected_attachments, cutoffs.unfinished_uploads, now)
            .await
            .map_err(|e| e.to_string())?;
        report.batches += 1;
        report.registrations += events.len() as u64;
        for event in events {
            after_attachment_change(app, event).await;
        }
        drain_objects(app, &mut report, &mut refused, policy.max_batches).await?;
        if (candidates.len() as i64) < policy.opportunity_batch {
            registrations_done = true;
            break;
        }
    }
    report.complete &= registrations_done;

    let rows = policy.row_batch;
    let full = rows as u64;
    let retention = &app.retention;
    report.published_events = repeat(policy.max_batches, full, &mut report, || async {
        retention
            .purge_published_events(cutoffs.published_events, rows)
            .await
            .map_err(|e| e.to_string())
    })
    .await?;
    report.processed_events = repeat(policy.max_batches, full, &mut report, || async {
        retention
            .purge_processed_events(cutoffs.processed_events, rows)
            .await
            .map_err(|e| e.to_string())
    })
    .await?;
    report.idempotency_records = repeat(policy.max_batches, full, &mut report, || async {
        retention
            .purge_idempotency_records(cutoffs.idempotency_records, rows)
            .await
            .map_err(|e| e.to_string())
    })
    .await?;

    report.objects_left = app
        .retention
        .queued_object_deletions(1000)
        .await
        .map_err(|e| e.to_string())?
        .len() as u64;
    tracing::info!(
        opportunities = report.opportunities,
        history = report.history,
        requirements = report.requirements,
        attachments = report.attachments,
        registrations = report.registrations,
        objects = report.objects,
        objects_left = report.objects_left,
        published_events = report.published_events,
        processed_events = report.processed_events,
        idempotency_records = report.idempotency_records,
        batches = report.batches,
        complete = report.complete,
        "retention purge"
    );
    super::report_metrics(&[
        ("PurgedOpportunities", report.opportunities),
        ("PurgedHistoryRecords", report.history),
        ("PurgedAttachments", report.attachments + report.registrations),
        ("PurgedObjects", report.objects),
        ("PurgeObjectsLeft", report.objects_left),
        ("PurgedOutboxEvents", report.published_events),
        ("PurgedProcessedEvents", report.processed_events),
        ("PurgedIdempotencyRecords", report.idempotency_records),
    ]);
    Ok(report)
}

/// The scheduled entry point (the EventBridge event's content does not matter). The policy is
/// read from the environment at each run ([`RetentionPolicy::from_lookup`]); a run whose objects
/// could not all be deleted fails its invocation after doing everything else, so the function's
/// `Errors` alarm fires (the keys stay queued for the next run).
pub async fn handle(app: &App, _event: serde_json::Value) -> Result<serde_json::Value, String> {
    let policy = RetentionPolicy::from_lookup(&|name| crate::app::env_var(name)).map_err(|e| e.to_string())?;
    let report = purge(app, &policy).await?;
    if report.objects_left > 0 {
        return Err(format!(
            "{} objects could not be deleted from the object store now; their keys stay queued for the next run",
            report.objects_left
        ));
    }
    serde_json::to_value(report).map_err(|e| e.to_string())
}
