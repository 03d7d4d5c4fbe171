//! `DELETE /v1/attachments/{id}`: deletes an attachment and its object.
//!
//! Wiring only: the handler is [`oms::handlers::attachments::delete`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("delete-attachment").await
}
