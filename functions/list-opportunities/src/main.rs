//! `GET /v1/opportunities`: filters, sorts and pages opportunities.
//!
//! Wiring only: the handler is [`oms::handlers::opportunities::list`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("list-opportunities").await
}
