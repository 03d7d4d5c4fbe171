//! `POST /v1/opportunities/{id}/submit`: draft to submitted.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::SUBMIT_OPPORTUNITY`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::SUBMIT_OPPORTUNITY.run().await
}
