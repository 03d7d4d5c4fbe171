//! `GET /v1/skills`: the skills catalog.
//!
//! Wiring only: the handler is [`oms::handlers::catalog::list_skills`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("list-skills").await
}
