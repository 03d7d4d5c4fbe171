//! `PUT /v1/opportunities/{id}/skill-requirements`: replaces the skill requirements.
//!
//! Wiring only: the handler is [`oms::handlers::opportunities::put_skill_requirements`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("put-skill-requirements").await
}
