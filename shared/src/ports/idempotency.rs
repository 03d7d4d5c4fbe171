//! Idempotency records kept outside the database transaction (DynamoDB in production): a key is
//! claimed before the creation runs (in progress, with a lease), completed with the response,
//! or released when the creation failed. Locally and in the SQL suite the record is written in
//! the creation's own transaction instead (see `IdempotencyClaim` in the store port).

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use super::store::StoredResponse;

/// How long a claimed key stays in progress before another attempt may take it over.
pub const LEASE: Duration = Duration::seconds(30);

/// The outcome of claiming a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is ours: run the creation, then complete or release it.
    Proceed,
    /// The same request completed before: answer with its response.
    Replay(StoredResponse),
    /// The key was used with a different request.
    Mismatch,
    /// The same request is running right now.
    InProgress,
}

/// An idempotency store failure.
#[derive(Debug, thiserror::Error)]
#[error("idempotency store unavailable: {0}")]
pub struct IdempotencyError(pub String);

/// Idempotency records with in-progress and completed states and an expiry.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for `caller` and this request.
    async fn claim(
        &self,
        caller: &str,
        key: &str,
        request_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Claim, IdempotencyError>;
    /// Records the response of a completed creation until `expires_at`.
    async fn complete(
        &self,
        caller: &str,
        key: &str,
        request_hash: &str,
        response: &StoredResponse,
        expires_at: OffsetDateTime,
    ) -> Result<(), IdempotencyError>;
    /// Gives the key up after a failed creation, so that a retry can run.
    async fn release(&self, caller: &str, key: &str) -> Result<(), IdempotencyError>;
}
