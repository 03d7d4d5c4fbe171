//! The handlers every function runs: one async function per endpoint, taking the API Gateway
//! request (as `lambda_http` presents it) and the application's ports.

pub mod attachments;
pub mod catalog;
pub(crate) mod idempotent;
pub mod input;
pub mod opportunities;
pub mod platform;
pub mod privacy;
pub mod reports;
pub(crate) mod views;
