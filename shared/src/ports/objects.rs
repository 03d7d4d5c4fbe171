//! The object store port: attachments go straight from the client to the store through
//! presigned URLs; the service only signs, inspects and deletes.

use std::collections::BTreeMap;

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use crate::domain::attachment::ObjectFacts;

/// A request the client makes itself, as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The URL.
    pub url: String,
    /// `PUT` or `GET`.
    pub method: &'static str,
    /// Headers the client must send exactly (they are part of the signature).
    pub headers: BTreeMap<String, String>,
    /// When the URL lapses.
    pub expires_at: OffsetDateTime,
}

/// What an upload URL binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadTerms {
    /// Media type the client must send.
    pub content_type: String,
    /// Exact length the client must send.
    pub size_bytes: i64,
    /// SHA-256 (lower-case hex) the body must have, when registered.
    pub sha256: Option<String>,
}

/// An object store failure.
#[derive(Debug, thiserror::Error)]
#[error("object store: {0}")]
pub struct ObjectStoreError(pub String);

/// Presigning, inspecting and deleting objects.
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// A URL to upload `key` within `ttl`, bound to the terms.
    async fn presign_upload(
        &self,
        key: &str,
        terms: &UploadTerms,
        ttl: Duration,
    ) -> Result<SignedRequest, ObjectStoreError>;
    /// A URL to download `key` within `ttl`, saved as `file_name`.
    async fn presign_download(
        &self,
        key: &str,
        file_name: &str,
        ttl: Duration,
    ) -> Result<SignedRequest, ObjectStoreError>;
    /// The stored object's facts, or `None` when there is no such object.
    async fn head(&self, key: &str) -> Result<Option<ObjectFacts>, ObjectStoreError>;
    /// Deletes the object (no error when it is already gone).
    async fn delete(&self, key: &str) -> Result<(), ObjectStoreError>;
    /// Stores an object the service wrote itself (a large privacy export), replacing any under
    /// `key`.
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), ObjectStoreError>;
}
