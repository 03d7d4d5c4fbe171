//! `PATCH /v1/opportunities/{id}`: a JSON merge patch of details and timeline.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::PATCH_OPPORTUNITY`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::PATCH_OPPORTUNITY.run().await
}
