//! # Opportunity Management Service
//!
//! The library every function of the fleet runs. Its layers, from the inside out (each depends
//! only on the ones above it in this list):
//!
//! - [`domain`]: opportunities, their lifecycle, history and rules ([`domain::rules`]),
//!   customers, skills, reports, retention, privacy. No I/O.
//! - [`ports`]: narrow traits for what the application needs (stores, cache, events, objects,
//!   idempotency records, clock, ids); `config`: the environment and its errors.
//! - `application`: the sequences every entry point runs the same way (the one write path of
//!   an opportunity).
//! - [`http`], [`handlers`], [`consumers`], [`jobs`]: the entry points: API Gateway requests in,
//!   problem documents or JSON out; SQS, S3 and schedule events in, reports out.
//! - Adapters behind the ports: [`sql`] and [`store`] (one SQL text per query on the Data API,
//!   SQLite and PostgreSQL), [`adapters`] (DynamoDB, SQS, S3; memory, folder and embedded-queue
//!   stand-ins), [`auth`] (the caller from verified claims; the token authorizer), `aws_sdk_config` (the
//!   AWS SDK configuration and its trust roots).
//! - [`fleet`]: the manifest of every function (trigger, handler, needs), from which [`routes`],
//!   [`openapi`] and `template.yaml` are derived; [`app`] wires the ports once per cold start;
//!   [`runtime`], [`telemetry`] and [`metrics`] run a function on Lambda.
//!
//! `application`, `config` and `aws_sdk_config` (and the handlers' idempotency and view helpers) are
//! internal to the library: no binary or test reaches them directly.

pub mod adapters;
pub mod app;
pub(crate) mod application;
pub mod auth;
pub(crate) mod aws_sdk_config;
pub(crate) mod config;
pub mod consumers;
pub mod docs;
pub mod domain;
pub mod fleet;
pub mod handlers;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod openapi;
pub mod ports;
pub mod routes;
pub mod runtime;
pub mod sql;
pub mod store;
pub mod telemetry;

#[cfg(test)]
mod properties;
