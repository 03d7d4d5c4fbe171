//! Issue 16's floor for the functions' init: the smallest `lambda_http` function (an empty 200),
//! on the default multi-thread runtime, built with the `floor` profile (opt-level 3, fat LTO, one
//! codegen unit, `panic = "abort"`), so that the fleet's init is read against the best a
//! `lambda_http` function can do on this machine.

use lambda_http::{Body, Error, Request, Response, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_request: Request| async move {
        Ok::<_, Error>(Response::new(Body::Text("hello".into())))
    }))
    .await
}
