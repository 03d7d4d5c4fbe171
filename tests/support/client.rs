//! A typed client for the local server: a [`Session`] is one caller (a Sales Manager, an Admin,
//! somebody without a token) and its methods are what that caller does through the API, so that
//! a test reads as the user's steps (`alice.create_opportunity(...)`, `alice.submit(&id)`). Every
//! method answers a [`Reply`] (status, headers, JSON body) that the test asserts on; nothing here
//! asserts what a test should assert, except the helpers that say so (`created`, `problem`, ...).

use reqwest::header::HeaderMap;
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

/// What the server answered to one request.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as sent.
    pub bytes: Vec<u8>,
    /// The body as JSON (`Null` when it is empty or not JSON).
    pub body: Value,
}

impl Reply {
    /// Sends `request` and reads the whole answer.
    pub async fn of(request: RequestBuilder) -> Reply {
        let response = request.send().await.expect("the local server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("the whole body").to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            bytes,
            body,
        }
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The problem document's `code`, if the body is one.
    pub fn code(&self) -> Option<&str> {
        self.body["code"].as_str()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// The JSON body, after asserting the status.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status, status, "unexpected status: {}", self.text());
        self.body
    }

    /// The JSON body of a `200 OK`.
    #[track_caller]
    pub fn ok(self) -> Value {
        self.expect(200)
    }

    /// The JSON body of a `201 Created`.
    #[track_caller]
    pub fn created(self) -> Value {
        self.expect(201)
    }

    /// The problem document (RFC 9457), after asserting that it is one: of `status` and `code`,
    /// as `application/problem+json`, with a request id, its `status` member and a `type`, a
    /// `title` and a `detail`.
    #[track_caller]
    pub fn problem(self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "unexpected status: {}", self.text());
        assert_eq!(self.header("content-type"), Some("application/problem+json"));
        assert!(self.headers.contains_key("x-request-id"), "no x-request-id");
        let body = self.body;
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], status);
        for member in ["type", "title", "detail"] {
            assert!(body[member].is_string(), "problem without {member}: {body}");
        }
        body
    }

    /// The fields a `422 validation_failed` problem names, in its order.
    #[track_caller]
    pub fn failing_fields(self) -> Vec<String> {
        failing_fields(&self.problem(422, "validation_failed"))
    }
}

/// The `field` of each entry of a problem's `errors`, in order.
pub fn failing_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .expect("errors list")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// One caller of the local server: its token (none for an anonymous caller) and any headers it
/// sends with every request.
#[derive(Clone)]
pub struct Session {
    http: Client,
    base_url: String,
    token: Option<String>,
    headers: Vec<(String, String)>,
}

impl Session {
    /// A caller of the server at `base_url` presenting `token` (none: no `authorization`).
    pub fn new(http: Client, base_url: &str, token: Option<String>) -> Session {
        Session {
            http,
            base_url: base_url.to_owned(),
            token,
            headers: Vec::new(),
        }
    }

    /// The token this caller presents.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The same caller, sending `name: value` with every request too.
    pub fn with_header(&self, name: &str, value: impl Into<String>) -> Session {
        let mut session = self.clone();
        session.headers.push((name.to_owned(), value.into()));
        session
    }

    /// The same caller, retrying safely with `key` (`Idempotency-Key`).
    pub fn idempotency_key(&self, key: &str) -> Session {
        self.with_header("idempotency-key", key)
    }

    /// The same caller, changing only version `version` (`If-Match: "<version>"`).
    pub fn if_match(&self, version: i64) -> Session {
        self.with_header("if-match", format!("\"{version}\""))
    }

    /// The URL of `path` (a path of this server, or already a whole URL).
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base_url)
        }
    }

    /// A request of this caller (its token and headers), to finish and [`Session::send`].
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        request
    }

    /// Sends a request built with [`Session::request`].
    pub async fn send(&self, request: RequestBuilder) -> Reply {
        Reply::of(request).await
    }

    /// `method path` without a body.
    pub async fn call(&self, method: Method, path: &str) -> Reply {
        self.send(self.request(method, path)).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    /// `POST path` without a body.
    pub async fn post_empty(&self, path: &str) -> Reply {
        self.call(Method::POST, path).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(self.request(Method::PUT, path).json(body)).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path).await
    }

    /// `method path` with `body` as it is, declared as `content_type`.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let request = self
            .request(method, path)
            .header("content-type", content_type)
            .body(body);
        self.send(request).await
    }

    /// Creates an opportunity (`POST /v1/opportunities`).
    pub async fn create_opportunity(&self, body: &Value) -> Reply {
        self.post("/v1/opportunities", body).await
    }

    /// Reads an opportunity.
    pub async fn get_opportunity(&self, id: &str) -> Reply {
        self.get(&format!("/v1/opportunities/{id}")).await
    }

    /// One page of the opportunities this caller sees; `query` as in the URL (`limit=7&sort=...`).
    pub async fn list_opportunities(&self, query: &str) -> Reply {
        self.get(&with_query("/v1/opportunities", query)).await
    }

    /// The ids of every opportunity this caller sees, page after page (`query` without a cursor).
    pub async fn every_opportunity_id(&self, query: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page_query = match &cursor {
                Some(c) => format!("{query}&cursor={c}"),
                None => query.to_owned(),
            };
            let page = self.list_opportunities(&page_query).await.ok();
            ids.extend(
                page["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .map(|i| i["id"].as_str().expect("id").to_owned()),
            );
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return ids,
            }
        }
    }

    /// Changes fields of an opportunity (`PATCH`, `application/json`).
    pub async fn patch_opportunity(&self, id: &str, changes: &Value) -> Reply {
        let request = self
            .request(Method::PATCH, &format!("/v1/opportunities/{id}"))
            .json(changes);
        self.send(request).await
    }

    /// Changes fields of an opportunity as a JSON merge patch (`application/merge-patch+json`).
    pub async fn merge_patch_opportunity(&self, id: &str, patch: &Value) -> Reply {
        self.send_raw(
            Method::PATCH,
            &format!("/v1/opportunities/{id}"),
            "application/merge-patch+json",
            patch.to_string(),
        )
        .await
    }

    /// Writes the problem statement.
    pub async fn put_problem_statement(&self, id: &str, markdown: &str) -> Reply {
        self.put(
            &format!("/v1/opportunities/{id}/problem-statement"),
            &json!({ "markdown": markdown }),
        )
        .await
    }

    /// Replaces the skill requirements with `items` (a JSON array).
    pub async fn put_skill_requirements(&self, id: &str, items: &Value) -> Reply {
        self.put(
            &format!("/v1/opportunities/{id}/skill-requirements"),
            &json!({ "items": items }),
        )
        .await
    }

    /// Submits an opportunity.
    pub async fn submit(&self, id: &str) -> Reply {
        self.post_empty(&format!("/v1/opportunities/{id}/submit")).await
    }

    /// Cancels an opportunity, giving `reason` (none: an empty body, `{}`).
    pub async fn cancel(&self, id: &str, reason: Option<&str>) -> Reply {
        let body = match reason {
            Some(reason) => json!({ "reason": reason }),
            None => json!({}),
        };
        self.post(&format!("/v1/opportunities/{id}/cancel"), &body).await
    }

    /// Reactivates a cancelled opportunity.
    pub async fn reactivate(&self, id: &str) -> Reply {
        self.post_empty(&format!("/v1/opportunities/{id}/reactivate")).await
    }

    /// One page of an opportunity's history; `query` as in the URL (`limit=3&cursor=...`).
    pub async fn history(&self, id: &str, query: &str) -> Reply {
        self.get(&with_query(&format!("/v1/opportunities/{id}/history"), query))
            .await
    }

    /// Creates a customer.
    pub async fn create_customer(&self, name: &str) -> Reply {
        self.post("/v1/customers", &json!({ "name": name })).await
    }

    /// One page of the customers.
    pub async fn list_customers(&self, query: &str) -> Reply {
        self.get(&with_query("/v1/customers", query)).await
    }

    /// Creates a catalog skill (an Admin's action).
    pub async fn create_skill(&self, name: &str, category: &str) -> Reply {
        self.post("/v1/skills", &json!({ "name": name, "category": category }))
            .await
    }

    /// One page of the skills catalog.
    pub async fn list_skills(&self, query: &str) -> Reply {
        self.get(&with_query("/v1/skills", query)).await
    }

    /// Registers an attachment of an opportunity and gets its signed upload (`file`: its name,
    /// content type, size and optional checksum).
    pub async fn presign_upload(&self, opportunity_id: &str, file: &Value) -> Reply {
        self.post(&format!("/v1/opportunities/{opportunity_id}/attachments"), file)
            .await
    }

    /// The attachments of an opportunity.
    pub async fn list_attachments(&self, opportunity_id: &str) -> Reply {
        self.get(&format!("/v1/opportunities/{opportunity_id}/attachments"))
            .await
    }

    /// Reads an attachment (with its download link once available).
    pub async fn get_attachment(&self, id: &str) -> Reply {
        self.get(&format!("/v1/attachments/{id}")).await
    }

    /// Deletes an attachment.
    pub async fn delete_attachment(&self, id: &str) -> Reply {
        self.delete(&format!("/v1/attachments/{id}")).await
    }

    /// Uploads `body` through a signed upload (the `upload` member of a registration) as a
    /// browser does: no token, the signed headers (but `content-length`, which the body sets),
    /// the content type replaced by `content_type` when given.
    pub async fn upload(&self, upload: &Value, body: Vec<u8>, content_type: Option<&str>) -> Reply {
        let mut request = self.http.put(upload["url"].as_str().expect("upload url")).body(body);
        for (name, value) in upload["headers"].as_object().expect("upload headers") {
            if name != "content-length" {
                let signed = value.as_str().expect("header value");
                let value = content_type.filter(|_| name == "content-type").unwrap_or(signed);
                request = request.header(name.as_str(), value);
            }
        }
        self.send(request).await
    }

    /// Follows a download link (no token: the link is signed).
    pub async fn download(&self, url: &str) -> Reply {
        self.send(self.http.get(url)).await
    }

    /// Who this caller is (`GET /v1/me`).
    pub async fn me(&self) -> Reply {
        self.get("/v1/me").await
    }

    /// Erases a person (an Admin's action).
    pub async fn erase_subject(&self, sub: &str) -> Reply {
        self.post_empty(&format!("/v1/privacy/subjects/{sub}/erasure")).await
    }

    /// The audit log (an Admin's).
    pub async fn audit_events(&self) -> Reply {
        self.get("/v1/audit-events").await
    }

    /// Queues a status event as the matching or selection service would (`/_local/status-events`).
    pub async fn queue_status_event(&self, event: &Value) -> Reply {
        self.post("/_local/status-events", event).await
    }

    /// The local queues, their messages and dead letters (`/_local/queues`).
    pub async fn local_queues(&self) -> Reply {
        self.get("/_local/queues").await
    }

    /// What reached the local integration bus (`/_local/integration-events`).
    pub async fn integration_events(&self) -> Reply {
        self.get("/_local/integration-events").await
    }
}

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}
