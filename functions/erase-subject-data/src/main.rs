//! `POST /v1/privacy/subjects/{user_id}/erasure`: pseudonymise a person and remove their personal data (GDPR erasure, Admin).
//!
//! Wiring only: the handler is [`oms::handlers::privacy::erase`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("erase-subject-data").await
}
