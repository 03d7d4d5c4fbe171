//! `GET /v1/opportunities/{id}/history`: status history and field changes.
//!
//! Wiring only: the handler is [`oms::handlers::opportunities::history`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("get-opportunity-history").await
}
