//! Triggered by SQS change events: marks cached entries stale (partial batch responses).
//!
//! Wiring only: the entry is [`oms::fleet::manifest::CACHE_INVALIDATION`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::CACHE_INVALIDATION.run().await
}
