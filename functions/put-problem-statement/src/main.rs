//! `PUT /v1/opportunities/{id}/problem-statement`: sets the problem statement.
//!
//! Wiring only: the handler is [`oms::handlers::opportunities::put_problem_statement`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("put-problem-statement").await
}
