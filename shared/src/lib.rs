//! # Opportunity Management Service
//!
//! The library every function of the fleet runs. Architecture, from the inside out:
//!
//! - [`domain`]: opportunities, their lifecycle and history, customers and skills. No I/O.
//! - [`ports`]: narrow traits for what the handlers need (stores, clock, ids).
//! - [`sql`] and [`store`]: the system of record behind the store ports: one SQL text per query,
//!   run by the RDS Data API in AWS, by SQLite locally and by PostgreSQL in the tests.
//! - [`auth`]: the caller from Cognito claims, and a JWT verifier for the local server.
//! - [`http`], [`handlers`], [`routes`]: API Gateway requests in, problem documents or JSON out.
//! - [`runtime`], [`telemetry`], [`metrics`]: running a handler as a Lambda function.
//! - [`openapi`]: the OpenAPI 3.1 description, generated from the code.

pub mod adapters;
pub mod app;
pub mod application;
pub mod auth;
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
pub mod tls;

#[cfg(test)]
mod properties;
