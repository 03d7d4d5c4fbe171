//! `PATCH /v1/opportunities/{id}`: a JSON merge patch of details and timeline.
//!
//! Wiring only: the handler is [`oms::handlers::opportunities::patch`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("patch-opportunity").await
}
