//! `GET /v1/reports/pipeline` (Admin): counts and revenue per currency by status and priority,
//! as JSON or CSV.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::GET_PIPELINE_REPORT`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::GET_PIPELINE_REPORT.run().await
}
