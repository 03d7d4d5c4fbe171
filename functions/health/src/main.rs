//! `GET /health`: liveness, no auth.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::HEALTH`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::HEALTH.run().await
}
