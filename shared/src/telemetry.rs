//! Structured JSON logs: one object per line, with the request span's fields (request id,
//! function, cold start, caller subject). Tokens and personal data are never logged.

use std::str::FromStr;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The log filter from `RUST_LOG`: a level (`info`) and/or per-target levels
/// (`oms=debug,aws_smithy_runtime=warn`). `info` when unset or malformed. A target filter rather
/// than `EnvFilter`, whose span and field directives need a regex engine in every binary.
pub fn filter_from(value: Option<&str>) -> Targets {
    value
        .and_then(|v| Targets::from_str(v).ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO))
}

/// Installs the JSON subscriber once; `RUST_LOG` overrides the `info` default.
pub fn init(function: &'static str) {
    let filter = filter_from(std::env::var("RUST_LOG").ok().as_deref());
    let installed = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .with_target(false)
                .without_time(),
        )
        .with(filter)
        .try_init()
        .is_ok();
    if installed {
        tracing::debug!(function, "logging initialised");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_log_sets_the_default_level_and_per_target_levels_and_falls_back_to_info() {
        let default = filter_from(None);
        assert!(default.would_enable("oms", &tracing::Level::INFO));
        assert!(!default.would_enable("oms", &tracing::Level::DEBUG));
        let error_only = filter_from(Some("error"));
        assert!(!error_only.would_enable("oms", &tracing::Level::WARN));
        assert!(error_only.would_enable("oms", &tracing::Level::ERROR));
        let per_target = filter_from(Some("warn,oms=debug"));
        assert!(per_target.would_enable("oms::handlers", &tracing::Level::DEBUG));
        assert!(!per_target.would_enable("hyper", &tracing::Level::INFO));
        let malformed = filter_from(Some("oms=loud"));
        assert!(malformed.would_enable("oms", &tracing::Level::INFO));
    }
}
