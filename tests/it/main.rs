//! The integration tests, one binary: each module is an area (the SQL suite, privacy, the local
//! server over HTTP, ...), and a test's path names the area and the behaviour it proves
//! (`cargo test -p oms-tests -- local_server_http::`). One binary links the SDK stack once
//! instead of once per area.
//!
//! The tests share this process, so none may change what another sees: no global tracing
//! subscriber (a test that reads log lines installs its own for its future only), no
//! `std::env::set_var` (configuration is passed to the code or to the child process), no
//! process-wide counter asserted exactly (a test filters what it reads by its own ids).

mod attachments_and_versions;
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
