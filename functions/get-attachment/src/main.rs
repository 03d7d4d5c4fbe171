//! `GET /v1/attachments/{id}`: an attachment, with a download URL once available.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::GET_ATTACHMENT`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::GET_ATTACHMENT.run().await
}
