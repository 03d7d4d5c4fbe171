//! The daily schedules of the retention purge and the export, delivered in process with the
//! EventBridge scheduled event's JSON, as the local server delivers the outbox relay's.

use std::time::Duration;

use oms::app::App;

/// How often the local server runs the daily jobs (EventBridge: daily; `OMS_LOCAL_JOBS_SECONDS`
/// to run them more often, e.g. to watch exports appear under `<data dir>/exports`).
fn every() -> Duration {
    let seconds = std::env::var("OMS_LOCAL_JOBS_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(86_400);
    Duration::from_secs(seconds)
}

fn scheduled_event(rule: &str) -> serde_json::Value {
    serde_json::json!({
        "version": "0",
        "id": uuid::Uuid::new_v4(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "region": "local",
        "resources": [format!("arn:aws:events:local:000000000000:rule/{rule}")],
        "detail": {}
    })
}

/// Starts the timers: the first run one period after start, then every period.
pub fn spawn_daily_jobs(app: &App) {
    let a = app.clone();
    tokio::spawn(async move {
        let period = every();
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            ticks.tick().await;
            match oms::jobs::export::handle(&a, scheduled_event("opportunity-export")).await {
                Ok(report) => tracing::info!(%report, "export ran"),
                Err(error) => tracing::warn!(%error, "export failed"),
            }
            match oms::jobs::purge::handle(&a, scheduled_event("retention-purge")).await {
                Ok(report) => tracing::info!(%report, "retention purge ran"),
                Err(error) => tracing::warn!(%error, "retention purge failed"),
            }
        }
    });
}
