//! The REST API's Lambda TOKEN authorizer: verifies the bearer token against the Cognito user
//! pool (signature, issuer, expiry, `token_use`, app client) and allows the whole stage with the
//! verified claims, or answers `Unauthorized` (a 401).
//!
//! Wiring only: the logic is [`oms::auth::authorizer`], run by
//! [`oms::auth::authorizer::run_authorizer_function`], which reads the pool's configuration once
//! per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    oms::auth::authorizer::run_authorizer_function().await
}
