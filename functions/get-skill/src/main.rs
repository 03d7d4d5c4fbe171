//! `GET /v1/skills/{id}`: one catalog skill.
//!
//! Wiring only: the handler is [`oms::handlers::catalog::get_skill`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("get-skill").await
}
