//! The route table: which function serves which method and path. The Lambda binaries, the local
//! server, the OpenAPI description and the SAM template checks all read this one table.

use std::future::Future;
use std::pin::Pin;

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::handlers::{attachments, catalog, opportunities, platform, reports};
use crate::http::ApiError;

/// The future a handler returns.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<Response<Body>, ApiError>> + Send + 'a>>;
/// A handler: the application and a request in, a response or an error out.
pub type Handler = for<'a> fn(&'a App, Request) -> HandlerFuture<'a>;

/// One endpoint, served by one function.
#[derive(Clone, Copy)]
pub struct Route {
    /// The function's name (its crate under `functions/` and its resource in `template.yaml`).
    pub function: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// Path template as API Gateway writes it (`/v1/opportunities/{id}`).
    pub path: &'static str,
    /// Whether the Cognito authorizer guards it.
    pub authenticated: bool,
    /// The handler.
    pub handler: Handler,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.method, self.path, self.function)
    }
}

macro_rules! route {
    ($function:literal, $method:literal, $path:literal, $auth:expr, $handler:path) => {
        Route {
            function: $function,
            method: $method,
            path: $path,
            authenticated: $auth,
            handler: |app, request| Box::pin($handler(app, request)),
        }
    };
}

/// Every endpoint of the API.
pub const ROUTES: &[Route] = &[
    route!("health", "GET", "/health", false, platform::health),
    route!("get-openapi", "GET", "/openapi.json", false, platform::openapi),
    route!("get-docs", "GET", "/docs", false, platform::docs),
    route!("get-docs-asset", "GET", "/docs/{asset}", false, platform::docs_asset),
    route!("get-me", "GET", "/v1/me", true, platform::me),
    route!("list-customers", "GET", "/v1/customers", true, catalog::list_customers),
    route!(
        "create-customer",
        "POST",
        "/v1/customers",
        true,
        catalog::create_customer
    ),
    route!("get-customer", "GET", "/v1/customers/{id}", true, catalog::get_customer),
    route!("list-skills", "GET", "/v1/skills", true, catalog::list_skills),
    route!("get-skill", "GET", "/v1/skills/{id}", true, catalog::get_skill),
    route!("create-skill", "POST", "/v1/skills", true, catalog::create_skill),
    route!(
        "create-opportunity",
        "POST",
        "/v1/opportunities",
        true,
        opportunities::create
    ),
    route!(
        "list-opportunities",
        "GET",
        "/v1/opportunities",
        true,
        opportunities::list
    ),
    route!(
        "get-opportunity",
        "GET",
        "/v1/opportunities/{id}",
        true,
        opportunities::get
    ),
    route!(
        "patch-opportunity",
        "PATCH",
        "/v1/opportunities/{id}",
        true,
        opportunities::patch
    ),
    route!(
        "put-problem-statement",
        "PUT",
        "/v1/opportunities/{id}/problem-statement",
        true,
        opportunities::put_problem_statement
    ),
    route!(
        "put-skill-requirements",
        "PUT",
        "/v1/opportunities/{id}/skill-requirements",
        true,
        opportunities::put_skill_requirements
    ),
    route!(
        "submit-opportunity",
        "POST",
        "/v1/opportunities/{id}/submit",
        true,
        opportunities::submit
    ),
    route!(
        "cancel-opportunity",
        "POST",
        "/v1/opportunities/{id}/cancel",
        true,
        opportunities::cancel
    ),
    route!(
        "reactivate-opportunity",
        "POST",
        "/v1/opportunities/{id}/reactivate",
        true,
        opportunities::reactivate_opportunity
    ),
    route!(
        "presign-upload",
        "POST",
        "/v1/opportunities/{id}/attachments",
        true,
        attachments::register
    ),
    route!(
        "list-attachments",
        "GET",
        "/v1/opportunities/{id}/attachments",
        true,
        attachments::list
    ),
    route!("get-attachment", "GET", "/v1/attachments/{id}", true, attachments::get),
    route!(
        "delete-attachment",
        "DELETE",
        "/v1/attachments/{id}",
        true,
        attachments::delete
    ),
    route!(
        "get-opportunity-history",
        "GET",
        "/v1/opportunities/{id}/history",
        true,
        opportunities::history
    ),
    route!(
        "get-pipeline-report",
        "GET",
        "/v1/reports/pipeline",
        true,
        reports::pipeline
    ),
];

/// The route a function serves.
pub fn by_function(function: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.function == function)
}

/// How a request path relates to the route table.
#[derive(Debug)]
pub enum Match {
    /// A route, with its path parameters.
    Found(&'static Route, Vec<(&'static str, String)>),
    /// The path exists with other methods.
    WrongMethod(Vec<&'static str>),
    /// No such path.
    NotFound,
}

/// Matches a method and path (without stage) against the table.
pub fn match_route(method: &str, path: &str) -> Match {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut methods = Vec::new();
    for route in ROUTES {
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
        methods.push(route.method);
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
    fn every_function_serves_exactly_one_route() {
        for route in ROUTES {
            assert_eq!(
                ROUTES.iter().filter(|r| r.function == route.function).count(),
                1,
                "{route:?}"
            );
            assert_eq!(
                ROUTES
                    .iter()
                    .filter(|r| r.method == route.method && r.path == route.path)
                    .count(),
                1,
                "{route:?}"
            );
        }
    }

    #[test]
    fn paths_match_with_parameters_and_wrong_methods_are_told_apart() {
        match match_route("GET", "/v1/opportunities/abc/history") {
            Match::Found(route, params) => {
                assert_eq!(route.function, "get-opportunity-history");
                assert_eq!(params, vec![("id", "abc".to_owned())]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(match_route("DELETE", "/v1/opportunities"), Match::WrongMethod(m) if m.contains(&"GET")));
        assert!(matches!(match_route("GET", "/v1/nothing"), Match::NotFound));
    }
}
