//! `GET /health` and `GET /v1/me`.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::App;
use crate::http::ApiError;
use crate::http::request::caller;
use crate::http::response::json;

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the function answers.
    pub status: &'static str,
    /// The service's version.
    pub version: &'static str,
}

/// `GET /health`: liveness, no auth, no database round trip.
pub async fn health(_app: &App, _request: Request) -> Result<Response<Body>, ApiError> {
    json(
        StatusCode::OK,
        &Health {
            status: "ok",
            version: env!("CARGO_PKG_VERSION"),
        },
    )
}

/// `GET /v1/me`: the caller's profile from the verified token.
pub async fn me(_app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    json(StatusCode::OK, &caller(&request)?)
}
