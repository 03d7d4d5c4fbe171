//! `GET /v1/privacy/subjects/{user_id}/export`: everything stored about a person (GDPR access, Admin).
//!
//! Wiring only: the handler is [`oms::handlers::privacy::export`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("export-subject-data").await
}
