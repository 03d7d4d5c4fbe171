//! `outbox-relay`: on an EventBridge schedule, publishes change events that were committed but not
//! published (the publish after commit failed, or the function stopped before it).

use serde::Serialize;

use super::publish;
use crate::app::App;

/// Events read per round.
const BATCH: i64 = 100;
/// Rounds per invocation, so one run stays well inside its timeout.
const MAX_ROUNDS: usize = 50;

/// What one run did.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct RelayReport {
    /// Events found unpublished.
    pub found: usize,
    /// Events published now.
    pub published: usize,
    /// Events the queue did not take (they stay in the outbox).
    pub failed: usize,
}

/// Publishes what the outbox holds, oldest first.
pub async fn relay(app: &App) -> Result<RelayReport, String> {
    let mut report = RelayReport::default();
    for _ in 0..MAX_ROUNDS {
        let pending = app.outbox.unpublished(BATCH).await.map_err(|e| e.to_string())?;
        if pending.is_empty() {
            break;
        }
        report.found += pending.len();
        let outcome = publish(app, &pending).await;
        report.published += outcome.sent;
        report.failed += outcome.failed;
        if outcome.sent < pending.len() {
            break; // the queue refuses (or there is none); try again at the next schedule
        }
    }
    if report.found > 0 {
        tracing::info!(found = report.found, published = report.published, "outbox relayed");
    }
    Ok(report)
}

/// The scheduled entry point: the EventBridge event's content does not matter. After publishing
/// what it could, the invocation fails when any event could not be published, so that the
/// function's `Errors` metric (and its alarm) fires instead of the outbox filling up silently.
pub async fn handle(app: &App, _event: serde_json::Value) -> Result<serde_json::Value, String> {
    let report = relay(app).await?;
    if report.failed > 0 {
        return Err(format!(
            "{} of {} outbox events could not be published ({} published); they stay in the outbox",
            report.failed, report.found, report.published
        ));
    }
    serde_json::to_value(report).map_err(|e| e.to_string())
}
