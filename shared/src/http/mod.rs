//! The HTTP edge of the handlers: reading API Gateway requests, writing responses, and the one
//! mapping from errors to problem documents.

pub mod body;
pub mod cors;
pub mod cursor;
pub mod problem;
pub mod request;
pub mod response;

pub use problem::ApiError;
