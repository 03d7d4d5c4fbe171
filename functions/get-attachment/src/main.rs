//! `GET /v1/attachments/{id}`: an attachment, with a download URL once available.
//!
//! Wiring only: the handler is [`oms::handlers::attachments::get`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("get-attachment").await
}
