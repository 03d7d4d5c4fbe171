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
    init_without(function, &[]);
}

/// [`init`], with the events of `silenced` targets dropped: the authorizer's refusals are handler
/// errors, which `lambda_runtime` logs at ERROR (its panic layer), and would otherwise count as
/// ERROR lines (the `ErrorLogLines` alarm) though they are 401s, logged by the authorizer at INFO.
pub fn init_without(function: &'static str, silenced: &[&'static str]) {
    crate::metrics::set_function(function);
    let filter = silenced.iter().fold(
        filter_from(std::env::var("RUST_LOG").ok().as_deref()),
        |filter, target| filter.with_target(*target, LevelFilter::OFF),
    );
    let installed = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .with_target(false)
                .without_time(),
        )
        .with(ErrorLineMetric)
        .with(filter)
        .try_init()
        .is_ok();
    if installed {
        tracing::debug!(function, "logging initialised");
    }
    log_panics();
}

/// Counts every ERROR event that passes the filter as the `ErrorLogLines` metric (EMF), which the
/// fleet-wide alarm watches: one metric for every function, without a metric filter per log group.
struct ErrorLineMetric;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ErrorLineMetric {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if *event.metadata().level() == tracing::Level::ERROR {
            crate::metrics::error_log_line();
        }
    }
}

/// Makes a panic one structured error line (message, source location and the request span's
/// fields) before the default report and the process exit.
///
/// The release profile aborts on panic (see `Cargo.toml`): a panic ends the sandbox and Lambda
/// reports the invocation as failed, so this line is what tells the operator which request and
/// which line of code it was. Installed once; later calls do nothing.
pub fn log_panics() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let default_report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload_as_str()
                .unwrap_or("(a panic payload that is not a string)");
            let location = info
                .location()
                .map(|at| format!("{}:{}:{}", at.file(), at.line(), at.column()))
                .unwrap_or_default();
            tracing::error!(panic.message = message, panic.location = %location, "panicked");
            default_report(info);
        }));
    });
}

/// Ends the process after a panic has been logged, in every build: the local server then fails
/// as a released Lambda function does (`panic = "abort"`), instead of serving on after a bug, so
/// no test can pass while a handler panics.
pub fn abort_after_panic() {
    log_panics();
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        std::process::abort();
    }));
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

    /// Collects what a subscriber writes, for reading back in a test.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Run as a child process by the test below: panics after `abort_after_panic`.
    #[test]
    fn child_that_panics_after_abort_after_panic() {
        if std::env::var_os("OMS_PANIC_CHILD").is_none() {
            return;
        }
        abort_after_panic();
        let _ = std::panic::catch_unwind(|| panic!("a handler bug"));
        // Not reached: the hook aborted the process, catch_unwind or not.
        std::process::exit(0);
    }

    #[test]
    fn a_panic_ends_the_process_even_where_it_would_be_caught() {
        use std::os::unix::process::ExitStatusExt;
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "telemetry::tests::child_that_panics_after_abort_after_panic",
                "--nocapture",
            ])
            .env("OMS_PANIC_CHILD", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.signal(), Some(6), "the child was not aborted: {status}");
    }

    #[test]
    fn a_panic_is_logged_as_one_json_error_line_with_its_message_location_and_request_span() {
        log_panics();
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_writer(move || writer.clone())
            .finish();
        let outcome = tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", request_id = "req-42");
            let _entered = span.enter();
            std::panic::catch_unwind(|| panic!("the invariant broke"))
        });
        assert!(outcome.is_err());
        let bytes = captured.0.lock().unwrap().clone();
        let output = String::from_utf8(bytes).unwrap();
        let line: serde_json::Value = serde_json::from_str(output.lines().last().unwrap()).unwrap();
        assert_eq!(line["level"], "ERROR");
        assert_eq!(line["fields"]["panic.message"], "the invariant broke");
        let location = line["fields"]["panic.location"].as_str().unwrap();
        assert!(location.starts_with("shared/src/telemetry.rs:"), "{location}");
        assert_eq!(line["span"]["request_id"], "req-42");
    }
}
