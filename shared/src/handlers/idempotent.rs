//! `Idempotency-Key` on the create endpoints, whichever store keeps the records.
//!
//! Without an external store (locally, and whenever `OMS_IDEMPOTENCY_TABLE` is unset) the record
//! is claimed and completed inside the creation's own database transaction. With the DynamoDB
//! store the key is claimed first (in progress, with a lease), the creation runs, and the
//! response is recorded; a failed creation releases the key.

use std::future::Future;

use lambda_http::{Body, Response};
use time::OffsetDateTime;

use crate::app::{App, IDEMPOTENCY_TTL};
use crate::http::ApiError;
use crate::http::response::replay;
use crate::ports::idempotency::Claim;
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

/// Runs `create` at most once per caller and key.
pub async fn create_once<'a, T, F, Fut>(
    app: &App,
    request: Request<'a>,
    render: &'a (dyn Fn(&T) -> StoredResponse + Send + Sync),
    create: F,
) -> Result<Once<T>, ApiError>
where
    F: FnOnce(Option<IdempotencyClaim<'a, T>>) -> Fut,
    Fut: Future<Output = Result<Created<T>, StoreError>>,
{
    let expires_at = request.now + IDEMPOTENCY_TTL;
    let (Some(key), Some(store)) = (request.key, app.idempotency.as_ref()) else {
        let claim = request.key.map(|key| IdempotencyClaim {
            caller_sub: request.caller,
            key,
            request_hash: request.fingerprint,
            expires_at,
            render,
        });
        return match create(claim).await? {
            Created::New(value) => Ok(Once::Created(value)),
            Created::Replay(stored) => Ok(Once::Replayed(replay(stored))),
        };
    };
    let internal = |e: crate::ports::idempotency::IdempotencyError| ApiError::Internal(e.to_string());
    match store
        .claim(request.caller, key, request.fingerprint, request.now)
        .await
        .map_err(internal)?
    {
        Claim::Proceed => {}
        Claim::Replay(stored) => return Ok(Once::Replayed(replay(stored))),
        Claim::Mismatch => return Err(ApiError::IdempotencyKeyReused),
        Claim::InProgress => {
            return Err(ApiError::Conflict {
                code: "idempotency_in_progress",
                detail: "a request with this Idempotency-Key is still being processed; retry shortly".into(),
            });
        }
    }
    match create(None).await {
        Ok(Created::New(value)) => {
            if let Err(error) = store
                .complete(request.caller, key, request.fingerprint, &render(&value), expires_at)
                .await
            {
                tracing::warn!(%error, "the idempotency record could not be completed; a retry after the lease is answered from the database");
            }
            Ok(Once::Created(value))
        }
        Ok(Created::Replay(stored)) => Ok(Once::Replayed(replay(stored))),
        Err(error) => {
            if let Err(release) = store.release(request.caller, key).await {
                tracing::warn!(%release, "the idempotency key could not be released; it frees itself when its lease ends");
            }
            Err(error.into())
        }
    }
}
