//! `GET /v1/customers`: customers by name.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::LIST_CUSTOMERS`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::LIST_CUSTOMERS.run().await
}
