//! `GET /v1/skills`: the skills catalog.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::LIST_SKILLS`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::LIST_SKILLS.run().await
}
