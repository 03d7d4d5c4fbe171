//! `GET /v1/audit-events`: the audit log of privacy requests (Admin).
//!
//! Wiring only: the entry is [`oms::fleet::manifest::LIST_AUDIT_EVENTS`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::LIST_AUDIT_EVENTS.run().await
}
