//! `POST /v1/opportunities/{id}/attachments`: registers an upload and signs its URL.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::PRESIGN_UPLOAD`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::PRESIGN_UPLOAD.run().await
}
