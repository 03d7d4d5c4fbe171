//! Triggered by an EventBridge schedule: rejects registrations whose upload never came.
//!
//! Wiring only: the handler is [`oms::consumers::attachments::expire_uploads`], run by [`oms::runtime::run_scheduled_function`],
//! which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_scheduled_function("expire-uploads", |app, event| {
        Box::pin(oms::consumers::attachments::expire_uploads(app, event))
    })
    .await
}
