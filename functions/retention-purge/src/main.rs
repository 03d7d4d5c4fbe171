//! Triggered daily by an EventBridge schedule: deletes what is past its retention.
//!
//! Wiring only: the handler is [`oms::jobs::purge::handle`], run by
//! [`oms::runtime::run_scheduled_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_scheduled_function("retention-purge", |app, event| {
        Box::pin(oms::jobs::purge::handle(app, event))
    })
    .await
}
