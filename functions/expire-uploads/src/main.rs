//! Triggered by an EventBridge schedule: rejects registrations whose upload never came.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::EXPIRE_UPLOADS`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::EXPIRE_UPLOADS.run().await
}
