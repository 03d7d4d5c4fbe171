//! `GET /v1/opportunities/{id}`: the whole opportunity.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::GET_OPPORTUNITY`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::GET_OPPORTUNITY.run().await
}
