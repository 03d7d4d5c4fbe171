//! Triggered by an EventBridge schedule: publishes change events left in the outbox.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::OUTBOX_RELAY`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::OUTBOX_RELAY.run().await
}
