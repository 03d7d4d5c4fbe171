//! Triggered by an EventBridge schedule: publishes change events left in the outbox.
//!
//! Wiring only: the handler is [`oms::consumers::outbox_relay::handle`], run by [`oms::runtime::run_scheduled_function`],
//! which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_scheduled_function("outbox-relay", |app, event| {
        Box::pin(oms::consumers::outbox_relay::handle(app, event))
    })
    .await
}
