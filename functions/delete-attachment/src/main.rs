//! `DELETE /v1/attachments/{id}`: deletes an attachment and its object.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::DELETE_ATTACHMENT`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::DELETE_ATTACHMENT.run().await
}
