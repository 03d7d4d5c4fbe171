//! Building JSON responses.

use lambda_http::http::{HeaderName, HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

use super::problem::ApiError;
use crate::ports::store::StoredResponse;

/// A JSON response with the given status.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Response<Body>, ApiError> {
    let body = serde_json::to_string(value).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// Adds a header.
pub fn with_header(mut response: Response<Body>, name: &str, value: &str) -> Response<Body> {
    if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::from_str(value)) {
        response.headers_mut().insert(name, value);
    }
    response
}

/// Replays a response kept for an idempotency key.
pub fn replay(stored: StoredResponse) -> Response<Body> {
    crate::metrics::record(crate::metrics::IDEMPOTENT_REPLAYS, 1.0);
    let mut response = Response::new(Body::Text(stored.body));
    *response.status_mut() = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let mut response = stored
        .headers
        .iter()
        .fold(response, |r, (name, value)| with_header(r, name, value));
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// Captures a response to keep for an idempotency key.
pub fn to_stored(status: StatusCode, body: &impl Serialize, headers: Vec<(String, String)>) -> StoredResponse {
    StoredResponse {
        status: status.as_u16(),
        headers,
        body: serde_json::to_string(body).unwrap_or_default(),
    }
}
