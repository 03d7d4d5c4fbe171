//! Adapters behind the ports that are not SQL: the cache (DynamoDB in AWS, memory locally), the
//! change-event queue (SQS in AWS, an embedded queue with SQS semantics locally).

pub mod dynamodb_cache;
pub mod dynamodb_idempotency;
pub mod local_objects;
pub mod local_queue;
pub mod memory_cache;
pub mod s3_objects;
pub mod sqs;
