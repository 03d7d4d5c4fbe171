//! Running a handler as a Lambda function: one cold start builds the application, then every
//! invocation goes through [`dispatch`], which refuses an unacceptable caller before the handler
//! runs, maps errors to problem documents, stamps the request id and the CORS headers on the
//! response and logs one line per request.
//!
//! Every function's `main` runs these on a current-thread Tokio runtime: a Lambda sandbox handles
//! one invocation at a time, so worker threads would only add start-up (measured: about 1.5 ms of
//! a 5 ms init) and cross-thread wake-ups.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use lambda_http::http::HeaderValue;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Body, Context, LambdaEvent, Request, Response, Service, service_fn};
use tracing::Instrument;

use crate::app::App;
use crate::http::request::{accepted_caller, request_id};
use crate::routes::Route;

static COLD_START: AtomicBool = AtomicBool::new(true);

/// Runs one request through a route's handler: never fails, never panics on input.
pub async fn dispatch(route: &Route, app: &App, request: Request) -> Response<Body> {
    let request_id = request_id(&request);
    let cold_start = COLD_START.swap(false, Ordering::Relaxed);
    // An authenticated route runs its handler only for a caller whose identity reads
    // unambiguously and whose token is of an accepted kind and app client.
    let identity = route.authenticated.then(|| accepted_caller(&request, &app.clients));
    let caller_id = identity.as_ref().and_then(|c| c.as_ref().ok()).map(|c| c.id.clone());
    let span = tracing::info_span!(
        "request",
        function = route.function,
        request_id = request_id.as_deref().unwrap_or("-"),
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
    async move {
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
        response
    }
    .instrument(span)
    .await
}

/// Runs an API Gateway REST proxy event (as JSON) through the route exactly as the Lambda
/// runtime would, returning the proxy response JSON. The local server and tests use this.
pub async fn invoke_api_gateway_event(
    route: &Route,
    app: &App,
    event: serde_json::Value,
) -> Result<serde_json::Value, String> {
    let payload: LambdaRequest = serde_json::from_value(event).map_err(|e| format!("not an API Gateway event: {e}"))?;
    let mut adapter = Adapter::from(service_fn(move |request: Request| async move {
        Ok::<_, Infallible>(dispatch(route, app, request).await)
    }));
    let response = adapter
        .call(LambdaEvent::new(payload, Context::default()))
        .await
        .map_err(|e| e.to_string())?;
    serde_json::to_value(response).map_err(|e| e.to_string())
}

/// The `main` of every HTTP function: logging, the application (once per cold start), then the
/// Lambda runtime loop.
pub(crate) async fn run_http_function(function: &'static str, route: &'static Route) -> Result<(), lambda_http::Error> {
    crate::telemetry::init(function);
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Infallible>(dispatch(route, app, request).await)
    }))
    .await
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
            let cold_start = COLD_START.swap(false, Ordering::Relaxed);
            let span = tracing::info_span!("invocation", function, request_id = %event.context.request_id, cold_start);
            let records = event.payload.records.len();
            async move {
                let response = handler(app, event.payload).await;
                tracing::info!(records, failed = response.batch_item_failures.len(), "batch handled");
                Ok::<_, Infallible>(response)
            }
            .instrument(span)
            .await
        },
    ))
    .await
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
        let cold_start = COLD_START.swap(false, Ordering::Relaxed);
        let span = tracing::info_span!("invocation", function, request_id = %event.context.request_id, cold_start);
        async move {
            let report = handler(app, event.payload).await?;
            tracing::info!(report = %report, "event handled");
            Ok::<_, lambda_http::Error>(report)
        }
        .instrument(span)
        .await
    }))
    .await
}
