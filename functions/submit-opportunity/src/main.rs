//! `POST /v1/opportunities/{id}/submit`: draft to submitted.
//!
//! Wiring only: the handler is [`oms::handlers::opportunities::submit`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("submit-opportunity").await
}
