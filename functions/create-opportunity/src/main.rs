//! `POST /v1/opportunities`: creates a draft opportunity.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::CREATE_OPPORTUNITY`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::CREATE_OPPORTUNITY.run().await
}
