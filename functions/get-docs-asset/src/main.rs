//! `GET /docs/{asset}`: a Swagger UI file of the documentation page, no auth.
//!
//! Wiring only: the handler is [`oms::handlers::platform::docs_asset`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("get-docs-asset").await
}
