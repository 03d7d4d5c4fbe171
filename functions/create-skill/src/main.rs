//! `POST /v1/skills`: Admins add a catalog skill.
//!
//! Wiring only: the handler is [`oms::handlers::catalog::create_skill`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("create-skill").await
}
