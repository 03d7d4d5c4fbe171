//! `Idempotency-Key` on the create endpoints: one algorithm, locally and in AWS.
//!
//! The record is claimed and completed inside the creation's own database transaction (see
//! `IdempotencyClaim` in the store port): claim first (a new key, or one whose record expired),
//! create, then store the response, then commit. Because the record commits or rolls back with
//! the creation, no crash can separate them: a retry either finds the completed response and
//! replays it, or finds nothing and creates once. A concurrent request with the same key waits
//! on the claimed row (PostgreSQL's unique-index lock) until the first commits, then replays.
//!
//! The trade-off, chosen deliberately: a record outside the database (a DynamoDB item with a
//! lease, which this service used before) costs two cheaper calls instead of two statements of
//! the transaction, but its completion is a second write after the commit; a crash between them
//! left an in-progress record whose lease expiry let a retry create a second resource. The SQL
//! record costs two Data API statements inside a transaction the creation opens anyway, and rows
//! that the daily retention purge deletes after [`IDEMPOTENCY_TTL`].

use std::future::Future;

use lambda_http::{Body, Response};
use time::OffsetDateTime;

use crate::app::IDEMPOTENCY_TTL;
use crate::http::ApiError;
use crate::http::response::replay;
use crate::ports::store::{Created, IdempotencyClaim, StoreError, StoredResponse};

/// A creation's outcome.
pub enum Once<T> {
    /// Created by this request.
    Created(T),
    /// A retry: the first response.
    Replayed(Response<Body>),
}

/// What identifies a request for idempotency.
pub struct Request<'a> {
    /// The caller.
    pub caller: &'a str,
    /// The `Idempotency-Key`, when given.
    pub key: Option<&'a str>,
    /// Hash of the method, path and canonical body.
    pub fingerprint: &'a str,
    /// Now.
    pub now: OffsetDateTime,
}

/// Runs `create` at most once per caller and key: `create` receives the claim to make in its
/// transaction (none without a key) and answers either the new value or the stored response.
pub async fn create_once<'a, T, F, Fut>(
    request: Request<'a>,
    render: &'a (dyn Fn(&T) -> StoredResponse + Send + Sync),
    create: F,
) -> Result<Once<T>, ApiError>
where
    F: FnOnce(Option<IdempotencyClaim<'a, T>>) -> Fut,
    Fut: Future<Output = Result<Created<T>, StoreError>>,
{
    let expires_at = request.now + IDEMPOTENCY_TTL;
    let claim = request.key.map(|key| IdempotencyClaim {
        caller_sub: request.caller,
        key,
        request_hash: request.fingerprint,
        expires_at,
        render,
    });
    match create(claim).await? {
        Created::New(value) => Ok(Once::Created(value)),
        Created::Replay(stored) => Ok(Once::Replayed(replay(stored))),
    }
}
