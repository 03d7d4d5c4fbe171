//! The published description and its documentation page: `GET /openapi.json`, `GET /docs` (Swagger
//! UI, vendored under `vendor/swagger-ui/`, never loaded from a CDN) and `GET /docs/{asset}`.
//! Served without a token, in AWS by their own functions and locally by the same handlers.

/// The committed description (a test keeps it equal to what [`crate::openapi`] generates).
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

/// The documentation page: Swagger UI on `openapi.json`, with "try it out" on this deployment.
pub const DOCS_HTML: &str = include_str!("docs.html");

/// The files of the page, by the name `GET /docs/{asset}` takes.
pub const ASSET_NAMES: &[&str] = &["swagger-ui-bundle.js", "swagger-ui.css", "docs-init.js"];

/// The documentation page's Content-Security-Policy: its own scripts and styles only (no inline
/// script: the start-up is `docs-init.js`; Swagger UI sets inline styles), calls to this origin
/// only ("try it out" and `openapi.json`), never framed, no forms or plugins.
pub const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// How long browsers may keep an asset (they change only with the vendored version).
pub const ASSET_CACHE_CONTROL: &str = "public, max-age=86400";

/// The content type and bytes of an asset. Only the function that serves them (and the local
/// server) is built with the `docs-assets` feature, so the 1.9 MB stay out of every other binary.
pub fn asset(name: &str) -> Option<(&'static str, &'static str)> {
    assets().iter().find(|(n, _, _)| *n == name).map(|(_, t, b)| (*t, *b))
}

#[cfg(feature = "docs-assets")]
fn assets() -> &'static [(&'static str, &'static str, &'static str)] {
    &[
        (
            "swagger-ui-bundle.js",
            "text/javascript; charset=utf-8",
            include_str!("../../vendor/swagger-ui/swagger-ui-bundle.js"),
        ),
        (
            "swagger-ui.css",
            "text/css; charset=utf-8",
            include_str!("../../vendor/swagger-ui/swagger-ui.css"),
        ),
        (
            "docs-init.js",
            "text/javascript; charset=utf-8",
            include_str!("docs-init.js"),
        ),
    ]
}

#[cfg(not(feature = "docs-assets"))]
fn assets() -> &'static [(&'static str, &'static str, &'static str)] {
    &[]
}

#[cfg(all(test, feature = "docs-assets"))]
mod tests {
    use super::*;

    #[test]
    fn every_asset_name_is_served_and_the_page_loads_nothing_from_elsewhere() {
        for name in ASSET_NAMES {
            let (content_type, body) = asset(name).expect(name);
            assert!(content_type.starts_with("text/"), "{name}: {content_type}");
            assert!(body.len() > 1000, "{name}");
            assert!(
                DOCS_HTML.contains(&format!("docs/{name}")),
                "{name} is not used by the page"
            );
        }
        assert!(asset("../Cargo.toml").is_none());
        assert!(!DOCS_HTML.contains("http://") && !DOCS_HTML.contains("https://") && !DOCS_HTML.contains("//cdn"));
        assert!(
            !DOCS_HTML.contains("<script>"),
            "no inline script: the page's CSP forbids it"
        );
        let (_, init) = asset("docs-init.js").expect("init");
        assert!(
            init.contains("persistAuthorization: false"),
            "the token stays in memory"
        );
    }
}
