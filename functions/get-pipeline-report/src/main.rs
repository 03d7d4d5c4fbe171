//! `GET /v1/reports/pipeline` (Admin): counts and revenue per currency by status and priority,
//! as JSON or CSV.
//!
//! Wiring only: the handler is [`oms::handlers::reports::pipeline`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("get-pipeline-report").await
}
