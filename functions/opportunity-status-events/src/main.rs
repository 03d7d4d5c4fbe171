//! Triggered by SQS status events from the matching and selection services: applies status changes with history, once each.
//!
//! Wiring only: the handler is [`oms::consumers::status_events::handle`], run by [`oms::runtime::run_sqs_function`],
//! which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_sqs_function("opportunity-status-events", |app, event| {
        Box::pin(oms::consumers::status_events::handle(app, event))
    })
    .await
}
