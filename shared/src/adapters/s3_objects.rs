//! Attachments in S3: presigned PUTs bound to the registered type, length and checksum, with
//! SSE-KMS requested and `If-None-Match: *` (single use); presigned GETs; HEAD with checksums;
//! DELETE.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use aws_sdk_s3::types::{ChecksumMode, ServerSideEncryption};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use time::{Duration, OffsetDateTime};

use crate::domain::attachment::ObjectFacts;
use crate::ports::objects::{ObjectStore, ObjectStoreError, SignedRequest, UploadTerms};

/// One bucket, optionally with a customer-managed KMS key for uploads.
#[derive(Clone)]
pub struct S3ObjectStore {
    client: Client,
    bucket: String,
    kms_key_id: Option<String>,
}

fn error(e: impl std::fmt::Debug) -> ObjectStoreError {
    ObjectStoreError(format!("{e:?}"))
}

fn signed(request: PresignedRequest, method: &'static str, ttl: Duration) -> SignedRequest {
    let headers: BTreeMap<String, String> = request
        .headers()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    SignedRequest {
        url: request.uri().to_owned(),
        method,
        headers,
        expires_at: OffsetDateTime::now_utc() + ttl,
    }
}

impl S3ObjectStore {
    /// The store over a client built from the shared AWS configuration (one client per cold
    /// start).
    pub fn from_sdk_config(
        config: &aws_config::SdkConfig,
        bucket: impl Into<String>,
        kms_key_id: Option<String>,
    ) -> Self {
        Self::over(aws_sdk_s3::config::Builder::from(config), bucket, kms_key_id)
    }

    /// Wraps a client built once per cold start (the tests build theirs against moto).
    pub fn new(client: &Client, bucket: impl Into<String>, kms_key_id: Option<String>) -> Self {
        Self::over(client.config().to_builder(), bucket, kms_key_id)
    }

    /// Checksums are only added where the request asks for one, so a presigned URL carries no
    /// checksum of an empty body.
    fn over(config: aws_sdk_s3::config::Builder, bucket: impl Into<String>, kms_key_id: Option<String>) -> Self {
        let config = config
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .build();
        S3ObjectStore {
            client: Client::from_conf(config),
            bucket: bucket.into(),
            kms_key_id,
        }
    }
}

fn presigning(ttl: Duration) -> Result<PresigningConfig, ObjectStoreError> {
    PresigningConfig::expires_in(std::time::Duration::from_secs(ttl.whole_seconds().max(1) as u64)).map_err(error)
}

#[async_trait]
impl ObjectStore for S3ObjectStore {
    async fn presign_upload(
        &self,
        key: &str,
        terms: &UploadTerms,
        ttl: Duration,
    ) -> Result<SignedRequest, ObjectStoreError> {
        let mut put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(&terms.content_type)
            .content_length(terms.size_bytes)
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .set_ssekms_key_id(self.kms_key_id.clone())
            // A conditional write: S3 refuses (412 PreconditionFailed) a second PUT to the key, so
            // the URL uploads once and can never replace a verified attachment. The header is
            // signed, so a client cannot leave it out.
            .if_none_match("*");
        if let Some(hex) = &terms.sha256 {
            let bytes = hex::decode(hex).map_err(error)?;
            put = put.checksum_sha256(STANDARD.encode(bytes));
        }
        let request = put.presigned(presigning(ttl)?).await.map_err(error)?;
        let mut signed = signed(request, "PUT", ttl);
        signed
            .headers
            .insert("content-length".into(), terms.size_bytes.to_string());
        Ok(signed)
    }

    async fn presign_download(
        &self,
        key: &str,
        file_name: &str,
        ttl: Duration,
    ) -> Result<SignedRequest, ObjectStoreError> {
        let encoded = percent_encoding::utf8_percent_encode(file_name, percent_encoding::NON_ALPHANUMERIC).to_string();
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(format!("attachment; filename*=UTF-8''{encoded}"))
            .presigned(presigning(ttl)?)
            .await
            .map_err(error)?;
        Ok(signed(request, "GET", ttl))
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectFacts>, ObjectStoreError> {
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await;
        match head {
            Ok(output) => Ok(Some(ObjectFacts {
                size_bytes: output.content_length().unwrap_or(-1),
                content_type: output.content_type().map(str::to_owned),
                sha256: output
                    .checksum_sha256()
                    .and_then(|b64| STANDARD.decode(b64).ok())
                    .map(hex::encode),
            })),
            Err(e) => match e.into_service_error() {
                HeadObjectError::NotFound(_) => Ok(None),
                other => Err(error(other)),
            },
        }
    }

    async fn delete(&self, key: &str) -> Result<(), ObjectStoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| error(e.into_service_error()))?;
        Ok(())
    }

    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), ObjectStoreError> {
        let mut put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(aws_sdk_s3::primitives::ByteStream::from(body));
        if let Some(kms_key_id) = &self.kms_key_id {
            put = put
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms_key_id);
        }
        put.send().await.map_err(|e| error(e.into_service_error()))?;
        Ok(())
    }
}
