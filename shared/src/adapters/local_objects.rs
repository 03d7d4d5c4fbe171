//! The local server's object store: a folder, with upload and download URLs served by the local
//! server and signed (HMAC-SHA256) and expiring like presigned ones. A tampered or expired URL is
//! refused, and so is a body whose length, type or checksum differs from what the URL binds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::domain::attachment::ObjectFacts;
use crate::ports::objects::{ObjectStore, ObjectStoreError, SignedRequest, UploadTerms};

/// Objects in a folder, reached through URLs of the local server.
#[derive(Clone)]
pub struct LocalObjectStore {
    root: PathBuf,
    base_url: String,
    secret: Vec<u8>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    content_type: String,
    size_bytes: i64,
    sha256: String,
}

/// Why a local object request was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Missing, malformed or tampered signature parameters.
    #[error("the URL signature does not match")]
    BadSignature,
    /// The URL lapsed.
    #[error("the URL has expired")]
    Expired,
    /// The body or headers differ from what the URL binds.
    #[error("{0}")]
    Mismatch(String),
    /// An object exists under the key: an upload URL writes once (as S3 answers a conditional
    /// `If-None-Match: *` PUT with 412 PreconditionFailed).
    #[error("an object was already uploaded with this URL; an upload URL can be used once")]
    AlreadyExists,
}

fn error(e: impl std::fmt::Display) -> ObjectStoreError {
    ObjectStoreError(e.to_string())
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl LocalObjectStore {
    /// Objects under `root`, URLs under `base_url` (`http://127.0.0.1:8080`), signed with `secret`.
    pub fn new(root: impl Into<PathBuf>, base_url: impl Into<String>, secret: Vec<u8>) -> Self {
        LocalObjectStore {
            root: root.into(),
            base_url: base_url.into(),
            secret,
        }
    }

    fn path(&self, key: &str) -> Result<PathBuf, ObjectStoreError> {
        if key
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return Err(ObjectStoreError(format!("unsafe key {key:?}")));
        }
        Ok(self.root.join(key))
    }

    fn mac(&self, fields: &[&str]) -> Option<Hmac<Sha256>> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret).ok()?;
        mac.update(fields.join("\n").as_bytes());
        Some(mac)
    }

    fn signature(&self, fields: &[&str]) -> Result<String, ObjectStoreError> {
        let mac = self
            .mac(fields)
            .ok_or_else(|| ObjectStoreError("unusable signing key".into()))?;
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    fn check_signature(&self, fields: &[&str], given: &str) -> bool {
        match (self.mac(fields), hex::decode(given)) {
            (Some(mac), Ok(bytes)) => mac.verify_slice(&bytes).is_ok(),
            _ => false,
        }
    }

    /// Checks an upload's URL and headers before a byte of its body is read: the signature, the
    /// expiry, the type, and the declared `Content-Length` (required, as S3 requires it) against
    /// the signed length. Returns the signed length, the most the body may then be read to.
    pub fn check_upload_request(
        &self,
        key: &str,
        query: &BTreeMap<String, String>,
        content_type: Option<&str>,
        declared_length: Option<&str>,
    ) -> Result<usize, Refusal> {
        let get = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
        let (expires, terms_type, length, sha256) = (
            get("expires"),
            get("content-type"),
            get("content-length"),
            get("sha256"),
        );
        if !self.check_signature(&["PUT", key, expires, terms_type, length, sha256], get("signature")) {
            return Err(Refusal::BadSignature);
        }
        if expires
            .parse::<i64>()
            .map_or(true, |at| at < OffsetDateTime::now_utc().unix_timestamp())
        {
            return Err(Refusal::Expired);
        }
        if content_type
            .map(|t| t.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
            .as_deref()
            != Some(terms_type)
        {
            return Err(Refusal::Mismatch(format!("Content-Type must be {terms_type}")));
        }
        let signed = length
            .parse::<usize>()
            .map_err(|_| Refusal::Mismatch("the URL binds no length".into()))?;
        match declared_length.map(|d| d.trim().parse::<usize>()) {
            Some(Ok(declared)) if declared == signed => Ok(signed),
            _ => Err(Refusal::Mismatch(format!("Content-Length must be {signed}"))),
        }
    }

    /// Checks an upload request against its URL, and stores the body. Returns the stored facts.
    pub fn accept_upload(
        &self,
        key: &str,
        query: &BTreeMap<String, String>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<ObjectFacts, Refusal> {
        let get = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
        let (terms_type, sha256) = (get("content-type"), get("sha256"));
        let declared = body.len().to_string();
        self.check_upload_request(key, query, content_type, Some(&declared))?;
        let actual = hex::encode(Sha256::digest(body));
        if !sha256.is_empty() && sha256 != actual {
            return Err(Refusal::Mismatch(
                "the body's SHA-256 differs from the signed checksum".into(),
            ));
        }
        let path = self.path(key).map_err(|e| Refusal::Mismatch(e.to_string()))?;
        let meta = Meta {
            content_type: terms_type.to_owned(),
            size_bytes: body.len() as i64,
            sha256: actual.clone(),
        };
        path.parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .map_err(|e| Refusal::Mismatch(format!("could not store the object: {e}")))?;
        // Created only if absent, atomically: of two uploads to one key, exactly one wins.
        let mut file = match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(Refusal::AlreadyExists),
            Err(e) => return Err(Refusal::Mismatch(format!("could not store the object: {e}"))),
        };
        let written = std::io::Write::write_all(&mut file, body)
            .and_then(|_| std::fs::write(meta_path(&path), serde_json::to_vec(&meta).unwrap_or_default()));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&path);
            return Err(Refusal::Mismatch(format!("could not store the object: {e}")));
        }
        Ok(ObjectFacts {
            size_bytes: meta.size_bytes,
            content_type: Some(meta.content_type),
            sha256: Some(actual),
        })
    }

    /// Checks a download request against its URL and returns the body, type and file name.
    pub fn serve_download(
        &self,
        key: &str,
        query: &BTreeMap<String, String>,
    ) -> Result<(Vec<u8>, String, String), Refusal> {
        let get = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
        let (expires, file_name) = (get("expires"), get("filename"));
        if !self.check_signature(&["GET", key, expires, file_name], get("signature")) {
            return Err(Refusal::BadSignature);
        }
        if expires
            .parse::<i64>()
            .map_or(true, |at| at < OffsetDateTime::now_utc().unix_timestamp())
        {
            return Err(Refusal::Expired);
        }
        let path = self.path(key).map_err(|e| Refusal::Mismatch(e.to_string()))?;
        let body = std::fs::read(&path).map_err(|_| Refusal::Mismatch("no such object".into()))?;
        let meta: Meta = std::fs::read(meta_path(&path))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| Refusal::Mismatch("no such object".into()))?;
        Ok((body, meta.content_type, file_name.to_owned()))
    }
}

fn meta_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".meta.json");
    path.with_file_name(name)
}

#[async_trait]
impl ObjectStore for LocalObjectStore {
    async fn presign_upload(
        &self,
        key: &str,
        terms: &UploadTerms,
        ttl: Duration,
    ) -> Result<SignedRequest, ObjectStoreError> {
        self.path(key)?;
        let expires_at = OffsetDateTime::now_utc() + ttl;
        let expires = expires_at.unix_timestamp().to_string();
        let length = terms.size_bytes.to_string();
        let sha256 = terms.sha256.clone().unwrap_or_default();
        let signature = self.signature(&["PUT", key, &expires, &terms.content_type, &length, &sha256])?;
        let url = format!(
            "{}/_local/objects/{key}?expires={expires}&content-type={}&content-length={length}&sha256={sha256}&signature={signature}",
            self.base_url,
            encode(&terms.content_type)
        );
        let mut headers = BTreeMap::new();
        headers.insert("content-type".to_owned(), terms.content_type.clone());
        headers.insert("content-length".to_owned(), length);
        // As S3's conditional write; the local store refuses a second upload whether sent or not.
        headers.insert("if-none-match".to_owned(), "*".to_owned());
        Ok(SignedRequest {
            url,
            method: "PUT",
            headers,
            expires_at,
        })
    }

    async fn presign_download(
        &self,
        key: &str,
        file_name: &str,
        ttl: Duration,
    ) -> Result<SignedRequest, ObjectStoreError> {
        self.path(key)?;
        let expires_at = OffsetDateTime::now_utc() + ttl;
        let expires = expires_at.unix_timestamp().to_string();
        let signature = self.signature(&["GET", key, &expires, file_name])?;
        let url = format!(
            "{}/_local/objects/{key}?expires={expires}&filename={}&signature={signature}",
            self.base_url,
            encode(file_name)
        );
        Ok(SignedRequest {
            url,
            method: "GET",
            headers: BTreeMap::new(),
            expires_at,
        })
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectFacts>, ObjectStoreError> {
        let path = self.path(key)?;
        match std::fs::read(meta_path(&path)) {
            Ok(bytes) => {
                let meta: Meta = serde_json::from_slice(&bytes).map_err(error)?;
                Ok(Some(ObjectFacts {
                    size_bytes: meta.size_bytes,
                    content_type: Some(meta.content_type),
                    sha256: Some(meta.sha256),
                }))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(error(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), ObjectStoreError> {
        let path = self.path(key)?;
        for file in [meta_path(&path), path] {
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(error(e)),
            }
        }
        Ok(())
    }

    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), ObjectStoreError> {
        let path = self.path(key)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(error)?;
        }
        let meta = Meta {
            content_type: content_type.to_owned(),
            size_bytes: i64::try_from(body.len()).map_err(error)?,
            sha256: hex::encode(Sha256::digest(&body)),
        };
        std::fs::write(&path, &body).map_err(error)?;
        std::fs::write(meta_path(&path), serde_json::to_vec(&meta).map_err(error)?).map_err(error)?;
        Ok(())
    }
}

/// Stands in when no object store is configured: every call fails with a clear message.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoObjectStore;

#[async_trait]
impl ObjectStore for NoObjectStore {
    async fn presign_upload(&self, _: &str, _: &UploadTerms, _: Duration) -> Result<SignedRequest, ObjectStoreError> {
        Err(ObjectStoreError(
            "no attachments bucket is configured (OMS_ATTACHMENTS_BUCKET)".into(),
        ))
    }
    async fn presign_download(&self, _: &str, _: &str, _: Duration) -> Result<SignedRequest, ObjectStoreError> {
        Err(ObjectStoreError(
            "no attachments bucket is configured (OMS_ATTACHMENTS_BUCKET)".into(),
        ))
    }
    async fn head(&self, _: &str) -> Result<Option<ObjectFacts>, ObjectStoreError> {
        Err(ObjectStoreError(
            "no attachments bucket is configured (OMS_ATTACHMENTS_BUCKET)".into(),
        ))
    }
    async fn delete(&self, _: &str) -> Result<(), ObjectStoreError> {
        Err(ObjectStoreError(
            "no attachments bucket is configured (OMS_ATTACHMENTS_BUCKET)".into(),
        ))
    }
    async fn put(&self, _: &str, _: Vec<u8>, _: &str) -> Result<(), ObjectStoreError> {
        Err(ObjectStoreError(
            "no bucket is configured (OMS_ATTACHMENTS_BUCKET, OMS_EXPORTS_BUCKET)".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query_of(url: &str) -> BTreeMap<String, String> {
        url.split_once('?')
            .map(|(_, q)| q)
            .unwrap_or_default()
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| {
                (
                    k.to_owned(),
                    percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned(),
                )
            })
            .collect()
    }

    #[tokio::test]
    async fn an_expired_upload_url_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalObjectStore::new(dir.path(), "http://127.0.0.1:1", b"secret".to_vec());
        let terms = UploadTerms {
            content_type: "text/plain".into(),
            size_bytes: 2,
            sha256: None,
        };
        let signed = store
            .presign_upload("attachments/a/b", &terms, Duration::seconds(-1))
            .await
            .unwrap();
        assert_eq!(
            store.accept_upload("attachments/a/b", &query_of(&signed.url), Some("text/plain"), b"hi"),
            Err(Refusal::Expired)
        );
        let fresh = store
            .presign_upload("attachments/a/b", &terms, Duration::minutes(1))
            .await
            .unwrap();
        assert!(
            store
                .accept_upload("attachments/a/b", &query_of(&fresh.url), Some("text/plain"), b"hi")
                .is_ok()
        );
        let download = store
            .presign_download("attachments/a/b", "x.txt", Duration::seconds(-1))
            .await
            .unwrap();
        assert_eq!(
            store.serve_download("attachments/a/b", &query_of(&download.url)),
            Err(Refusal::Expired)
        );
    }

    #[tokio::test]
    async fn an_upload_url_writes_once_and_a_second_put_is_a_precondition_failure() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalObjectStore::new(dir.path(), "http://127.0.0.1:1", b"secret".to_vec());
        let terms = UploadTerms {
            content_type: "text/plain".into(),
            size_bytes: 2,
            sha256: None,
        };
        let signed = store
            .presign_upload("attachments/a/b", &terms, Duration::minutes(15))
            .await
            .unwrap();
        assert_eq!(signed.headers["if-none-match"], "*");
        let query = query_of(&signed.url);
        assert!(
            store
                .accept_upload("attachments/a/b", &query, Some("text/plain"), b"hi")
                .is_ok()
        );
        assert_eq!(
            store.accept_upload("attachments/a/b", &query, Some("text/plain"), b"yo"),
            Err(Refusal::AlreadyExists),
            "the still-valid URL cannot replace the object"
        );
        assert_eq!(
            store.head("attachments/a/b").await.unwrap().unwrap().sha256,
            Some(hex::encode(Sha256::digest(b"hi"))),
            "the first upload is kept"
        );
        store.delete("attachments/a/b").await.unwrap();
        assert!(
            store
                .accept_upload("attachments/a/b", &query, Some("text/plain"), b"hi")
                .is_ok(),
            "once deleted (a rejected upload), the key is free again, as in S3"
        );
    }

    #[tokio::test]
    async fn keys_cannot_escape_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalObjectStore::new(dir.path(), "http://127.0.0.1:1", b"secret".to_vec());
        assert!(store.head("attachments/../../etc/passwd").await.is_err());
        assert!(store.delete("/absolute").await.is_err());
    }
}
