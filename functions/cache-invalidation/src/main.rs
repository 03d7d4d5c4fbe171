//! Triggered by SQS change events: marks cached entries stale (partial batch responses).
//!
//! Wiring only: the handler is [`oms::consumers::cache_invalidation::handle`], run by [`oms::runtime::run_sqs_function`],
//! which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_sqs_function("cache-invalidation", |app, event| {
        Box::pin(oms::consumers::cache_invalidation::handle(app, event))
    })
    .await
}
