//! `GET /v1/me`: the caller's profile from the user directory.
//!
//! Wiring only: the handler is [`oms::handlers::privacy::me`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("get-me").await
}
