//! `PUT /v1/opportunities/{id}/skill-requirements`: replaces the skill requirements.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::PUT_SKILL_REQUIREMENTS`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::PUT_SKILL_REQUIREMENTS.run().await
}
