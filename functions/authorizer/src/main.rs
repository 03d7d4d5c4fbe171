//! The REST API's Lambda TOKEN authorizer: verifies the bearer token against the Cognito user
//! pool (signature, issuer, expiry, `token_use`, app client) and allows the whole stage with the
//! verified claims, or answers `Unauthorized` (a 401).
//!
//! Wiring only: the entry is [`oms::fleet::manifest::AUTHORIZER`] (its trigger, handler and needs).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), oms::fleet::RunError> {
    oms::fleet::manifest::AUTHORIZER.run().await
}
