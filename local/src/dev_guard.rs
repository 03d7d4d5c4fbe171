//! The guard of the development endpoints (`/_local/token`, `/_local/status-events`,
//! `/_local/queues`, `/_local/integration-events`).
//!
//! `POST /_local/token` mints tokens for anyone who can reach the server, which is the point on a
//! developer's machine and a hole if a web page can reach it: a page on another site can rebind
//! its own host name to 127.0.0.1 (DNS rebinding) and then post to the server as if it were
//! same-origin, and a `text/plain` post needs no CORS preflight at all. So these endpoints answer
//! only requests whose `Host` is this machine (a loopback name or address, or the address the
//! server was bound to), whose `Origin`, when a browser sends one, is this server itself or the
//! configured console origin, and whose body, when there is one, is declared `application/json`
//! (which a cross-origin page can only send after a preflight this server does not grant).

use std::net::IpAddr;

use oms::http::ApiError;

/// What the guard knows about the server.
#[derive(Debug, Clone)]
pub struct DevGuard {
    /// The address the server listens on (`127.0.0.1`, or what `--host` named).
    pub bound: IpAddr,
    /// `OMS_ALLOWED_ORIGIN`, the console's origin when it is served elsewhere (a dev server).
    pub allowed_origin: Option<String>,
}

/// The host part of a `Host` header or an origin's authority: `[::1]:8080` is `::1`.
fn host_name(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default();
    }
    authority.rsplit_once(':').map_or(authority, |(host, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            host
        } else {
            authority
        }
    })
}

impl DevGuard {
    fn is_this_machine(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        if host == "localhost" || host.ends_with(".localhost") {
            return true;
        }
        match host.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback() || (!self.bound.is_unspecified() && ip == self.bound),
            Err(_) => false,
        }
    }

    /// Refuses a request a web page of another site could have made.
    pub fn check(
        &self,
        host: Option<&str>,
        origin: Option<&str>,
        content_type: Option<&str>,
        has_body: bool,
    ) -> Result<(), ApiError> {
        let host = host.unwrap_or_default();
        if !self.is_this_machine(host_name(host)) {
            return Err(ApiError::Forbidden(format!(
                "the development endpoints answer only requests addressed to this machine (Host {host:?})"
            )));
        }
        if let Some(origin) = origin {
            let same_server = ["http://", "https://"].iter().any(|scheme| {
                origin
                    .strip_prefix(scheme)
                    .is_some_and(|authority| authority.eq_ignore_ascii_case(host))
            });
            let configured = self.allowed_origin.as_deref().is_some_and(|o| o == origin);
            if !same_server && !configured {
                return Err(ApiError::Forbidden(format!(
                    "the development endpoints answer only this server's own pages (Origin {origin:?})"
                )));
            }
        }
        if has_body {
            let media_type = content_type
                .unwrap_or_default()
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if media_type != "application/json" {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "Content-Type must be application/json (got {:?})",
                    content_type.unwrap_or_default()
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> DevGuard {
        DevGuard {
            bound: "127.0.0.1".parse().unwrap(),
            allowed_origin: Some("http://localhost:5173".into()),
        }
    }

    #[test]
    fn only_requests_addressed_to_this_machine_pass() {
        let json = Some("application/json");
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST",
            "[::1]:8080",
            "app.localhost:1",
            "127.9.9.9",
        ] {
            assert!(guard().check(Some(host), None, json, true).is_ok(), "{host}");
        }
        for host in [
            "evil.example:8080",
            "evil.example",
            "192.168.1.20:8080",
            "",
            "127.0.0.1.evil.example",
        ] {
            assert!(guard().check(Some(host), None, json, true).is_err(), "{host}");
        }
        assert!(guard().check(None, None, json, true).is_err());
        let lan = DevGuard {
            bound: "192.168.1.20".parse().unwrap(),
            allowed_origin: None,
        };
        assert!(
            lan.check(Some("192.168.1.20:8080"), None, json, true).is_ok(),
            "the bound address"
        );
    }

    #[test]
    fn a_browser_origin_must_be_this_server_or_the_configured_console() {
        let json = Some("application/json");
        let host = Some("127.0.0.1:8080");
        assert!(guard().check(host, Some("http://127.0.0.1:8080"), json, true).is_ok());
        assert!(guard().check(host, Some("http://localhost:5173"), json, true).is_ok());
        for origin in [
            "http://evil.example",
            "null",
            "http://127.0.0.1:9999",
            "http://127.0.0.1:8080.evil.example",
        ] {
            assert!(guard().check(host, Some(origin), json, true).is_err(), "{origin}");
        }
    }

    #[test]
    fn a_body_must_be_declared_json_so_that_a_cross_origin_page_needs_a_preflight() {
        let host = Some("localhost:8080");
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data"),
        ] {
            assert!(matches!(
                guard().check(host, None, content_type, true),
                Err(ApiError::UnsupportedMediaType(_))
            ));
        }
        assert!(
            guard()
                .check(host, None, Some("application/json; charset=utf-8"), true)
                .is_ok()
        );
        assert!(guard().check(host, None, None, false).is_ok(), "a GET has no body");
    }
}
