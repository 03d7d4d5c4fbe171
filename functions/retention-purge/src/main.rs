//! Triggered daily by an EventBridge schedule: deletes what is past its retention.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::RETENTION_PURGE`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::RETENTION_PURGE.run().await
}
