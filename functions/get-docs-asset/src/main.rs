//! `GET /docs/{asset}`: a Swagger UI file of the documentation page, no auth.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::GET_DOCS_ASSET`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::GET_DOCS_ASSET.run().await
}
