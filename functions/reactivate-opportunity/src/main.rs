//! `POST /v1/opportunities/{id}/reactivate`: reactivates within 90 days.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::REACTIVATE_OPPORTUNITY`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::REACTIVATE_OPPORTUNITY.run().await
}
