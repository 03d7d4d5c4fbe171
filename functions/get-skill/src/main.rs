//! `GET /v1/skills/{id}`: one catalog skill.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::GET_SKILL`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::GET_SKILL.run().await
}
