//! Every error the API returns, and its one mapping to an RFC 9457 `application/problem+json`
//! response. Handlers return [`ApiError`]; nothing else builds error responses.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AuthError;
use crate::domain::lifecycle::TransitionError;
use crate::domain::rules::RuleViolation;
use crate::domain::validation::FieldError;
use crate::ports::store::StoreError;

/// An error response, by cause.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: no usable credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403: authenticated, not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such resource (or not the caller's to see).
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists, the method does not.
    #[error("method {0} is not allowed here")]
    MethodNotAllowed(String),
    /// 400: the request cannot be read (malformed JSON, bad parameter, empty body).
    #[error("{detail}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// 422: well-formed but invalid; every failing field.
    #[error("the request is invalid")]
    Validation(Vec<FieldError>),
    /// 409: the resource's state does not allow this.
    #[error("{detail}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// 412: `If-Match` names a version that is no longer current.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 413: body over the limit.
    #[error("the request body exceeds {0} bytes")]
    PayloadTooLarge(usize),
    /// 413: a body within the byte limit that holds more JSON values, or nests deeper, than any
    /// request of this API can (refused while it is read, before any work scales with it).
    #[error("the request body holds more than {values} JSON values or nests more than {depth} deep")]
    BodyTooComplex {
        /// The most values a body may hold.
        values: usize,
        /// The deepest nesting a body may have.
        depth: usize,
    },
    /// 415: wrong `Content-Type`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: the idempotency key was used with a different request.
    #[error("the Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    /// 429: the caller made more requests this minute than the per-user limit admits.
    #[error("more than {per_minute} requests in a minute; retry after {retry_after_seconds} s")]
    TooManyRequests {
        /// The limit.
        per_minute: u32,
        /// Seconds until the window ends (the `Retry-After` header).
        retry_after_seconds: u64,
    },
    /// 500: our fault; details are logged, not returned.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The problem document (RFC 9457) with this API's extensions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type (`/problems/<code>`).
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// The request id (also in the `x-request-id` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Failing fields, for validation problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl ApiError {
    /// Status, stable code and title.
    pub fn classify(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated", "Authentication required"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Not allowed"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", "Not found"),
            ApiError::MethodNotAllowed(_) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed",
            ),
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code, "Bad request"),
            ApiError::Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Validation failed",
            ),
            ApiError::Conflict { code, .. } => (StatusCode::CONFLICT, code, "Conflict"),
            ApiError::PreconditionFailed(_) => {
                (StatusCode::PRECONDITION_FAILED, "stale_version", "Precondition failed")
            }
            ApiError::PayloadTooLarge(_) | ApiError::BodyTooComplex { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Payload too large")
            }
            ApiError::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
            ),
            ApiError::IdempotencyKeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "Idempotency key reused",
            ),
            ApiError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", "Too many requests"),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Internal server error",
            ),
        }
    }

    /// The problem document.
    pub fn problem(&self, request_id: Option<&str>) -> Problem {
        let (status, code, title) = self.classify();
        let detail = match self {
            ApiError::Internal(_) => "an unexpected error occurred; quote the request id when reporting it".to_owned(),
            ApiError::Validation(errors) => format!("{} field(s) failed validation", errors.len()),
            other => other.to_string(),
        };
        Problem {
            problem_type: format!("/problems/{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            request_id: request_id.map(str::to_owned),
            errors: match self {
                ApiError::Validation(errors) => Some(errors.clone()),
                _ => None,
            },
        }
    }

    /// The HTTP response.
    pub fn into_response(self, request_id: Option<&str>) -> Response<Body> {
        let problem = self.problem(request_id);
        if let ApiError::Internal(cause) = &self {
            tracing::error!(cause = %cause, "request failed");
        }
        let body = serde_json::to_string(&problem).unwrap_or_else(|_| "{}".into());
        let mut response = Response::new(Body::Text(body));
        *response.status_mut() = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if matches!(self, ApiError::Unauthenticated(_)) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let ApiError::TooManyRequests {
            retry_after_seconds, ..
        } = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
        }
        response
    }

    /// A single-field validation error.
    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::VersionConflict { .. } => {
                ApiError::PreconditionFailed("the opportunity was changed by someone else; reload and retry".into())
            }
            StoreError::Duplicate { what, existing_id } => ApiError::Conflict {
                code: "already_exists",
                detail: match existing_id {
                    Some(id) => format!("a {what} with this name already exists (id {id})"),
                    None => format!("a {what} with this name already exists"),
                },
            },
            StoreError::UnknownReference(what) => {
                let field = match what {
                    "customer" => "customer.id",
                    "skill" => "items",
                    other => other,
                };
                ApiError::field(field, format!("no such {what}"))
            }
            StoreError::IdempotencyMismatch => ApiError::IdempotencyKeyReused,
            StoreError::AttachmentLimit(detail) => ApiError::Conflict {
                code: "attachment_limit_reached",
                detail,
            },
            StoreError::AlreadyApplied => ApiError::Conflict {
                code: "already_applied",
                detail: "this change was already applied".into(),
            },
            StoreError::Database(e) => ApiError::Internal(e),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::KeysUnavailable(_) => ApiError::Internal(error.to_string()),
            _ => ApiError::Unauthenticated(error.to_string()),
        }
    }
}

impl From<RuleViolation> for ApiError {
    fn from(violation: RuleViolation) -> Self {
        match violation {
            RuleViolation::Closed(status) => ApiError::Conflict {
                code: "opportunity_closed",
                detail: format!("a {} opportunity cannot be changed", status.as_str()),
            },
            RuleViolation::FieldLocked(detail) => ApiError::Conflict {
                code: "field_locked",
                detail,
            },
            RuleViolation::ReasonRequired => {
                ApiError::field("reason", "is required once the opportunity is no longer a draft")
            }
            RuleViolation::Incomplete(gaps) => ApiError::Validation(gaps.into_vec()),
            RuleViolation::Transition(error) => error.into(),
        }
    }
}

impl From<TransitionError> for ApiError {
    fn from(error: TransitionError) -> Self {
        let code = match error {
            TransitionError::Illegal { .. } => "illegal_transition",
            TransitionError::ReactivationWindowClosed { .. } => "reactivation_window_closed",
        };
        ApiError::Conflict {
            code,
            detail: error.to_string(),
        }
    }
}
