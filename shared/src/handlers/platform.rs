//! `GET /health` and the published description: `GET /openapi.json`, `GET /docs`
//! and `GET /docs/{asset}`.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::App;
use crate::http::ApiError;
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

/// A file compiled into the binary, with the headers every browser-rendered answer carries:
/// `nosniff` (a browser takes the declared type), no framing, no referrer, and the documentation
/// page's Content-Security-Policy.
fn static_response(content_type: &'static str, cache_control: &'static str, body: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_owned()));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(crate::docs::DOCS_CONTENT_SECURITY_POLICY),
    );
    response
}

/// `GET /openapi.json`: the committed description, no auth.
pub async fn openapi(_app: &App, _request: Request) -> Result<Response<Body>, ApiError> {
    Ok(static_response(
        "application/json",
        "no-cache",
        crate::docs::OPENAPI_JSON,
    ))
}

/// `GET /docs`: the Swagger UI page, no auth.
pub async fn docs(_app: &App, _request: Request) -> Result<Response<Body>, ApiError> {
    Ok(static_response(
        "text/html; charset=utf-8",
        "no-cache",
        crate::docs::DOCS_HTML,
    ))
}

/// `GET /docs/{asset}`: a vendored Swagger UI file, no auth.
pub async fn docs_asset(_app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    use lambda_http::RequestExt;
    let params = request.path_parameters();
    let name = params.first("asset").unwrap_or_default();
    match crate::docs::asset(name) {
        Some((content_type, body)) => Ok(static_response(content_type, crate::docs::ASSET_CACHE_CONTROL, body)),
        None => Err(ApiError::NotFound(format!("no documentation file {name:?}"))),
    }
}
