//! `POST /v1/opportunities/{id}/cancel`: cancels, with a reason.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::CANCEL_OPPORTUNITY`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::CANCEL_OPPORTUNITY.run().await
}
