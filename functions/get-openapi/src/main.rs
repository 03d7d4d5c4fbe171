//! `GET /openapi.json`: the API's OpenAPI 3.1 description, no auth.
//!
//! Wiring only: the handler is [`oms::handlers::platform::openapi`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("get-openapi").await
}
