//! `GET /v1/opportunities/{id}/attachments`: an opportunity's attachments.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::LIST_ATTACHMENTS`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::LIST_ATTACHMENTS.run().await
}
