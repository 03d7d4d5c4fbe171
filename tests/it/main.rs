//! The integration tests, one binary: each module is an area (the SQL suite, privacy, the local
//! server over HTTP, ...), and a test's path names the area and the behaviour it proves
//! (`cargo test -p oms-tests -- local_server_http::`). One binary links the SDK stack once
//! instead of once per area.
//!
//! The tests share this process, so none may change what another sees: no global tracing
//! subscriber (a test that reads log lines installs its own for its future only), no
//! `std::env::set_var` (configuration is passed to the code or to the child process), no
//! process-wide counter asserted exactly (a test filters what it reads by its own ids).

/// Each named scenario (an `async fn` of the module taking an `Arc<dyn SqlExecutor>`) as two
/// tests, `sqlite::<name>` on a fresh SQLite file and `postgres::<name>` on a fresh PostgreSQL
/// schema (`oms_tests::sqlite_executor`, `oms_tests::postgres_executor`). With `apps:` first,
/// those scenarios take an `App` over that database; the ones after `executors:` the executor.
macro_rules! on_every_backend {
    (apps: $($test:ident),* ; executors: $($raw:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let (executor, _dir) = oms_tests::sqlite_executor().await;
                    super::$test(oms::app::App::over_sql(executor)).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $raw() {
                    let (executor, _dir) = oms_tests::sqlite_executor().await;
                    super::$raw(executor).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(oms::app::App::over_sql(oms_tests::postgres_executor().await)).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $raw() {
                    super::$raw(oms_tests::postgres_executor().await).await;
                }
            )*
        }
    };
    ($($test:ident),* $(,)?) => {
        on_every_backend!(apps: ; executors: $($test),*);
    };
}

mod attachments_and_versions;
mod attacks;
mod aws_adapters;
mod data_api_mapping;
mod data_api_round_trips;
mod data_api_standin;
mod emf_spec;
mod events_and_cache;
mod faults_under_load;
mod hardening;
mod integration_events;
mod lambda_runtime_api;
mod local_data_and_dev_endpoints;
mod local_server_http;
mod privacy;
mod production_end_to_end;
mod rate_limits;
mod reports_and_jobs;
mod sample_events;
mod store_suite;
mod template_consistency;
