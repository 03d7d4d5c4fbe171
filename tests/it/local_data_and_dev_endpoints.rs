//! The local server's own surface: its development endpoints, its signed upload URLs, the files
//! it keeps in its data folder, and the walkthrough's first five minutes (docs/WALKTHROUGH.md) on
//! an empty one.

use std::path::Path;
use std::time::Duration;

use oms::ports::objects::{ObjectStore, UploadTerms};
use oms_tests::client::Reply;
use oms_tests::{LocalServer, built_binary};
use reqwest::{Client, Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_development_endpoints_need_an_admin_token() {
    let server = LocalServer::start().await;
    let manager = server.sales_manager("alice").await;
    let admin = server.admin("root").await;
    let foreign = server.token("root", &["Admin"], &["--audience", "another-app"]).await;
    let event = json!({ "event_id": uuid::Uuid::now_v7(), "opportunity_id": uuid::Uuid::now_v7(), "status": "matching_in_progress", "occurred_at": "2026-11-22T10:00:00Z", "source": "matching-service" });
    for (caller, expected) in [
        (server.anonymous(), 401),
        (server.session_with(foreign), 401),
        (manager, 403),
        (admin, 200),
    ] {
        assert_eq!(caller.local_queues().await.status, expected, "GET /_local/queues");
        assert_eq!(
            caller.integration_events().await.status,
            expected,
            "GET /_local/integration-events"
        );
        let posted = caller.queue_status_event(&event).await;
        let expected_post = if expected == 200 { 202 } else { expected };
        assert_eq!(posted.status, expected_post, "POST /_local/status-events");
        if expected != 200 {
            assert!(
                posted.code() == Some("unauthenticated") || posted.code() == Some("forbidden"),
                "{}",
                posted.body
            );
        }
    }
    server.stop().await;
}

/// The harness fails a test whose server died under it (a crash, an abort after a panic), even
/// when every request the test made was answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "the local server exited during the test")]
async fn a_test_whose_local_server_died_fails() {
    let server = LocalServer::start().await;
    assert_eq!(server.anonymous().get("/health").await.status, 200);
    let pid = server.pid().expect("running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    // Its listener closes when it exits.
    let address = server.base_url.trim_start_matches("http://").to_owned();
    while tokio::net::TcpStream::connect(&address).await.is_ok() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.stop().await;
}

/// Sends an upload's request line and headers, and no body, then reads what the server answers.
/// A server that waited for the body would answer nothing within the timeout.
async fn upload_headers_only(base_url: &str, url: &str, content_length: &str) -> (u16, String) {
    let address = base_url.trim_start_matches("http://");
    let path = url.strip_prefix(base_url).expect("a URL of this server");
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/pdf\r\nContent-Length: {content_length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("send headers");
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let n = stream.read(&mut buffer).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&answer);
            if let Some((headers, body)) = text.split_once("\r\n\r\n")
                && headers
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(str::to_owned)
                    })
                    .and_then(|l| l.trim().parse::<usize>().ok())
                    .is_some_and(|l| body.len() >= l)
            {
                break;
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "no answer before the body was sent: the server waited for it"
    );
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    (status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_with_a_wrong_signature_expiry_or_declared_length_is_refused_before_its_body_is_read() {
    let server = LocalServer::start().await;
    let secret = std::fs::read(server.data_dir.path().join("object-signing.key")).expect("signing key");
    // Sign as the server does (same key), so that each case differs from a valid URL in one thing.
    let signer = oms::adapters::local_objects::LocalObjectStore::new(
        server.data_dir.path().join("objects"),
        server.base_url.clone(),
        secret,
    );
    let key = format!("attachments/{}/{}", uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let terms = UploadTerms {
        content_type: "application/pdf".into(),
        size_bytes: 1000,
        sha256: None,
    };
    let valid = signer
        .presign_upload(&key, &terms, time::Duration::minutes(5))
        .await
        .unwrap()
        .url;
    let expired = signer
        .presign_upload(&key, &terms, time::Duration::seconds(-1))
        .await
        .unwrap()
        .url;
    let (base, signature) = valid.split_once("&signature=").unwrap();
    let flipped: String = signature
        .chars()
        .enumerate()
        .map(|(i, c)| if i == 0 { if c == '0' { '1' } else { '0' } } else { c })
        .collect();
    let tampered = format!("{base}&signature={flipped}");

    let (status, text) = upload_headers_only(&server.base_url, &tampered, "1000").await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("signature_mismatch"), "{text}");
    let (status, text) = upload_headers_only(&server.base_url, &expired, "1000").await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("url_expired"), "{text}");
    let (status, text) = upload_headers_only(&server.base_url, &valid, "50000000").await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("upload_mismatch"), "{text}");
    // The same URL with the signed length and its body is taken.
    let browser = server.anonymous();
    let accepted = browser
        .send_raw(Method::PUT, &valid, "application/pdf", vec![5u8; 1000])
        .await;
    assert_eq!(accepted.status, 200);
    // A body of another length than the signed one, declared as such, is refused from its headers.
    let longer = browser
        .send_raw(Method::PUT, &valid, "application/pdf", vec![5u8; 1001])
        .await;
    assert_eq!(longer.status, 400);
    server.stop().await;
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_key_file_the_local_server_writes_is_readable_by_its_owner_only() {
    let server = LocalServer::start().await;
    server.token("alice", &["SalesManager"], &[]).await;
    let dir = server.data_dir.path();
    for key in ["issuer-key.json", "object-signing.key"] {
        assert_eq!(mode(&dir.join(key)), 0o600, "{key}");
    }
    let leftovers: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind: {leftovers:?}");
    server.stop().await;
    // A folder the server creates itself is its owner's only.
    let parent = tempfile::tempdir().unwrap();
    let fresh = parent.path().join("new-data");
    let token = Command::new(built_binary("oms-local"))
        .args(["token", "--sub", "alice", "--data-dir"])
        .arg(&fresh)
        .output()
        .await
        .unwrap();
    assert!(token.status.success(), "{}", String::from_utf8_lossy(&token.stderr));
    assert_eq!(mode(&fresh), 0o700);
    assert_eq!(mode(&fresh.join("issuer-key.json")), 0o600);
}

/// A free loopback port (released for the server to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_and_token_commands_started_together_on_an_empty_folder_share_one_issuer_key() {
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join(".oms-data");
        let (ready_file, log) = (dir.path().join("ready"), dir.path().join("server.log"));
        let mut server = Command::new(built_binary("oms-local"))
            .args(["serve", "--port", "0", "--ready-file"])
            .arg(&ready_file)
            .arg("--data-dir")
            .arg(&data)
            .env_remove("OMS_DATABASE")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let tokens: Vec<_> = (0..6)
            .map(|i| {
                let data = data.clone();
                tokio::spawn(async move {
                    Command::new(built_binary("oms-local"))
                        .args([
                            "token",
                            "--sub",
                            &format!("user-{i}"),
                            "--group",
                            "SalesManager",
                            "--data-dir",
                        ])
                        .arg(&data)
                        .output()
                        .await
                        .unwrap()
                })
            })
            .collect();
        let client = Client::new();
        let mut outputs = Vec::new();
        for token in tokens {
            let output = token.await.unwrap();
            assert!(
                output.status.success(),
                "round {round}: the token command failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            outputs.push(String::from_utf8(output.stdout).unwrap().trim().to_owned());
        }
        // A server that died on start fails here, with its log.
        let base = oms_tests::ready::wait_for_url(&mut server, &ready_file, &log, Duration::from_secs(30)).await;
        assert_eq!(
            client.get(format!("{base}/health")).send().await.unwrap().status(),
            StatusCode::OK,
            "round {round}: the server never answered"
        );
        for token in &outputs {
            let me = client
                .get(format!("{base}/v1/me"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(
                me.status(),
                StatusCode::OK,
                "round {round}: a token signed with another key"
            );
        }
        let _ = server.kill().await;
    }
}

/// The first `sh` block of docs/WALKTHROUGH.md's "Calling the API locally", as written.
fn walkthrough_block() -> String {
    let path = oms_tests::workspace_root().join("docs/WALKTHROUGH.md");
    let walkthrough = std::fs::read_to_string(&path).unwrap();
    let section = walkthrough
        .split("## Calling the API locally")
        .nth(1)
        .expect("docs/WALKTHROUGH.md has its walkthrough");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a sh block");
    block.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_walkthrough_runs_as_written_from_an_empty_data_folder() {
    let walkthrough = walkthrough_block();
    assert!(walkthrough.starts_with("./scripts/run-local &\nTOKEN=$(cargo run -q -p oms-local -- token"));
    for round in 0..4 {
        // A fresh checkout: an empty folder where `scripts/run-local` and `cargo run -p oms-local`
        // run the built server binary (so that the test does not build), nothing else changed
        // but the port (8080 may be taken on a test machine).
        let root = tempfile::tempdir().unwrap();
        let scripts = root.path().join("scripts");
        std::fs::create_dir_all(&scripts).unwrap();
        let bin = root.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let stub = |path: &Path, body: &str| {
            std::fs::write(path, format!("#!/usr/bin/env bash\n{body}\n")).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        };
        stub(&scripts.join("run-local"), "exec \"$OMS_LOCAL_BIN\" serve \"$@\"");
        stub(
            &bin.join("cargo"),
            "while [ \"$#\" -gt 0 ] && [ \"$1\" != \"--\" ]; do shift; done; shift; exec \"$OMS_LOCAL_BIN\" \"$@\"",
        );
        let port = free_port();
        let script = format!(
            "{}\nkill $! 2>/dev/null\nwait\n",
            walkthrough.replace("localhost:8080", &format!("localhost:{port}"))
        );
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
        let run = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(root.path())
            .env("PATH", path)
            .env("OMS_LOCAL_BIN", built_binary("oms-local"))
            .env("OMS_PORT", port.to_string())
            .env("RUST_LOG", "warn")
            .env_remove("OMS_DATA_DIR")
            .env_remove("OMS_DATABASE")
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .expect("the walkthrough did not finish within 30 s: did the server die on start?")
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("File exists"), "round {round}: {stderr}");
        assert!(
            !stderr.contains("oms-local:") || stderr.contains("listening on"),
            "round {round}: {stderr}"
        );
        assert!(
            !stdout.contains("\"type\":\"/problems/"),
            "round {round}: a step failed:\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains("\"id\":\"alice\""),
            "round {round}: /v1/me\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains("\"status\":\"submitted\""),
            "round {round}: not submitted\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains("\"to\":\"submitted\""),
            "round {round}: no history of the submission\n{stdout}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_started_together_on_an_empty_data_folder_all_succeed() {
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join(".oms-data");
        let runs: Vec<_> = (0..4)
            .map(|_| {
                let data = data.clone();
                tokio::spawn(async move {
                    Command::new(built_binary("oms-local"))
                        .args(["migrate", "--data-dir"])
                        .arg(&data)
                        .env_remove("OMS_DATABASE")
                        .env("RUST_LOG", "warn")
                        .output()
                        .await
                        .unwrap()
                })
            })
            .collect();
        for run in runs {
            let output = run.await.unwrap();
            assert!(
                output.status.success(),
                "round {round}: a migration failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_server_answers_the_preflight_and_names_the_origin_as_the_stage_does() {
    let origin = "http://localhost:3000";
    let server = LocalServer::start_with(&[("OMS_ALLOWED_ORIGIN", origin.to_owned())]).await;
    let alice = server.sales_manager("alice").await.with_header("origin", origin);
    // The template's Cors block, which API Gateway answers the preflight from.
    let template = oms_tests::template::template();
    let cors = &template["Resources"]["Api"]["Properties"]["Cors"];
    let quoted = |key: &str| cors[key].as_str().unwrap_or_default().trim_matches('\'').to_owned();
    let preflight = server
        .anonymous()
        .with_header("origin", origin)
        .with_header("access-control-request-method", "POST")
        .call(Method::OPTIONS, "/v1/opportunities")
        .await;
    assert_eq!(preflight.status, 204, "no token needed");
    let header = |r: &Reply, name: &str| r.header(name).unwrap_or_default().to_owned();
    assert_eq!(header(&preflight, "access-control-allow-origin"), origin);
    assert_eq!(
        header(&preflight, "access-control-allow-methods"),
        quoted("AllowMethods")
    );
    assert_eq!(
        header(&preflight, "access-control-allow-headers"),
        quoted("AllowHeaders")
    );
    assert_eq!(header(&preflight, "access-control-max-age"), quoted("MaxAge"));
    let answered = alice.me().await;
    assert_eq!(answered.status, 200);
    assert_eq!(header(&answered, "access-control-allow-origin"), origin);
    assert_eq!(
        header(&answered, "access-control-expose-headers"),
        "ETag, Location, x-request-id"
    );
    let refused = server.anonymous().me().await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        header(&refused, "access-control-allow-origin"),
        origin,
        "refusals are readable too"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_sign_in_gets_tokens_the_api_accepts_and_bad_requests_name_their_fields() {
    let server = LocalServer::start().await;
    let visitor = server.anonymous();
    let signed_in = visitor
        .post(
            "/_local/token",
            &json!({ "sub": "dana", "email": "dana@example.com", "groups": ["SalesManager"], "expires_in": 600 }),
        )
        .await;
    assert_eq!(signed_in.status, 200);
    assert_eq!(signed_in.header("cache-control"), Some("no-store"));
    let tokens = signed_in.body;
    assert_eq!(tokens["expires_in"], 600);
    for kind in ["id_token", "access_token"] {
        let me = server.session_with(tokens[kind].as_str().unwrap()).me().await.body;
        assert_eq!(me["id"], "dana", "{kind}");
        assert_eq!(me["groups"], json!(["SalesManager"]), "{kind}");
    }
    let refused = visitor
        .post(
            "/_local/token",
            &json!({ "sub": " ", "email": "nope", "groups": ["Root"], "expires_in": 10 }),
        )
        .await;
    assert_eq!(refused.status, 422);
    let problem = refused.body;
    assert_eq!(problem["code"], "validation_failed");
    let mut fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["email", "expires_in", "groups", "sub"]);
    let unknown = visitor
        .post("/_local/token", &json!({ "sub": "dana", "admin": true }))
        .await;
    assert_eq!(unknown.status, 422);
    // No content type at all, as a careless client (or a cross-site form) sends it: refused
    // before it is read; declared JSON that is not JSON is a 400.
    let undeclared = visitor
        .send(visitor.request(Method::POST, "/_local/token").body("{not json"))
        .await;
    assert_eq!(undeclared.status, 415);
    assert_eq!(undeclared.code(), Some("unsupported_media_type"));
    let malformed = visitor
        .send_raw(Method::POST, "/_local/token", "application/json", "{not json")
        .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.code(), Some("malformed_json"));
    assert_eq!(visitor.get("/_local/token").await.status, 404, "only POST signs in");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_is_served_at_the_root_with_page_routes_while_api_paths_keep_their_problems() {
    let built = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(built.path().join("assets")).unwrap();
    std::fs::write(built.path().join("index.html"), "<!doctype html><title>OMS</title>").unwrap();
    std::fs::write(built.path().join("assets/index-abc123.js"), "export {}").unwrap();
    // What the console's build writes beside each file (scripts/compress.mjs).
    std::fs::write(built.path().join("assets/index-abc123.js.br"), "brotli bytes").unwrap();
    std::fs::write(built.path().join("assets/index-abc123.js.gz"), "gzip bytes").unwrap();
    let server = LocalServer::start_with(&[("OMS_CONSOLE_DIR", built.path().display().to_string())]).await;
    let browser = server.anonymous();
    let page = |path: &'static str, accept: &'static str| {
        let browser = browser.with_header("accept", accept);
        async move { browser.get(path).await }
    };
    let html = "text/html,application/xhtml+xml,*/*;q=0.8";

    let root = page("/", html).await;
    assert_eq!(root.status, 200);
    assert_eq!(root.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(root.header("cache-control"), Some("no-cache"));
    assert_eq!(root.header("x-content-type-options"), Some("nosniff"));
    let policy = root.header("content-security-policy").unwrap();
    assert!(policy.contains("default-src 'self'") && policy.contains("frame-ancestors 'none'"));
    assert!(root.text().contains("<title>OMS</title>"));
    let head = browser.call(Method::HEAD, "/").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/html; charset=utf-8"));

    let script = page("/assets/index-abc123.js", "*/*").await;
    assert_eq!(script.status, 200);
    assert_eq!(script.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(
        script.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(script.header("content-encoding"), None, "asked for no encoding");
    assert_eq!(script.text(), "export {}");
    for (accepted, encoding, bytes) in [
        ("gzip, deflate, br", "br", "brotli bytes"),
        ("gzip", "gzip", "gzip bytes"),
    ] {
        let compressed = browser
            .with_header("accept-encoding", accepted)
            .get("/assets/index-abc123.js")
            .await;
        assert_eq!(compressed.header("content-encoding"), Some(encoding), "{accepted}");
        assert_eq!(
            compressed.header("content-type"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(compressed.header("vary"), Some("Accept-Encoding"));
        assert_eq!(compressed.text(), bytes);
    }

    // A page route the console handles in the browser (a reload, a bookmark).
    let deep = page("/opportunities/6a0c4f1e", html).await;
    assert_eq!(deep.status, 200);
    assert!(deep.text().contains("<title>OMS</title>"));

    // Not a page request, an API path, a missing asset, a path out of the folder: problem+json.
    for (path, accept) in [
        ("/opportunities/6a0c4f1e", "application/json"),
        ("/v1/nothing", html),
        ("/v1/opportunities/x/nothing", html),
        ("/_local/nothing", html),
        ("/assets/missing-000.js", html),
        ("/assets/%2e%2e/%2e%2e/etc/passwd", "*/*"),
    ] {
        let answer = page(path, accept).await;
        assert_eq!(answer.status, 404, "{path}");
        assert_eq!(
            answer.header("content-type"),
            Some("application/problem+json"),
            "{path}"
        );
    }
    // The API is still the API: a known path with a page's Accept needs its token.
    assert_eq!(page("/v1/me", html).await.status, 401);
    assert_eq!(browser.post_empty("/").await.status, 404);
    server.stop().await;

    // Without a built console the root is a plain 404 problem, as before.
    let unbuilt = LocalServer::start_with(&[("OMS_CONSOLE_DIR", "/nonexistent/dist".to_owned())]).await;
    let answer = unbuilt.anonymous().with_header("accept", html).get("/").await;
    assert_eq!(answer.status, 404);
    unbuilt.stop().await;
}
