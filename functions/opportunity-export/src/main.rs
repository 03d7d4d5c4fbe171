//! Triggered daily by an EventBridge schedule: exports the opportunities changed since the last
//! run to the exports bucket.
//!
//! Wiring only: the handler is [`oms::jobs::export::handle`], run by
//! [`oms::runtime::run_scheduled_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_scheduled_function("opportunity-export", |app, event| {
        Box::pin(oms::jobs::export::handle(app, event))
    })
    .await
}
