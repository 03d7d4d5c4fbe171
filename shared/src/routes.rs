//! The route table: which function serves which method and path, read from the fleet manifest
//! ([`crate::fleet::manifest`]). The Lambda binaries, the local server and the OpenAPI description
//! all read it.

use std::future::Future;
use std::pin::Pin;

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::http::ApiError;
use crate::openapi::Doc;
use http::Method;

/// The future a handler returns.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<Response<Body>, ApiError>> + Send + 'a>>;
/// A handler: the application and a request in, a response or an error out.
pub type Handler = for<'a> fn(&'a App, Request) -> HandlerFuture<'a>;

/// One endpoint, served by one function: the API trigger of a [`crate::fleet::Function`].
pub struct Route {
    /// The function's name (its crate under `functions/` and its resource in `template.yaml`).
    pub function: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path template as API Gateway writes it (`/v1/opportunities/{id}`).
    pub path: &'static str,
    /// Whether the authorizer guards it.
    pub authenticated: bool,
    /// The handler.
    pub handler: Handler,
    /// How the OpenAPI description documents it.
    pub doc: Doc,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.method, self.path, self.function)
    }
}

/// A route of the fleet: `route!(name, GET, "/path", authenticated, handler, doc)`.
macro_rules! route {
    ($function:expr, $method:ident, $path:literal, $auth:expr, $handler:path, $doc:expr) => {
        $crate::fleet::Trigger::Api($crate::routes::Route {
            function: $function,
            method: ::http::Method::$method,
            path: $path,
            authenticated: $auth,
            handler: |app, request| Box::pin($handler(app, request)),
            doc: $doc,
        })
    };
}
pub(crate) use route;

/// Every endpoint of the API, in manifest order.
pub fn routes() -> impl Iterator<Item = &'static Route> {
    crate::fleet::FLEET.iter().filter_map(|f| f.route())
}

/// The route a function serves.
pub fn by_function(function: &str) -> Option<&'static Route> {
    routes().find(|r| r.function == function)
}

/// How a request path relates to the route table.
#[derive(Debug)]
pub enum Match {
    /// A route, with its path parameters.
    Found(&'static Route, Vec<(&'static str, String)>),
    /// The path exists with other methods.
    WrongMethod(Vec<&'static Method>),
    /// No such path.
    NotFound,
}

/// Matches a method and path (without stage) against the table.
pub fn match_route(method: &Method, path: &str) -> Match {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut methods = Vec::new();
    for route in routes() {
        let template: Vec<&str> = route.path.split('/').collect();
        if template.len() != segments.len() {
            continue;
        }
        let mut params = Vec::new();
        let fits = template.iter().zip(&segments).all(|(t, s)| {
            if let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                params.push((name, (*s).to_owned()));
                !s.is_empty()
            } else {
                t == s
            }
        });
        if !fits {
            continue;
        }
        if route.method == method {
            return Match::Found(route, params);
        }
        methods.push(&route.method);
    }
    if methods.is_empty() {
        Match::NotFound
    } else {
        Match::WrongMethod(methods)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_with_parameters_and_wrong_methods_are_told_apart() {
        match match_route(&Method::GET, "/v1/opportunities/abc/history") {
            Match::Found(route, params) => {
                assert_eq!(route.function, "get-opportunity-history");
                assert_eq!(params, vec![("id", "abc".to_owned())]);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(match_route(&Method::DELETE, "/v1/opportunities"), Match::WrongMethod(m) if m.contains(&&Method::GET))
        );
        assert!(matches!(match_route(&Method::GET, "/v1/nothing"), Match::NotFound));
    }
}
