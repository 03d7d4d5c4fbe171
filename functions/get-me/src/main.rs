//! `GET /v1/me`: the caller's profile from the user directory.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::GET_ME`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::GET_ME.run().await
}
