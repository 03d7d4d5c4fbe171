//! Reading API Gateway requests: caller, path and query parameters, JSON bodies, preconditions.

use lambda_http::http::header;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::problem::ApiError;
use crate::auth::{Caller, ClaimsSource};
use crate::domain::validation::FieldErrors;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The API Gateway request id, when there is one.
pub fn request_id(request: &Request) -> Option<String> {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.request_id.clone(),
        _ => None,
    }
}

/// The claims the authorizer put in the request context, `requestContext.authorizer.claims`, and
/// which authorizer wrote them: one JSON string from the API's Lambda authorizer (context values
/// must be scalars), an object from API Gateway's Cognito authorizer. `None` when there are none
/// or the string is not a JSON object.
pub fn authorizer_claims(request: &Request) -> Option<(serde_json::Map<String, serde_json::Value>, ClaimsSource)> {
    let Some(RequestContext::ApiGatewayV1(context)) = request.request_context_ref() else {
        return None;
    };
    match context.authorizer.fields.get("claims")? {
        serde_json::Value::Object(claims) => Some((claims.clone(), ClaimsSource::CognitoUserPools)),
        serde_json::Value::String(text) => match serde_json::from_str(text).ok()? {
            serde_json::Value::Object(claims) => Some((claims, ClaimsSource::LambdaAuthorizer)),
            _ => None,
        },
        _ => None,
    }
}

/// How many `Authorization` values the client sent, read from the raw event's `headers` and
/// `multiValueHeaders` before `lambda_http` merges them (the merge keeps only the last value of
/// a repeated header, which would hide the repetition). The runtime puts it on the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthorizationValues(pub usize);

/// The caller the runtime established for this request ([`verify_caller`]), which every handler
/// of an authenticated route reads instead of looking at the request again.
#[derive(Debug, Clone)]
pub struct VerifiedCaller(pub Caller);

/// Establishes the caller of an authenticated route: only from what the authorizer verified
/// ([`Caller::from_verified`], `exp` against `now`), refused when the client sent more than one
/// `Authorization` value (which one did the authorizer see?), and refused unless the token is
/// of a kind and an app client the API accepts ([`crate::auth::ClientPolicy`]).
pub fn verify_caller(
    request: &Request,
    clients: &crate::auth::ClientPolicy,
    now: time::OffsetDateTime,
) -> Result<Caller, ApiError> {
    let values = request
        .extensions()
        .get::<AuthorizationValues>()
        .map(|values| values.0)
        .unwrap_or_else(|| request.headers().get_all(header::AUTHORIZATION).iter().count());
    if values > 1 {
        return Err(ApiError::Unauthenticated("more than one Authorization header".into()));
    }
    let (claims, source) = authorizer_claims(request)
        .ok_or_else(|| ApiError::Unauthenticated("no verified identity on the request".into()))?;
    let caller = Caller::from_verified(&claims, source, now.unix_timestamp())?;
    clients.check(&claims)?;
    Ok(caller)
}

/// The caller of an authenticated route, as the runtime verified it.
pub fn caller(request: &Request) -> Result<Caller, ApiError> {
    request
        .extensions()
        .get::<VerifiedCaller>()
        .map(|verified| verified.0.clone())
        .ok_or_else(|| ApiError::Unauthenticated("no verified identity on the request".into()))
}

/// The caller, who must be a Sales Manager or an Admin.
pub fn opportunity_manager(request: &Request) -> Result<Caller, ApiError> {
    let caller = caller(request)?;
    if !caller.can_manage_opportunities() {
        return Err(ApiError::Forbidden(
            "only Sales Managers and Admins work with opportunities".into(),
        ));
    }
    Ok(caller)
}

/// The caller, who must be an Admin.
pub fn admin(request: &Request) -> Result<Caller, ApiError> {
    let caller = caller(request)?;
    if !caller.is_admin() {
        return Err(ApiError::Forbidden("only Admins may do this".into()));
    }
    Ok(caller)
}

/// A UUID path parameter; a malformed one is a 400.
pub fn path_id(request: &Request, name: &str) -> Result<Uuid, ApiError> {
    let params = request.path_parameters();
    let raw = params
        .first(name)
        .ok_or_else(|| ApiError::NotFound(format!("missing path parameter {name}")))?;
    Uuid::parse_str(raw).map_err(|_| ApiError::BadRequest {
        code: "invalid_parameter",
        detail: format!("{name} must be a UUID (got {raw:?})"),
    })
}

/// A query string parameter; repeated parameters are a 400, and so is U+0000 in a value (no
/// backend may see it: PostgreSQL refuses it, SQLite would match it as text).
pub fn query(request: &Request, name: &str) -> Result<Option<String>, ApiError> {
    let params = request.query_string_parameters();
    match params.all(name) {
        None => Ok(None),
        Some(values) if values.len() == 1 && values[0].contains('\0') => Err(ApiError::BadRequest {
            code: "invalid_parameter",
            detail: format!("query parameter {name} must not contain the NUL character (U+0000)"),
        }),
        Some(values) if values.len() == 1 => Ok(Some(values[0].to_owned())),
        Some(_) => Err(ApiError::BadRequest {
            code: "invalid_parameter",
            detail: format!("query parameter {name} is repeated"),
        }),
    }
}

/// Rejects query parameters the endpoint does not know.
pub fn only_query_params(request: &Request, allowed: &[&str]) -> Result<(), ApiError> {
    let params = request.query_string_parameters();
    let unknown: Vec<&str> = params.iter().map(|(k, _)| k).filter(|k| !allowed.contains(k)).collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ApiError::BadRequest {
            code: "invalid_parameter",
            detail: format!("unknown query parameter(s): {}", unknown.join(", ")),
        })
    }
}

/// Reads a header as text.
pub fn header_text<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

fn body_bytes(request: &Request) -> &[u8] {
    match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// The body's bytes after checking its size and content type against the accepted media types.
pub fn checked_body<'r>(request: &'r Request, media_types: &[&str]) -> Result<&'r [u8], ApiError> {
    let bytes = body_bytes(request);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest {
            code: "empty_body",
            detail: "a JSON body is required".into(),
        });
    }
    let content_type = header_text(request, header::CONTENT_TYPE.as_str()).unwrap_or_default();
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !media_types.contains(&media_type.as_str()) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "Content-Type must be {} (got {:?})",
            media_types.join(" or "),
            content_type
        )));
    }
    Ok(bytes)
}

/// Reads the JSON object body of an `application/json` request: the request read so far, and
/// every field that could not be read (see [`super::body`]); the handler adds its own findings.
pub fn json_body<T: DeserializeOwned>(request: &Request) -> Result<(T, FieldErrors), ApiError> {
    super::body::parse_body(checked_body(request, &["application/json"])?)
}

/// Hash of what makes two create requests "the same" for idempotency: path and canonical body.
pub fn request_fingerprint(request: &Request) -> String {
    let canonical = serde_json::from_slice::<serde_json::Value>(body_bytes(request))
        .map(|v| v.to_string())
        .unwrap_or_else(|_| String::from_utf8_lossy(body_bytes(request)).into_owned());
    let mut hasher = Sha256::new();
    hasher.update(request.method().as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(request.uri().path().as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

/// The `Idempotency-Key` header: 1 to 255 visible ASCII characters.
pub fn idempotency_key(request: &Request) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or_default().trim();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::BadRequest {
            code: "invalid_idempotency_key",
            detail: "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
        });
    }
    Ok(Some(key.to_owned()))
}

/// Checks `If-Match` against the current entity tag: absent is fine, `*` matches, otherwise one
/// of the listed tags must equal it (strong comparison; `W/` tags never match).
pub fn check_if_match(request: &Request, current_etag: &str) -> Result<(), ApiError> {
    let Some(value) = request.headers().get(header::IF_MATCH) else {
        return Ok(());
    };
    let value = value.to_str().unwrap_or_default().trim();
    if value == "*" || value.split(',').map(str::trim).any(|tag| tag == current_etag) {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed(format!(
            "If-Match {value} does not match the current version {current_etag}"
        )))
    }
}

/// Whether the request carries an `If-Match` precondition.
pub fn has_if_match(request: &Request) -> bool {
    request.headers().contains_key(header::IF_MATCH)
}
