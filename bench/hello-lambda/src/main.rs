//! The floor: the smallest `lambda_runtime` function (echo), built with the same profile as the
//! fleet, so that the fleet's init time can be read against it. The canonical hello world: the
//! default (multi-thread) `#[tokio::main]` runtime.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
