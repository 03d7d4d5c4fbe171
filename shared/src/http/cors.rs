//! The CORS headers of every function response.
//!
//! API Gateway answers the browser's preflight `OPTIONS` itself (the template's `Cors` block) and
//! stamps its own error responses, but a proxy integration's responses carry only what the
//! function returns: without these headers a browser would hide every answer from the page. The
//! origin is the stage's `AllowedOrigin` parameter (`OMS_ALLOWED_ORIGIN`), read once at cold
//! start; the exposed headers are the ones the contract asks clients to read.

use lambda_http::http::{HeaderMap, HeaderValue};

/// The response headers a browser page may read beyond the CORS-safelisted ones.
pub const EXPOSE_HEADERS: &str = "ETag, Location, x-request-id";

/// The configured origin, or none (outside a browser-facing stage: no CORS headers).
#[derive(Debug, Clone, Default)]
pub struct Cors {
    allow_origin: Option<HeaderValue>,
}

impl Cors {
    /// `*` or one origin (`scheme://host[:port]`, what the template's parameter admits).
    pub fn new(origin: Option<&str>) -> Result<Cors, String> {
        let Some(origin) = origin.map(str::trim).filter(|o| !o.is_empty()) else {
            return Ok(Cors::default());
        };
        let well_formed = origin == "*"
            || origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .is_some_and(|rest| {
                    let (host, port) = rest.split_once(':').unwrap_or((rest, ""));
                    !host.is_empty()
                        && host
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
                        && port.bytes().all(|b| b.is_ascii_digit())
                        && port.is_empty() != rest.contains(':')
                });
        if !well_formed {
            return Err(format!(
                "OMS_ALLOWED_ORIGIN must be * or scheme://host[:port] (got {origin:?})"
            ));
        }
        let value = HeaderValue::from_str(origin).map_err(|e| format!("OMS_ALLOWED_ORIGIN: {e}"))?;
        Ok(Cors {
            allow_origin: Some(value),
        })
    }

    /// Whether an origin is configured.
    pub fn is_configured(&self) -> bool {
        self.allow_origin.is_some()
    }

    /// Adds the headers to a response.
    pub fn apply(&self, headers: &mut HeaderMap) {
        if let Some(origin) = &self.allow_origin {
            headers.insert("access-control-allow-origin", origin.clone());
            headers.insert(
                "access-control-expose-headers",
                HeaderValue::from_static(EXPOSE_HEADERS),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configured_origin_and_the_exposed_headers_are_added() {
        let mut headers = HeaderMap::new();
        Cors::new(Some("https://console.example.com"))
            .unwrap()
            .apply(&mut headers);
        assert_eq!(headers["access-control-allow-origin"], "https://console.example.com");
        assert_eq!(headers["access-control-expose-headers"], EXPOSE_HEADERS);
        let mut none = HeaderMap::new();
        Cors::new(None).unwrap().apply(&mut none);
        assert!(none.is_empty());
    }

    #[test]
    fn only_an_origin_or_a_star_is_accepted() {
        for good in ["*", "http://localhost:3000", "https://a.example.com"] {
            assert!(Cors::new(Some(good)).is_ok(), "{good}");
        }
        for bad in [
            "localhost:3000",
            "https://a.example.com/path",
            "https://",
            "https://a:b",
            "https://a:",
        ] {
            assert!(Cors::new(Some(bad)).is_err(), "{bad}");
        }
    }
}
