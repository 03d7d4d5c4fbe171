//! Adapters behind the ports that are not SQL: the cache (DynamoDB in AWS, memory locally), the
//! change-event queue (SQS in AWS, an embedded queue with SQS semantics locally), the attachment
//! objects (S3 in AWS, a folder locally). Each AWS adapter is behind its cargo feature.

#[cfg(feature = "dynamodb")]
pub mod dynamodb_cache;
pub mod export_sinks;
pub mod local_bus;
pub mod local_objects;
pub mod local_queue;
pub mod memory_cache;
pub mod memory_counter;
#[cfg(feature = "s3")]
pub mod s3_objects;
#[cfg(feature = "sqs")]
pub mod sqs;
