//! Where export files go: the exports bucket (S3) in AWS, a folder locally. Both write a file
//! whole or not at all (an S3 PUT is atomic; the folder writes a temporary file and renames it),
//! so a reader never sees half a part file or half a manifest.

use std::path::PathBuf;

use async_trait::async_trait;

use crate::ports::jobs::{ExportSink, ExportSinkError};

/// A key is a relative path of plain segments (the export builds them; this refuses anything
/// that could leave the folder).
fn checked_key(key: &str) -> Result<&str, ExportSinkError> {
    let plain = !key.is_empty()
        && !key.starts_with('/')
        && key
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains('\\') && !s.contains('\0'));
    if plain {
        Ok(key)
    } else {
        Err(ExportSinkError(format!("not a plain relative key: {key:?}")))
    }
}

/// Export files under a folder (locally: `<data dir>/exports`).
#[derive(Debug, Clone)]
pub struct FolderExportSink {
    root: PathBuf,
}

impl FolderExportSink {
    /// Files go under `root` (created as needed).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FolderExportSink { root: root.into() }
    }
}

#[async_trait]
impl ExportSink for FolderExportSink {
    async fn put(&self, key: &str, body: Vec<u8>, _content_type: &str) -> Result<(), ExportSinkError> {
        let path = self.root.join(checked_key(key)?);
        tokio::task::spawn_blocking(move || {
            let parent = path
                .parent()
                .ok_or_else(|| ExportSinkError("no parent folder".into()))?;
            std::fs::create_dir_all(parent).map_err(|e| ExportSinkError(format!("{}: {e}", parent.display())))?;
            let temporary = path.with_extension(format!("partial-{}", std::process::id()));
            std::fs::write(&temporary, &body).map_err(|e| ExportSinkError(format!("{}: {e}", temporary.display())))?;
            std::fs::rename(&temporary, &path).map_err(|e| ExportSinkError(format!("{}: {e}", path.display())))
        })
        .await
        .map_err(|e| ExportSinkError(e.to_string()))?
    }

    async fn delete(&self, key: &str) -> Result<(), ExportSinkError> {
        let path = self.root.join(checked_key(key)?);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(ExportSinkError(format!("{}: {e}", path.display()))),
        }
    }

    fn location(&self) -> String {
        self.root.display().to_string()
    }
}

/// Export files in the exports bucket; the bucket's default encryption (SSE-KMS) applies.
#[cfg(feature = "s3")]
#[derive(Debug, Clone)]
pub struct S3ExportSink {
    client: aws_sdk_s3::Client,
    bucket: String,
}

#[cfg(feature = "s3")]
impl S3ExportSink {
    /// Writes to `bucket` with a client built once per cold start.
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        S3ExportSink {
            client,
            bucket: bucket.into(),
        }
    }
}

#[cfg(feature = "s3")]
#[async_trait]
impl ExportSink for S3ExportSink {
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), ExportSinkError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(checked_key(key)?)
            .content_type(content_type)
            .body(body.into())
            .send()
            .await
            .map_err(|e| ExportSinkError(format!("{:?}", e.into_service_error())))?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), ExportSinkError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(checked_key(key)?)
            .send()
            .await
            .map_err(|e| ExportSinkError(format!("{:?}", e.into_service_error())))?;
        Ok(())
    }

    fn location(&self) -> String {
        format!("s3://{}", self.bucket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_could_leave_the_folder_are_refused() {
        assert!(checked_key("exports/opportunities/dt=2026-11-22/run-000001-part-00000.jsonl.gz").is_ok());
        for key in ["", "/etc/passwd", "a/../b", "a//b", "./a", "a\\b", "a/\0"] {
            assert!(checked_key(key).is_err(), "{key:?}");
        }
    }

    #[tokio::test]
    async fn the_folder_sink_writes_whole_files_and_deletes_missing_ones_quietly() {
        let dir = tempfile::tempdir().unwrap();
        let sink = FolderExportSink::new(dir.path());
        sink.put("a/b/c.json", b"{}".to_vec(), "application/json")
            .await
            .unwrap();
        sink.put("a/b/c.json", b"[1]".to_vec(), "application/json")
            .await
            .unwrap();
        assert_eq!(std::fs::read(dir.path().join("a/b/c.json")).unwrap(), b"[1]");
        assert_eq!(
            std::fs::read_dir(dir.path().join("a/b")).unwrap().count(),
            1,
            "no temporary file left"
        );
        sink.delete("a/b/c.json").await.unwrap();
        sink.delete("a/b/c.json").await.unwrap();
        assert!(!dir.path().join("a/b/c.json").exists());
    }
}
