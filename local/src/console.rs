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
    /// `Content-Encoding` of the bytes at `path`: a copy compressed at build time (`br`, `gzip`)
    /// when the client accepts it and the build made one, else none.
    pub encoding: Option<&'static str>,
}

/// Whether `accept_encoding` (the request's `Accept-Encoding`) accepts `coding`: named, or `*`,
/// with a quality above 0.
fn accepts(accept_encoding: &str, coding: &str) -> bool {
    let mut named = None;
    let mut any = None;
    for entry in accept_encoding.split(',') {
        let mut parts = entry.split(';');
        let name = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if name == coding {
            named = Some(quality > 0.0);
        } else if name == "*" {
            any = Some(quality > 0.0);
        }
    }
    named.or(any).unwrap_or(false)
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
            encoding: None,
        })
    }

    /// The copy of `asset` compressed at build time (`scripts/compress.mjs` writes `<file>.br`
    /// and `<file>.gz` beside each file) that the client accepts, brotli first; else the file.
    /// The type and caching stay the original's; the server adds `Vary: Accept-Encoding`.
    pub fn encoded(&self, asset: Asset, accept_encoding: Option<&str>) -> Asset {
        let accept_encoding = accept_encoding.unwrap_or_default();
        for (coding, suffix) in [("br", "br"), ("gzip", "gz")] {
            if !accepts(accept_encoding, coding) {
                continue;
            }
            let mut name = asset.path.clone().into_os_string();
            name.push(".");
            name.push(suffix);
            let compressed = PathBuf::from(name);
            if compressed.is_file() {
                return Asset {
                    path: compressed,
                    encoding: Some(coding),
                    ..asset
                };
            }
        }
        asset
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
            encoding: None,
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
    fn a_compressed_copy_is_chosen_when_accepted_brotli_first_and_the_file_otherwise() {
        let (dir, console) = built();
        std::fs::write(dir.path().join("assets/app-1234.js.br"), "br").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("assets/app-1234.js.gz"), "gz").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("index.html.gz"), "gz").unwrap_or_else(|e| panic!("{e}"));
        let pick = |path: &str, accept: Option<&str>| {
            let asset = console
                .lookup(path, Some("text/html"))
                .unwrap_or_else(|| panic!("{path}"));
            let asset = console.encoded(asset, accept);
            (
                asset.encoding,
                asset.path.file_name().map(|n| n.to_string_lossy().into_owned()),
                asset.content_type,
            )
        };
        let js = "text/javascript; charset=utf-8";
        assert_eq!(
            pick("/assets/app-1234.js", Some("gzip, deflate, br")),
            (Some("br"), Some("app-1234.js.br".into()), js)
        );
        assert_eq!(
            pick("/assets/app-1234.js", Some("gzip")),
            (Some("gzip"), Some("app-1234.js.gz".into()), js)
        );
        assert_eq!(
            pick("/assets/app-1234.js", Some("br;q=0, gzip;q=0.5")),
            (Some("gzip"), Some("app-1234.js.gz".into()), js)
        );
        assert_eq!(
            pick("/assets/app-1234.js", Some("*")),
            (Some("br"), Some("app-1234.js.br".into()), js)
        );
        assert_eq!(
            pick("/assets/app-1234.js", Some("identity")),
            (None, Some("app-1234.js".into()), js)
        );
        assert_eq!(
            pick("/assets/app-1234.js", None),
            (None, Some("app-1234.js".into()), js)
        );
        // A file the build did not compress falls back to itself.
        assert_eq!(pick("/config.json", Some("br, gzip")).0, None);
        assert_eq!(
            pick("/", Some("br, gzip")).0,
            Some("gzip"),
            "index.html has only a gzip copy"
        );
    }

    #[test]
    fn an_unbuilt_console_serves_nothing() {
        let console = Console::new(PathBuf::from("/nonexistent/console/dist"));
        assert_eq!(console.lookup("/", Some("text/html")), None);
        assert_eq!(console.lookup("/opportunities", Some("text/html")), None);
    }
}
