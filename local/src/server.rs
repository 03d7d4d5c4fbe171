//! The local stand-in for API Gateway and its Cognito authorizer.
//!
//! For each HTTP request it matches the route table, runs the API's Lambda TOKEN authorizer code
//! ([`oms::auth::authorizer`], over this server's issuer), builds the exact REST proxy event AWS
//! would send (path and query parameters, headers, a request context with the request id and
//! the authorizer's context: `principalId`, `sub` and `claims` as one JSON string) and runs it
//! through the same handler and the same `lambda_http` adapter the Lambda function runs.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use oms::app::App;
use oms::auth::authorizer::Authorizer;
use oms::auth::jwt::{JwtVerifier, bearer_token};
use oms::http::ApiError;
use oms::routes::{Match, match_route};
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;

/// API Gateway's payload limit.
const MAX_PAYLOAD: usize = 10 * 1024 * 1024;
/// The stage name the local API pretends to be.
const STAGE: &str = "local";

/// Everything a request needs.
pub struct Server {
    /// The application (the same ports the functions build).
    pub app: App,
    /// The token checks of the development endpoints.
    pub verifier: JwtVerifier,
    /// The API's authorizer (the Lambda TOKEN authorizer's library code over `verifier`).
    pub authorizer: Authorizer,
    /// `/.well-known/jwks.json`.
    pub jwks: String,
    /// The change-event queue (SQS locally).
    pub change_events: Arc<oms::adapters::local_queue::LocalQueue>,
    /// The status-event queue the matching and selection services write to.
    pub status_events: Arc<oms::adapters::local_queue::LocalQueue>,
    /// The integration bus's stand-in: the change events as subscribers receive them.
    pub integration_bus: Arc<oms::adapters::local_bus::LocalBus>,
    /// The object store whose signed URLs this server answers.
    pub objects: oms::adapters::local_objects::LocalObjectStore,
    /// The token issuer, for the console's development sign-in (`POST /_local/token`).
    pub issuer: crate::issuer::Issuer,
    /// The web console's built files, served at `/`.
    pub console: crate::console::Console,
    /// Who may use the development endpoints (this machine, this server's pages, JSON bodies).
    pub dev_guard: crate::dev_guard::DevGuard,
    /// [`oms::auth::AUTHORIZATION_PATTERN`], compiled once.
    pub authorization_pattern: regex_lite::Regex,
}

type HttpResponse = Response<Full<Bytes>>;

fn problem(error: ApiError, request_id: &str) -> HttpResponse {
    let (status, _, _) = error.classify();
    let body = serde_json::to_string(&error.problem(Some(request_id))).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/problem+json"));
    if let ApiError::MethodNotAllowed(allow) = &error
        && let Ok(value) = HeaderValue::from_str(allow)
    {
        response.headers_mut().insert("allow", value);
    }
    if matches!(error, ApiError::Unauthenticated(_)) {
        response
            .headers_mut()
            .insert("www-authenticate", HeaderValue::from_static("Bearer"));
    }
    response
}

fn plain(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> HttpResponse {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    response
}

/// The preflight answer API Gateway gives from the template's `Cors` block (no token needed).
fn preflight() -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(
        "access-control-allow-methods",
        HeaderValue::from_static("GET,POST,PUT,PATCH,DELETE,OPTIONS"),
    );
    headers.insert(
        "access-control-allow-headers",
        HeaderValue::from_static("Authorization,Content-Type,Idempotency-Key,If-Match"),
    );
    headers.insert("access-control-max-age", HeaderValue::from_static("600"));
    response
}

fn query_maps(query: Option<&str>) -> (Value, Value) {
    let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| percent_decode(&s.replace('+', " "));
        multi.entry(decode(k)).or_default().push(decode(v));
    }
    if multi.is_empty() {
        return (Value::Null, Value::Null);
    }
    let single: Map<String, Value> = multi
        .iter()
        .map(|(k, v)| (k.clone(), json!(v.last().cloned().unwrap_or_default())))
        .collect();
    (Value::Object(single), json!(multi))
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

impl Server {
    /// Answers one request.
    pub async fn handle(self: Arc<Self>, request: Request<Incoming>, peer: SocketAddr) -> HttpResponse {
        let request_id = uuid::Uuid::new_v4().to_string();
        let mut response = if request.method() == http::Method::OPTIONS && self.app.cors.is_configured() {
            preflight()
        } else {
            self.route(request, peer, &request_id).await
        };
        // As the stage's gateway responses do, the stand-in's own answers (401, 404, ...) name the
        // origin too; the functions' answers already do.
        self.app.cors.apply(response.headers_mut());
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().entry("x-request-id").or_insert(value);
        }
        response
    }

    async fn route(&self, request: Request<Incoming>, peer: SocketAddr, request_id: &str) -> HttpResponse {
        let http_method = request.method().clone();
        let method = http_method.as_str().to_owned();
        let path = request.uri().path().to_owned();
        if path.starts_with("/_local/") && !path.starts_with("/_local/objects/") {
            let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
            let has_body = !matches!(method.as_str(), "GET" | "HEAD");
            if let Err(refused) =
                self.dev_guard
                    .check(header("host"), header("origin"), header("content-type"), has_body)
            {
                return problem(refused, request_id);
            }
        }
        match (method.as_str(), path.as_str()) {
            ("GET", "/.well-known/jwks.json") => {
                return plain(StatusCode::OK, "application/json", self.jwks.clone());
            }
            ("GET", "/_local/queues") => {
                if let Err(refused) = self.admin_only(&request, request_id).await {
                    return refused;
                }
                let queue = |q: &oms::adapters::local_queue::LocalQueue| {
                    let dead: Vec<Value> = q
                        .dead_letters()
                        .into_iter()
                        .map(|(body, reason)| json!({ "body": body, "reason": reason }))
                        .collect();
                    json!({ "depth": q.depth(), "dead_letters": dead })
                };
                let body = json!({
                    "change-events": queue(&self.change_events),
                    "opportunity-status-events": queue(&self.status_events),
                });
                return plain(StatusCode::OK, "application/json", body.to_string());
            }
            ("GET", "/_local/integration-events") => {
                if let Err(refused) = self.admin_only(&request, request_id).await {
                    return refused;
                }
                let body = json!({ "items": self.integration_bus.events() });
                return plain(StatusCode::OK, "application/json", body.to_string());
            }
            (method @ ("PUT" | "GET"), object) if object.starts_with("/_local/objects/") => {
                let key = object.trim_start_matches("/_local/objects/").to_owned();
                let method = method.to_owned();
                return self.object_request(&method, &key, request, request_id).await;
            }
            ("POST", "/_local/token") => return self.dev_token(request, request_id).await,
            ("POST", "/_local/status-events") => {
                // Stands in for the matching and selection services writing to the SQS queue.
                if let Err(refused) = self.admin_only(&request, request_id).await {
                    return refused;
                }
                let body = match Limited::new(request.into_body(), 256 * 1024).collect().await {
                    Ok(collected) => collected.to_bytes(),
                    Err(_) => return problem(ApiError::PayloadTooLarge(256 * 1024), request_id),
                };
                self.status_events.send(String::from_utf8_lossy(&body).into_owned());
                return plain(StatusCode::ACCEPTED, "application/json", "{\"queued\":true}");
            }
            _ => {}
        }
        let (route, path_params) = match match_route(&http_method, &path) {
            Match::Found(route, params) => (route, params),
            Match::WrongMethod(methods) => {
                let allowed: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
                return problem(ApiError::MethodNotAllowed(allowed.join(", ")), request_id);
            }
            Match::NotFound => {
                // HEAD as S3 and CloudFront answer it: GET's headers (hyper sends no body).
                if (method == "GET" || method == "HEAD")
                    && let Some(response) = self.console_file(&path, &request).await
                {
                    return response;
                }
                return problem(ApiError::NotFound(format!("no resource at {path}")), request_id);
            }
        };
        // As API Gateway runs the Lambda TOKEN authorizer: the same library authorizer, over this
        // server's issuer; its context becomes `requestContext.authorizer`.
        let grant = if route.authenticated {
            let header = request.headers().get("authorization").and_then(|v| v.to_str().ok());
            // The authorizer's ValidationExpression, as API Gateway applies it before invoking it.
            if let Some(value) = header
                && !self.authorization_pattern.is_match(value)
            {
                return problem(
                    ApiError::Unauthenticated("the Authorization header is not 'Bearer <JWT>'".into()),
                    request_id,
                );
            }
            match self.authorizer.grant(header).await {
                Ok(grant) => Some(grant),
                Err(error) => return problem(error.into(), request_id),
            }
        } else {
            None
        };
        let (parts, body) = request.into_parts();
        let body = match Limited::new(body, MAX_PAYLOAD).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return problem(ApiError::PayloadTooLarge(MAX_PAYLOAD), request_id),
        };
        let mut headers = Map::new();
        let mut multi_headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in &parts.headers {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers.insert(name.as_str().to_owned(), json!(value));
            multi_headers.entry(name.as_str().to_owned()).or_default().push(value);
        }
        let (query, multi_query) = query_maps(parts.uri.query());
        let path_parameters = if path_params.is_empty() {
            Value::Null
        } else {
            Value::Object(
                path_params
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), json!(percent_decode(v))))
                    .collect(),
            )
        };
        let (body_text, is_base64) = if body.is_empty() {
            (Value::Null, false)
        } else {
            match std::str::from_utf8(&body) {
                Ok(text) => (json!(text), false),
                Err(_) => (json!(STANDARD.encode(&body)), true),
            }
        };
        let now = time::OffsetDateTime::now_utc();
        let mut authorizer = Map::new();
        if let Some(grant) = grant {
            authorizer = grant.context;
            authorizer.insert("principalId".into(), json!(grant.principal_id));
            authorizer.insert("integrationLatency".into(), json!(0));
        }
        let event = json!({
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query,
            "pathParameters": path_parameters,
            "stageVariables": Value::Null,
            "requestContext": {
                "resourceId": "local",
                "resourcePath": route.path,
                "httpMethod": method,
                "extendedRequestId": request_id,
                "requestTime": now.format(&time::format_description::well_known::Rfc2822).unwrap_or_default(),
                "path": format!("/{STAGE}{path}"),
                "accountId": "000000000000",
                "protocol": "HTTP/1.1",
                "stage": STAGE,
                "domainPrefix": "localhost",
                "requestTimeEpoch": now.unix_timestamp() * 1000 + i64::from(now.millisecond()),
                "requestId": request_id,
                "identity": { "sourceIp": peer.ip().to_string(), "userAgent": parts.headers.get("user-agent").and_then(|v| v.to_str().ok()) },
                "domainName": "localhost",
                "apiId": "local",
                "authorizer": authorizer,
            },
            "body": body_text,
            "isBase64Encoded": is_base64,
        });
        match oms::runtime::invoke_api_gateway_event(route, &self.app, event).await {
            Ok(proxy) => proxy_to_http(&proxy),
            Err(error) => problem(ApiError::Internal(error), request_id),
        }
    }
}

impl Server {
    /// The development endpoints act on every user's data: they take an Admin's token, checked
    /// like any other (401 without a valid one, 403 for anyone else).
    async fn admin_only(&self, request: &Request<Incoming>, request_id: &str) -> Result<(), HttpResponse> {
        let header = request.headers().get("authorization").and_then(|v| v.to_str().ok());
        let verified = match bearer_token(header) {
            Ok(token) => self.verifier.verify(token).await,
            Err(e) => Err(e),
        };
        let claims = verified.map_err(|error| problem(error.into(), request_id))?;
        let caller = oms::auth::Caller::from_claims(&claims).map_err(|error| problem(error.into(), request_id))?;
        if caller.is_admin() {
            Ok(())
        } else {
            Err(problem(
                ApiError::Forbidden("only Admins may use the development endpoints".into()),
                request_id,
            ))
        }
    }

    /// Answers a signed object URL: an upload (then the S3 ObjectCreated event, delivered to the
    /// same completion handler as in AWS) or a download.
    async fn object_request(
        &self,
        method: &str,
        key: &str,
        request: Request<Incoming>,
        request_id: &str,
    ) -> HttpResponse {
        use oms::adapters::local_objects::Refusal;
        let query: std::collections::BTreeMap<String, String> = request
            .uri()
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        let refused = |refusal: Refusal| {
            let (status, code) = match refusal {
                Refusal::BadSignature => (StatusCode::FORBIDDEN, "signature_mismatch"),
                Refusal::Expired => (StatusCode::FORBIDDEN, "url_expired"),
                Refusal::Mismatch(_) => (StatusCode::BAD_REQUEST, "upload_mismatch"),
                Refusal::AlreadyExists => (StatusCode::PRECONDITION_FAILED, "precondition_failed"),
            };
            let body = json!({
                "type": format!("/problems/{code}"), "title": "Refused", "status": status.as_u16(),
                "detail": refusal.to_string(), "code": code, "request_id": request_id,
            });
            let mut response = plain(status, "application/problem+json", body.to_string());
            *response.status_mut() = status;
            response
        };
        if method == "GET" {
            return match self.objects.serve_download(key, &query) {
                Ok((body, content_type, file_name)) => {
                    let mut response = Response::new(Full::new(Bytes::from(body)));
                    if let Ok(value) = HeaderValue::from_str(&content_type) {
                        response.headers_mut().insert("content-type", value);
                    }
                    let disposition = format!(
                        "attachment; filename*=UTF-8''{}",
                        percent_encoding::utf8_percent_encode(&file_name, percent_encoding::NON_ALPHANUMERIC)
                    );
                    if let Ok(value) = HeaderValue::from_str(&disposition) {
                        response.headers_mut().insert("content-disposition", value);
                    }
                    response
                }
                Err(refusal) => refused(refusal),
            };
        }
        let content_type = request
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // Signature, expiry, type and declared length are checked before the body is read, which
        // is then read to the signed length at most.
        let declared = request.headers().get("content-length").and_then(|v| v.to_str().ok());
        let signed_length = match self
            .objects
            .check_upload_request(key, &query, content_type.as_deref(), declared)
        {
            Ok(length) => length,
            Err(refusal) => return refused(refusal),
        };
        let body = match Limited::new(request.into_body(), signed_length).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return problem(ApiError::PayloadTooLarge(signed_length), request_id),
        };
        match self.objects.accept_upload(key, &query, content_type.as_deref(), &body) {
            Ok(facts) => {
                let event = object_created_event(key, facts.size_bytes, request_id);
                let app = self.app.clone();
                tokio::spawn(async move {
                    match serde_json::from_value(event) {
                        Ok(event) => {
                            if let Err(error) = oms::consumers::attachments::handle(&app, event).await {
                                tracing::warn!(%error, "attachment completion failed");
                            }
                        }
                        Err(error) => tracing::error!(%error, "could not build the S3 event"),
                    }
                });
                plain(StatusCode::OK, "application/json", "{}")
            }
            Err(refusal) => refused(refusal),
        }
    }
}

/// What the console's development sign-in asks for: a user and their groups.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DevTokenRequest {
    sub: Option<String>,
    email: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    expires_in: Option<i64>,
}

/// The longest-lived development token: a day.
const DEV_TOKEN_MAX_SECONDS: i64 = 86_400;

impl Server {
    /// `POST /_local/token`: the console's development sign-in. It signs what `oms-local token`
    /// prints (an ID and an access token for this server's app client) for the user and groups the
    /// sign-in page picked. Only the local server has this path (it is no route of the API, so no
    /// function serves it in AWS, where the console signs in through Cognito's hosted UI); anyone
    /// who can reach the local server may use it, as anyone who can run its token command can.
    async fn dev_token(&self, request: Request<Incoming>, request_id: &str) -> HttpResponse {
        let body = match Limited::new(request.into_body(), 16 * 1024).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return problem(ApiError::PayloadTooLarge(16 * 1024), request_id),
        };
        let (wanted, mut errors) = match oms::http::body::parse_body::<DevTokenRequest>(&body) {
            Ok(parsed) => parsed,
            Err(error) => return problem(error, request_id),
        };
        let sub = wanted.sub.as_deref().map(str::trim).unwrap_or_default().to_owned();
        // `add` says nothing more about a field already reported unreadable.
        if sub.is_empty() || sub.chars().count() > 128 || sub.chars().any(char::is_control) {
            errors.add("sub", "must be 1 to 128 characters without control characters");
        }
        if let Some(email) = &wanted.email
            && (email.chars().count() > 254 || !email.contains('@') || email.chars().any(char::is_control))
        {
            errors.add("email", "must be an e-mail address");
        }
        if wanted
            .groups
            .iter()
            .any(|g| g != oms::auth::ADMIN && g != oms::auth::SALES_MANAGER)
        {
            errors.add("groups", "must name only SalesManager and Admin");
        }
        let expires_in = wanted.expires_in.unwrap_or(3600);
        if !(60..=DEV_TOKEN_MAX_SECONDS).contains(&expires_in) {
            errors.add("expires_in", "must be 60 to 86400 seconds");
        }
        if !errors.is_empty() {
            return problem(ApiError::Validation(errors.into_vec()), request_id);
        }
        let token = |token_use: &str| {
            self.issuer.token(&crate::issuer::TokenRequest {
                sub: sub.clone(),
                email: wanted.email.clone(),
                groups: wanted.groups.clone(),
                expires_in,
                audience: crate::issuer::CLIENT_ID.to_owned(),
                token_use: token_use.to_owned(),
            })
        };
        match (token("id"), token("access")) {
            (Ok(id_token), Ok(access_token)) => {
                let body = json!({
                    "id_token": id_token,
                    "access_token": access_token,
                    "token_type": "Bearer",
                    "expires_in": expires_in,
                });
                let mut response = plain(StatusCode::OK, "application/json", body.to_string());
                response
                    .headers_mut()
                    .insert("cache-control", HeaderValue::from_static("no-store"));
                response
            }
            (Err(error), _) | (_, Err(error)) => problem(ApiError::Internal(error), request_id),
        }
    }

    /// A console file for a `GET` or `HEAD` no API route matched (see [`crate::console`]), with the
    /// security headers CloudFront adds in AWS.
    async fn console_file(&self, path: &str, request: &Request<Incoming>) -> Option<HttpResponse> {
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
        let asset = self.console.lookup(&percent_decode(path), header("accept"))?;
        let asset = self.console.encoded(asset, header("accept-encoding"));
        let bytes = tokio::fs::read(&asset.path).await.ok()?;
        let mut response = plain(StatusCode::OK, asset.content_type, bytes);
        let headers = response.headers_mut();
        headers.insert("cache-control", HeaderValue::from_static(asset.cache_control));
        // Caches keep one answer per encoding (the bytes differ; the URL does not).
        headers.insert("vary", HeaderValue::from_static("Accept-Encoding"));
        if let Some(encoding) = asset.encoding {
            headers.insert("content-encoding", HeaderValue::from_static(encoding));
        }
        headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
        headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
        headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
        headers.insert(
            "content-security-policy",
            HeaderValue::from_static(crate::console::CONTENT_SECURITY_POLICY),
        );
        Some(response)
    }
}

/// The S3 `ObjectCreated:Put` notification AWS sends for an upload.
fn object_created_event(key: &str, size: i64, request_id: &str) -> Value {
    let encoded: String = key
        .split('/')
        .map(|part| percent_encoding::utf8_percent_encode(part, percent_encoding::NON_ALPHANUMERIC).to_string())
        .collect::<Vec<_>>()
        .join("/");
    json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "local",
            "eventTime": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "eventName": "ObjectCreated:Put",
            "userIdentity": { "principalId": "local" },
            "requestParameters": { "sourceIPAddress": "127.0.0.1" },
            "responseElements": { "x-amz-request-id": request_id, "x-amz-id-2": request_id },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "attachment-complete",
                "bucket": { "name": "oms-local-attachments", "ownerIdentity": { "principalId": "local" }, "arn": "arn:aws:s3:::oms-local-attachments" },
                "object": { "key": encoded, "size": size, "eTag": "", "sequencer": format!("{:016X}", time::OffsetDateTime::now_utc().unix_timestamp_nanos()) }
            }
        }]
    })
}

/// Turns an API Gateway proxy response into HTTP, as API Gateway does.
fn proxy_to_http(proxy: &Value) -> HttpResponse {
    let status = proxy
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::BAD_GATEWAY);
    let body = match (
        proxy.get("body").and_then(Value::as_str),
        proxy.get("isBase64Encoded").and_then(Value::as_bool),
    ) {
        (Some(text), Some(true)) => Bytes::from(STANDARD.decode(text).unwrap_or_default()),
        (Some(text), _) => Bytes::from(text.to_owned()),
        (None, _) => Bytes::new(),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    for key in ["headers", "multiValueHeaders"] {
        if let Some(Value::Object(map)) = proxy.get(key) {
            for (name, value) in map {
                let values: Vec<&str> = match value {
                    Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                    Value::String(s) => vec![s.as_str()],
                    _ => vec![],
                };
                for v in values {
                    if let (Ok(n), Ok(v)) = (http::HeaderName::try_from(name.as_str()), HeaderValue::from_str(v)) {
                        response.headers_mut().append(n, v);
                    }
                }
            }
        }
    }
    response
}

/// Serves until the process is stopped.
pub async fn serve(server: Arc<Server>, listener: TcpListener) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let server = server.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let server = server.clone();
                async move { Ok::<_, Infallible>(server.handle(request, peer).await) }
            });
            if let Err(error) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%error, "connection closed");
            }
        });
    }
}
