//! `POST /v1/privacy/subjects/{user_id}/erasure`: pseudonymise a person and remove their personal data (GDPR erasure, Admin).
//!
//! Wiring only: the entry is [`oms::fleet::manifest::ERASE_SUBJECT_DATA`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::ERASE_SUBJECT_DATA.run().await
}
