//! `GET /v1/privacy/subjects/{user_id}/export`: everything stored about a person (GDPR access, Admin).
//!
//! Wiring only: the entry is [`oms::fleet::manifest::EXPORT_SUBJECT_DATA`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::EXPORT_SUBJECT_DATA.run().await
}
