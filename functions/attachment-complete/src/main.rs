//! Triggered by S3 ObjectCreated events of the attachments bucket: marks uploads available or rejected.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::ATTACHMENT_COMPLETE`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::ATTACHMENT_COMPLETE.run().await
}
