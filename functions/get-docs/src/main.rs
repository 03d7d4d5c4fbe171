//! `GET /docs`: the API documentation page (Swagger UI), no auth.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::GET_DOCS`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::GET_DOCS.run().await
}
