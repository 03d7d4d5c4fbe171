//! `POST /v1/skills`: Admins add a catalog skill.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::CREATE_SKILL`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::CREATE_SKILL.run().await
}
