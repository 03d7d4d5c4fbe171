//! `POST /v1/opportunities/{id}/reactivate`: reactivates within 90 days.
//!
//! Wiring only: the handler is [`oms::handlers::opportunities::reactivate_opportunity`], run by
//! [`oms::runtime::run_http_function`], which builds the application once per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    oms::runtime::run_http_function("reactivate-opportunity").await
}
