//! Ports of the report and the scheduled jobs: the pipeline aggregate, the retention purge, the
//! export's run state, and where export files go.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::attachment::Attachment;
use crate::domain::events::ChangeEvent;
use crate::domain::reports::{PipelineCell, PipelineFilters};
use crate::ports::store::StoreError;

/// The pipeline report's one aggregate statement.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Counts and revenue (thousandths) grouped by status, priority and currency.
    async fn pipeline_cells(&self, filters: &PipelineFilters) -> Result<Vec<PipelineCell>, StoreError>;
}

/// What one batch of closed opportunities took with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgedBatch {
    /// The opportunities deleted (their cache entries go too).
    pub ids: Vec<Uuid>,
    /// History records deleted.
    pub history: u64,
    /// Skill requirements deleted.
    pub requirements: u64,
    /// Attachment rows deleted.
    pub attachments: u64,
    /// Object keys queued for deletion from the object store.
    pub objects_queued: u64,
}

/// A registration to delete with the change event its opportunity's view change needs.
#[derive(Debug, Clone)]
pub struct RegistrationPurge {
    /// The registration as selected.
    pub attachment: Attachment,
    /// `AttachmentDeleted`, stamped with the opportunity's new version by the store.
    pub event: ChangeEvent,
}

/// Deleting what is past its retention. Every call is one batch, one statement or one
/// transaction, bounded by `limit`, and safe to repeat: what a crashed run left is what the next
/// one finds.
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Deletes up to `limit` closed opportunities last changed before `before`, with their
    /// history, requirements and attachment rows, queueing the attachments' object keys, in one
    /// transaction.
    async fn purge_closed_opportunities(
        &self,
        before: OffsetDateTime,
        limit: i64,
        now: OffsetDateTime,
    ) -> Result<PurgedBatch, StoreError>;
    /// Registrations rejected before `rejected_before` or still pending with an upload URL that
    /// lapsed before `lapsed_before`, oldest first.
    async fn purgeable_registrations(
        &self,
        rejected_before: OffsetDateTime,
        lapsed_before: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<Attachment>, StoreError>;
    /// Deletes these registrations (those still purgeable) in one transaction, queueing their
    /// object keys and writing their stamped events; returns the events written.
    async fn purge_registrations(
        &self,
        registrations: &[RegistrationPurge],
        rejected_before: OffsetDateTime,
        lapsed_before: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Vec<ChangeEvent>, StoreError>;
    /// Deletes up to `limit` outbox events published before `before`.
    async fn purge_published_events(&self, before: OffsetDateTime, limit: i64) -> Result<u64, StoreError>;
    /// Deletes up to `limit` processed-event ids recorded before `before`.
    async fn purge_processed_events(&self, before: OffsetDateTime, limit: i64) -> Result<u64, StoreError>;
    /// Deletes up to `limit` idempotency records that expired before `before`.
    async fn purge_idempotency_records(&self, before: OffsetDateTime, limit: i64) -> Result<u64, StoreError>;
    /// Object keys waiting to be deleted from the object store, oldest first.
    async fn queued_object_deletions(&self, limit: i64) -> Result<Vec<String>, StoreError>;
    /// Forgets a queued key once its object is deleted.
    async fn object_deleted(&self, key: &str) -> Result<(), StoreError>;
}

/// Where an export run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportRunStatus {
    /// Claimed; files may be partly written. A later invocation redoes it.
    Started,
    /// Its manifest is written.
    Completed,
}

/// One export run: the window of `updated_at` it covers, `(lower, upper]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRun {
    /// 1, 2, 3, ...: names its files.
    pub seq: i64,
    /// Exclusive lower bound (the previous run's upper bound).
    pub lower: OffsetDateTime,
    /// Inclusive upper bound (the watermark this run moves to).
    pub upper: OffsetDateTime,
    /// Started or completed.
    pub status: ExportRunStatus,
    /// How many part files it may have started writing.
    pub parts_started: i64,
    /// When it was claimed.
    pub started_at: OffsetDateTime,
}

/// An opportunity changed within a window: where it stands in the export's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangedOpportunity {
    /// Id.
    pub id: Uuid,
    /// Its last change.
    pub updated_at: OffsetDateTime,
}

/// The export's run state and the changed opportunities of a window.
#[async_trait]
pub trait ExportStore: Send + Sync {
    /// The run with the highest number.
    async fn last_export_run(&self) -> Result<Option<ExportRun>, StoreError>;
    /// Claims a new run; `false` when another invocation claimed that number first.
    async fn start_export_run(&self, run: &ExportRun) -> Result<bool, StoreError>;
    /// Records, before a part file is written, how many parts the run may have started.
    async fn export_parts_started(&self, seq: i64, parts: i64) -> Result<(), StoreError>;
    /// Marks the run completed once its manifest is written.
    async fn complete_export_run(
        &self,
        seq: i64,
        records: i64,
        manifest_key: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Opportunities whose `updated_at` is in `(lower, upper]`, in `(updated_at, id)` order after
    /// `after`, at most `limit`.
    async fn changed_opportunities(
        &self,
        lower: OffsetDateTime,
        upper: OffsetDateTime,
        after: Option<(OffsetDateTime, Uuid)>,
        limit: i64,
    ) -> Result<Vec<ChangedOpportunity>, StoreError>;
}

/// An export destination failure.
#[derive(Debug, thiserror::Error)]
#[error("export destination: {0}")]
pub struct ExportSinkError(pub String);

/// Where export files are written: the exports bucket in AWS, a folder locally.
#[async_trait]
pub trait ExportSink: Send + Sync {
    /// Writes (or overwrites) one file whole.
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), ExportSinkError>;
    /// Deletes a file (no error when it is already gone).
    async fn delete(&self, key: &str) -> Result<(), ExportSinkError>;
    /// Where the files go, for the report of a run (`s3://bucket` or a folder path).
    fn location(&self) -> String;
}

/// No export destination configured: every write fails saying how to configure one.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoExportSink;

#[async_trait]
impl ExportSink for NoExportSink {
    async fn put(&self, _: &str, _: Vec<u8>, _: &str) -> Result<(), ExportSinkError> {
        Err(ExportSinkError(
            "no export destination: set OMS_EXPORTS_BUCKET (S3) or OMS_EXPORTS_DIR (a folder)".into(),
        ))
    }
    async fn delete(&self, _: &str) -> Result<(), ExportSinkError> {
        Ok(())
    }
    fn location(&self) -> String {
        "none".into()
    }
}
