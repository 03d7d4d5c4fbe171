//! `PUT /v1/opportunities/{id}/problem-statement`: sets the problem statement.
//!
//! Wiring only: the entry is [`oms::fleet::manifest::PUT_PROBLEM_STATEMENT`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::PUT_PROBLEM_STATEMENT.run().await
}
