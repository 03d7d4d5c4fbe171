//! `GET /v1/customers/{id}`: one customer.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::GET_CUSTOMER`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::GET_CUSTOMER.run().await
}
