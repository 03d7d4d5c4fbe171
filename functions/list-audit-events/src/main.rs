//! `GET /v1/audit-events`: the audit log of privacy requests (Admin).
//!
//! Wiring only: the handler is [`oms::handlers::privacy::audit_events`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("list-audit-events").await
}
