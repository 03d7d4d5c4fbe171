//! The user directory and the privacy requests (GDPR access and erasure) with their audit log.

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::attachment::Attachment;
use crate::domain::catalog::{Customer, Skill};
use crate::domain::history::HistoryItem;
use crate::domain::opportunity::Opportunity;
use crate::domain::privacy::UserProfile;
use crate::ports::store::StoreError;

/// The profiles of the people who use the service.
#[async_trait]
pub trait UserDirectory: Send + Sync {
    /// The stored profile of `sub`, if that person ever wrote.
    async fn profile(&self, sub: &str) -> Result<Option<UserProfile>, StoreError>;
}

/// One entry of the audit log of privacy requests.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AuditEvent {
    /// Id.
    pub id: Uuid,
    /// When the request was honoured.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The Admin who asked (`sub`).
    pub actor_id: String,
    /// `privacy_export` or `privacy_erasure`.
    pub action: String,
    /// The person the request was about (`sub`).
    pub subject_id: String,
    /// What was done: counts per kind of record (never an e-mail address or a name).
    #[schema(value_type = Object)]
    pub details: Value,
}

/// A history record with the opportunity it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectHistory {
    /// The opportunity.
    pub opportunity_id: Uuid,
    /// The record.
    pub item: HistoryItem,
}

/// Everything stored about one person, read page by page (each page within the Data API's
/// 1 MiB per response).
#[derive(Debug, Clone, Default)]
pub struct SubjectRecords {
    /// The directory's profile.
    pub profile: Option<UserProfile>,
    /// Opportunities they own, whole, oldest first.
    pub opportunities: Vec<Opportunity>,
    /// History records they made, by opportunity and sequence.
    pub history: Vec<SubjectHistory>,
    /// Customers they created.
    pub customers: Vec<Customer>,
    /// Catalog skills they created.
    pub skills: Vec<Skill>,
    /// Attachments they registered.
    pub attachments: Vec<Attachment>,
    /// Privacy requests about them.
    pub audit_events: Vec<AuditEvent>,
    /// Idempotency records of their requests kept in the database (copies of responses already
    /// in this export, kept 24 hours).
    pub idempotency_records: i64,
    /// Change events in the outbox that name them.
    pub outbox_events: i64,
}

/// An erasure to carry out.
#[derive(Debug, Clone)]
pub struct ErasureRequest {
    /// The audit entry's id.
    pub audit_id: Uuid,
    /// The person.
    pub subject: String,
    /// What their id becomes.
    pub pseudonym: String,
    /// The Admin who asked.
    pub actor: String,
    /// Now.
    pub at: OffsetDateTime,
}

/// What an erasure changed, by kind of record (the audit entry's `details`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErasureCounts {
    /// Whether a profile was deleted.
    pub profile_deleted: bool,
    /// Opportunities whose owner became the pseudonym.
    pub opportunities: u64,
    /// History records whose actor became the pseudonym.
    pub history_records: u64,
    /// Customers whose creator became the pseudonym.
    pub customers: u64,
    /// Skills whose creator became the pseudonym.
    pub skills: u64,
    /// Attachments whose owner became the pseudonym.
    pub attachments: u64,
    /// Outbox events whose payload named the person.
    pub outbox_events: u64,
    /// Idempotency records deleted from the database.
    pub idempotency_records: u64,
    /// Free-text fields (titles, descriptions, problem statements, reasons, old and new values,
    /// file names) from which the e-mail address or name was removed.
    pub texts_scrubbed: u64,
}

/// The outcome of an erasure.
#[derive(Debug, Clone)]
pub struct Erasure {
    /// The audit entry written with it.
    pub audit: AuditEvent,
    /// The counts.
    pub counts: ErasureCounts,
    /// The opportunities that changed, at their new versions (their cached views are stale).
    pub opportunities: Vec<(Uuid, i64)>,
}

/// GDPR access and erasure over the system of record.
#[async_trait]
pub trait PrivacyStore: Send + Sync {
    /// Everything stored about `sub`.
    async fn subject_records(&self, sub: &str) -> Result<SubjectRecords, StoreError>;
    /// Replaces `sub` by its pseudonym everywhere, removes the person's e-mail address and name
    /// from their free text, deletes the profile and their idempotency records, and writes the
    /// audit entry: one transaction.
    async fn erase(&self, request: &ErasureRequest) -> Result<Erasure, StoreError>;
    /// Appends an entry to the audit log.
    async fn record(&self, event: &AuditEvent) -> Result<(), StoreError>;
    /// A page of the audit log, oldest first, after a position (up to `limit + 1`).
    async fn audit_events(
        &self,
        after: Option<(OffsetDateTime, Uuid)>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError>;
}
