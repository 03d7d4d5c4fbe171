//! Triggered by SQS status events from the matching and selection services: applies status changes with history, once each.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::OPPORTUNITY_STATUS_EVENTS`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::OPPORTUNITY_STATUS_EVENTS.run().await
}
