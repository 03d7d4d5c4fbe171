//! Triggered daily by an EventBridge schedule: exports the opportunities changed since the last
//! run to the exports bucket.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::OPPORTUNITY_EXPORT`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::OPPORTUNITY_EXPORT.run().await
}
