//! Running a handler as a Lambda function: one cold start builds the application, then every
//! invocation goes through [`dispatch`], which refuses an unacceptable caller before the handler
//! runs, maps errors to problem documents, stamps the request id and the CORS headers on the
//! response and logs one line per request. Each invocation runs inside
//! [`crate::metrics::in_invocation`] (one EMF line at its end: duration, cold start, outcome and
//! what it recorded) and its span carries the X-Ray trace id, so every log line names its trace.
//!
//! Every function's `main` runs these on a current-thread Tokio runtime: a Lambda sandbox handles
//! one invocation at a time, so worker threads would only add start-up (measured: about 1.5 ms of
//! a 5 ms init) and cross-thread wake-ups.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use lambda_http::http::HeaderValue;
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Body, Context, LambdaEvent, Request, RequestExt, Response, Service, service_fn};
use tracing::Instrument;

use crate::app::App;
use crate::http::problem::ApiError;
use crate::http::request::{AuthorizationValues, VerifiedCaller, request_id, verify_caller};
use crate::metrics::{InvocationInfo, Outcome, in_invocation, trace_id_of};
use crate::ports::limits::Admission;
use crate::routes::Route;

static COLD_START: AtomicBool = AtomicBool::new(true);

/// Runs one request through a route's handler: never fails, never panics on input.
pub async fn dispatch(route: &Route, app: &App, mut request: Request) -> Response<Body> {
    let request_id = request_id(&request);
    let cold_start = COLD_START.swap(false, Ordering::Relaxed);
    // An authenticated route runs its handler only for a caller the authorizer verified, whose
    // token has not expired since and is of an accepted kind and app client; the handler reads
    // that caller from the request's extensions.
    let now = app.clock.now();
    let mut identity = route.authenticated.then(|| verify_caller(&request, &app.clients, now));
    if let Some(Ok(caller)) = &identity {
        // The per-user limit, on the verified `sub`: counted after authentication, so that no
        // spelling of a header buys a fresh allowance.
        if let Admission::Refused { retry_after_seconds } = app.limit.admit(&caller.id, now).await {
            identity = Some(Err(ApiError::TooManyRequests {
                per_minute: app.limit.policy.per_minute,
                retry_after_seconds,
            }));
        } else {
            request.extensions_mut().insert(VerifiedCaller(caller.clone()));
        }
    }
    let caller_id = identity.as_ref().and_then(|c| c.as_ref().ok()).map(|c| c.id.clone());
    let trace_header = request
        .lambda_context_ref()
        .and_then(|c| c.xray_trace_id.clone())
        .or_else(|| {
            request
                .headers()
                .get("x-amzn-trace-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
    let span = tracing::info_span!(
        "request",
        function = route.function,
        request_id = request_id.as_deref().unwrap_or("-"),
        trace_id = trace_header.as_deref().and_then(trace_id_of).unwrap_or("-"),
        cold_start,
        caller = caller_id.as_deref().unwrap_or("-"),
    );
    let started = Instant::now();
    let method = request.method().to_string();
    // A write records its verified caller in the user directory, in its own transaction.
    let writer_app;
    let app = match identity.as_ref() {
        Some(Ok(caller)) if !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") => {
            writer_app = app.recording_writes_of(caller);
            &writer_app
        }
        _ => app,
    };
    let info = InvocationInfo {
        operation: format!("{method} {}", route.path),
        cold_start,
        trace_header,
    };
    let handled = async move {
        let outcome = match identity {
            Some(Err(refused)) => Err(refused),
            _ => (route.handler)(app, request).await,
        };
        let mut response = match outcome {
            Ok(response) => response,
            Err(error) => error.into_response(request_id.as_deref()),
        };
        if let Some(id) = request_id.as_deref().and_then(|id| HeaderValue::from_str(id).ok()) {
            response.headers_mut().insert("x-request-id", id);
        }
        app.cors.apply(response.headers_mut());
        tracing::info!(
            method = %method,
            route = route.path,
            status = response.status().as_u16(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request handled"
        );
        let outcome = Outcome::of_status(response.status().as_u16());
        (response, outcome)
    };
    in_invocation(info, handled.instrument(span)).await
}

/// Runs an API Gateway REST proxy event (as JSON) through the route exactly as the Lambda
/// runtime would, returning the proxy response JSON. The local server and tests use this.
pub async fn invoke_api_gateway_event(
    route: &Route,
    app: &App,
    event: serde_json::Value,
) -> Result<serde_json::Value, String> {
    // As Lambda does with active tracing: every invocation has a trace, the one API Gateway
    // started (its `X-Amzn-Trace-Id` header) or a fresh one.
    let traced = event["headers"]
        .as_object()
        .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case("x-amzn-trace-id")))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_owned);
    let payload: LambdaRequest = serde_json::from_value(event).map_err(|e| format!("not an API Gateway event: {e}"))?;
    let mut context = Context::default();
    context.xray_trace_id = Some(traced.unwrap_or_else(crate::metrics::new_trace_header));
    let response = handle_api_event(route, app, LambdaEvent::new(payload, context)).await;
    serde_json::to_value(response).map_err(|e| e.to_string())
}

/// The `main` of every HTTP function: logging, the application (once per cold start), then the
/// Lambda runtime loop.
pub(crate) async fn run_http_function(function: &'static str, route: &'static Route) -> Result<(), lambda_http::Error> {
    crate::telemetry::init(function);
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<LambdaRequest>| async move {
        Ok::<_, Infallible>(handle_api_event(route, app, event).await)
    }))
    .await
}

/// How many `Authorization` values the raw event carries: `lambda_http` merges `headers` into
/// `multiValueHeaders` keeping only the last value of each name, so a repeated header is only
/// visible here.
fn authorization_values(event: &LambdaRequest) -> usize {
    match event {
        LambdaRequest::ApiGatewayV1(event) => {
            let multi = event.multi_value_headers.get_all(AUTHORIZATION).iter().count();
            let single = event.headers.get_all(AUTHORIZATION).iter().count();
            multi.max(single)
        }
        _ => 0,
    }
}

/// One API Gateway event, from the raw payload to the proxy response: the count of
/// `Authorization` values is taken before the conversion to a [`Request`] loses it, then the
/// request runs through [`dispatch`] by `lambda_http`'s own adapter (the conversions the Lambda
/// runtime uses).
pub async fn handle_api_event(
    route: &Route,
    app: &App,
    event: LambdaEvent<LambdaRequest>,
) -> impl serde::Serialize + Send + use<> {
    let values = AuthorizationValues(authorization_values(&event.payload));
    let mut adapter = Adapter::from(service_fn(move |mut request: Request| async move {
        request.extensions_mut().insert(values);
        Ok::<_, Infallible>(dispatch(route, app, request).await)
    }));
    match adapter.call(event).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The future of an SQS consumer.
pub type SqsFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = aws_lambda_events::event::sqs::SqsBatchResponse> + Send + 'a>>;
/// An SQS consumer: a batch in, a partial batch response out.
pub type SqsHandler = for<'a> fn(&'a App, aws_lambda_events::event::sqs::SqsEvent) -> SqsFuture<'a>;

/// The `main` of every SQS-triggered function (report batch item failures must be enabled on the
/// event source mapping).
pub(crate) async fn run_sqs_function(function: &'static str, handler: SqsHandler) -> Result<(), lambda_http::Error> {
    crate::telemetry::init(function);
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>| async move {
            Ok::<_, Infallible>(invoke_sqs(function, handler, app, event).await)
        },
    ))
    .await
}

/// One SQS invocation as the runtime runs it: its span (request id, trace id, cold start), its
/// metrics line and the handler's partial batch response. Tests call it directly.
pub async fn invoke_sqs(
    function: &str,
    handler: SqsHandler,
    app: &App,
    event: LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>,
) -> aws_lambda_events::event::sqs::SqsBatchResponse {
    let cold_start = COLD_START.swap(false, Ordering::Relaxed);
    let trace_header = event.context.xray_trace_id.clone();
    let span = tracing::info_span!(
        "invocation",
        function,
        request_id = %event.context.request_id,
        trace_id = trace_header.as_deref().and_then(trace_id_of).unwrap_or("-"),
        cold_start
    );
    let records = event.payload.records.len();
    // The traces of the requests that sent the messages (their AWSTraceHeader), so that the
    // batch's log line can be found from the request's trace id as well as from its own.
    let mut source_traces: Vec<&str> = event
        .payload
        .records
        .iter()
        .filter_map(|r| r.attributes.get("AWSTraceHeader"))
        .filter_map(|h| trace_id_of(h))
        .collect();
    source_traces.sort_unstable();
    source_traces.dedup();
    let source_trace_ids = source_traces.join(",");
    let info = InvocationInfo {
        operation: "batch".into(),
        cold_start,
        trace_header,
    };
    let handled = async move {
        let response = handler(app, event.payload).await;
        let failed = response.batch_item_failures.len();
        tracing::info!(records, failed, source_trace_ids, "batch handled");
        (response, Outcome::of_batch(records, failed))
    };
    in_invocation(info, handled.instrument(span)).await
}

/// The future of an event handler: a report, or why the invocation failed.
pub type EventFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<serde_json::Value, String>> + Send + 'a>>;
/// An event handler: the event in, a report out.
pub type EventHandler<E> = for<'a> fn(&'a App, E) -> EventFuture<'a>;

/// The `main` of every function triggered by asynchronous events (S3 notifications, schedules).
/// A failed run is reported as a function error, so that Lambda retries it and the Errors alarm
/// sees it.
pub(crate) async fn run_event_function<E>(
    function: &'static str,
    handler: EventHandler<E>,
) -> Result<(), lambda_http::Error>
where
    E: serde::de::DeserializeOwned + Send + 'static,
{
    crate::telemetry::init(function);
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<E>| async move {
        invoke_event(function, handler, app, event)
            .await
            .map_err(lambda_http::Error::from)
    }))
    .await
}

/// One asynchronous event's invocation as the runtime runs it: its span, its metrics line and
/// the handler's report (or why it failed). Tests call it directly.
pub async fn invoke_event<E>(
    function: &str,
    handler: EventHandler<E>,
    app: &App,
    event: LambdaEvent<E>,
) -> Result<serde_json::Value, String> {
    let cold_start = COLD_START.swap(false, Ordering::Relaxed);
    let trace_header = event.context.xray_trace_id.clone();
    let span = tracing::info_span!(
        "invocation",
        function,
        request_id = %event.context.request_id,
        trace_id = trace_header.as_deref().and_then(trace_id_of).unwrap_or("-"),
        cold_start
    );
    let info = InvocationInfo {
        operation: "event".into(),
        cold_start,
        trace_header,
    };
    let handled = async move {
        match handler(app, event.payload).await {
            Ok(report) => {
                tracing::info!(report = %report, "event handled");
                (Ok(report), Outcome::Success)
            }
            Err(error) => (Err(error), Outcome::Failure),
        }
    };
    in_invocation(info, handled.instrument(span)).await
}
