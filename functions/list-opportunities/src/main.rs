//! `GET /v1/opportunities`: filters, sorts and pages opportunities.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::LIST_OPPORTUNITIES`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::LIST_OPPORTUNITIES.run().await
}
