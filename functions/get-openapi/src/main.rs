//! `GET /openapi.json`: the API's OpenAPI 3.1 description, no auth.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::GET_OPENAPI`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::GET_OPENAPI.run().await
}
