//! `POST /v1/opportunities/{id}/attachments`: registers an upload and signs its URL.
//!
//! Wiring only: the handler is [`oms::handlers::attachments::register`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("presign-upload").await
}
