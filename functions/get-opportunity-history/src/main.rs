//! `GET /v1/opportunities/{id}/history`: status history and field changes.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::GET_OPPORTUNITY_HISTORY`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::GET_OPPORTUNITY_HISTORY.run().await
}
