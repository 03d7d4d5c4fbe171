//! Triggered by S3 ObjectCreated events of the attachments bucket: marks uploads available or rejected.
//!
//! Wiring only: the handler is [`oms::consumers::attachments::handle`], run by [`oms::runtime::run_event_function`],
//! which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_event_function("attachment-complete", |app, event| {
        Box::pin(oms::consumers::attachments::handle(app, event))
    })
    .await
}
