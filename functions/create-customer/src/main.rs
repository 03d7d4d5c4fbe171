//! `POST /v1/customers`: adds a customer.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::CREATE_CUSTOMER`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::CREATE_CUSTOMER.run().await
}
