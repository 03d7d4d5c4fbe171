//! The web console's built files (`console/dist`), served at `/` beside the API as CloudFront
//! serves them in AWS: the file a path names, else `index.html` for a page request (the console
//! routes in the browser), with the same security headers. API paths never reach this module's
//! fallback, so unknown API paths keep their 404 problem document.

use std::path::{Component, Path, PathBuf};

/// Paths that belong to the API or the local server, never to the console's page routes.
const NOT_CONSOLE: &[&str] = &["/v1/", "/_local/", "/.well-known/", "/docs", "/openapi.json", "/health"];

/// The Content-Security-Policy of the console's pages: everything from this origin only (no CDN,
/// no inline script), as the CloudFront response headers policy sets it with the API's origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
     frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// A file to answer with.
#[derive(Debug, PartialEq, Eq)]
pub struct Asset {
    /// Where it is on disk.
    pub path: PathBuf,
    /// Its media type.
    pub content_type: &'static str,
    /// `Cache-Control`: hashed build assets forever, everything else revalidated.
    pub cache_control: &'static str,
}

/// The folder of built console files.
#[derive(Clone, Debug)]
pub struct Console {
    root: PathBuf,
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

impl Console {
    /// The console built into `root` (which need not exist: then nothing is served).
    pub fn new(root: PathBuf) -> Console {
        Console { root }
    }

    fn index(&self) -> Option<Asset> {
        let path = self.root.join("index.html");
        if !path.is_file() {
            return None;
        }
        Some(Asset {
            path,
            content_type: "text/html; charset=utf-8",
            cache_control: "no-cache",
        })
    }

    /// The file for a `GET` of `path` (already percent-decoded) that matched no API route:
    /// the named file if it exists inside the folder, else `index.html` when the request is a
    /// page request (`Accept` names `text/html`) outside the API's paths, else nothing.
    pub fn lookup(&self, path: &str, accept: Option<&str>) -> Option<Asset> {
        if path == "/" {
            return self.index();
        }
        if let Some(file) = self.file(path) {
            return Some(file);
        }
        let page_request = accept.is_some_and(|a| a.contains("text/html"));
        let api_path = NOT_CONSOLE.iter().any(|prefix| path.starts_with(prefix));
        if page_request && !api_path && !path.starts_with("/assets/") {
            return self.index();
        }
        None
    }

    /// The file a path names, if it is a plain file below the folder: no `..`, no absolute or
    /// drive components, no hidden files, no NUL.
    fn file(&self, path: &str) -> Option<Asset> {
        let relative = path.strip_prefix('/')?;
        if relative.is_empty() || relative.contains('\0') || relative.contains('\\') {
            return None;
        }
        let relative = Path::new(relative);
        let plain = relative.components().all(|component| match component {
            Component::Normal(part) => !part.to_string_lossy().starts_with('.'),
            _ => false,
        });
        if !plain {
            return None;
        }
        let full = self.root.join(relative);
        if !full.is_file() {
            return None;
        }
        let cache_control = if relative.starts_with("assets") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        Some(Asset {
            content_type: content_type(&full),
            path: full,
            cache_control,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built() -> (tempfile::TempDir, Console) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
            }
            std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
        };
        write("index.html", "<!doctype html>");
        write("assets/app-1234.js", "console.log(1)");
        write("config.json", "{}");
        write(".secret", "no");
        let console = Console::new(dir.path().to_path_buf());
        (dir, console)
    }

    #[test]
    fn files_are_served_with_their_type_and_hashed_assets_are_cached_forever() {
        let (_dir, console) = built();
        let asset = console
            .lookup("/assets/app-1234.js", None)
            .unwrap_or_else(|| panic!("no asset"));
        assert_eq!(asset.content_type, "text/javascript; charset=utf-8");
        assert_eq!(asset.cache_control, "public, max-age=31536000, immutable");
        let config = console
            .lookup("/config.json", None)
            .unwrap_or_else(|| panic!("no config"));
        assert_eq!(config.cache_control, "no-cache");
        assert_eq!(
            console.lookup("/", None).map(|a| a.content_type),
            Some("text/html; charset=utf-8")
        );
    }

    #[test]
    fn page_routes_fall_back_to_the_index_but_api_paths_and_missing_assets_do_not() {
        let (_dir, console) = built();
        let html = Some("text/html,application/xhtml+xml,*/*;q=0.8");
        assert!(
            console
                .lookup("/opportunities/42", html)
                .is_some_and(|a| a.path.ends_with("index.html"))
        );
        assert_eq!(
            console.lookup("/opportunities/42", Some("*/*")),
            None,
            "not a page request"
        );
        assert_eq!(console.lookup("/opportunities/42", None), None);
        for api in ["/v1/nothing", "/_local/else", "/docs/x", "/.well-known/x"] {
            assert_eq!(console.lookup(api, html), None, "{api}");
        }
        assert_eq!(console.lookup("/assets/gone-0000.js", html), None);
    }

    #[test]
    fn nothing_outside_the_folder_or_hidden_is_served() {
        let (dir, console) = built();
        let outside = dir.path().parent().map(|p| p.join("outside.txt"));
        for path in [
            "/../outside.txt",
            "/assets/../../outside.txt",
            "/.secret",
            "/assets/\0x",
            "/a\\b",
        ] {
            let found = console.lookup(path, None);
            assert!(
                found.as_ref().is_none_or(|a| Some(&a.path) != outside.as_ref()),
                "{path}"
            );
            assert_eq!(found, None, "{path}");
        }
    }

    #[test]
    fn an_unbuilt_console_serves_nothing() {
        let console = Console::new(PathBuf::from("/nonexistent/console/dist"));
        assert_eq!(console.lookup("/", Some("text/html")), None);
        assert_eq!(console.lookup("/opportunities", Some("text/html")), None);
    }
}
