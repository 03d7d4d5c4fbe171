//! Structured JSON logs: one object per line, with the request span's fields (request id,
//! function, cold start, caller subject). Tokens and personal data are never logged.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber once; `RUST_LOG` overrides the `info` default.
pub fn init(function: &'static str) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let installed = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .try_init()
        .is_ok();
    if installed {
        tracing::debug!(function, "logging initialised");
    }
}
