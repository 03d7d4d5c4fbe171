//! Persistence ports: what the handlers ask of the system of record.

use async_trait::async_trait;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::domain::catalog::{Customer, Skill};
use crate::domain::events::ChangeEvent;
use crate::domain::history::{HistoryEntry, HistoryItem};
use crate::domain::lifecycle::Status;
use crate::domain::money::Money;
use crate::domain::opportunity::{CustomerRef, Opportunity, OpportunityDraft, Priority};

/// The start-date sort key of opportunities without a timeline: after every real date (and a
/// cursor position like any other).
pub const NO_START_DATE: Date = time::macros::date!(9999 - 12 - 31);

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row changed since it was read (optimistic concurrency).
    #[error("the opportunity changed concurrently (expected version {expected})")]
    VersionConflict {
        /// The version the writer had read.
        expected: i64,
    },
    /// A unique name is taken.
    #[error("{what} already exists")]
    Duplicate {
        /// What was duplicated.
        what: &'static str,
        /// The id of the existing record, when known.
        existing_id: Option<Uuid>,
    },
    /// A referenced record does not exist.
    #[error("unknown {0}")]
    UnknownReference(&'static str),
    /// The consumed event was applied before.
    #[error("event already applied")]
    AlreadyApplied,
    /// The idempotency key was used before with another request.
    #[error("the idempotency key was used with a different request")]
    IdempotencyMismatch,
    /// The opportunity already holds as many attachments (or bytes) as it may.
    #[error("{0}")]
    AttachmentLimit(String),
    /// The database failed (unreachable, refused the statement, answered what could not be
    /// read): never the caller's doing.
    #[error("database failure: {0}")]
    Database(String),
}

/// A response kept for an idempotency key: replayed verbatim for a retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers worth replaying (`Location`, `ETag`).
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: String,
}

/// A write with its change event, the event stamped with the version the write produced (an
/// opportunity's after an attachment change, the catalog's after a new skill).
pub type WithEvent<T> = (T, ChangeEvent);

/// Claims an idempotency key in the same transaction as the creation it guards.
pub struct IdempotencyClaim<'a, T> {
    /// The caller (keys are per caller).
    pub caller_sub: &'a str,
    /// The client's `Idempotency-Key`.
    pub key: &'a str,
    /// Hash of the method, path and canonical body.
    pub request_hash: &'a str,
    /// When the record may be forgotten.
    pub expires_at: OffsetDateTime,
    /// Renders the response to keep, from what was created.
    pub render: &'a (dyn Fn(&T) -> StoredResponse + Send + Sync),
}

/// The outcome of an idempotent creation.
#[derive(Debug)]
pub enum Created<T> {
    /// Created now.
    New(T),
    /// The key was seen before with the same request: the first response.
    Replay(StoredResponse),
}

/// The customer a new opportunity is for.
#[derive(Debug, Clone)]
pub enum CustomerChoice {
    /// An existing customer.
    Existing(Uuid),
    /// A customer by name: reused when the name exists, created otherwise (with this id).
    ByName {
        /// Id to use if the customer is new.
        id: Uuid,
        /// The name.
        name: String,
    },
}

/// Everything written when an opportunity is created.
#[derive(Debug, Clone)]
pub struct NewOpportunity {
    /// The draft; the store resolves its customer in the creating transaction.
    pub draft: OpportunityDraft,
    /// The customer.
    pub customer: CustomerChoice,
    /// The creation record.
    pub history: HistoryEntry,
    /// The `OpportunityCreated` event.
    pub event: ChangeEvent,
}

/// Everything written when an opportunity changes, in one transaction.
#[derive(Debug, Clone)]
pub struct OpportunityUpdate {
    /// The new state; its `version` is `expected_version + 1`.
    pub opportunity: Opportunity,
    /// The version the change was computed from.
    pub expected_version: i64,
    /// Whether the skill requirements were replaced.
    pub skill_requirements_changed: bool,
    /// History records of the change.
    pub history: Vec<HistoryEntry>,
    /// Change events to publish.
    pub events: Vec<ChangeEvent>,
    /// The consumed event this change applies, recorded so that a redelivery applies it once.
    pub applies_event: Option<Uuid>,
}

/// Columns an opportunity list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// `created_at`.
    CreatedAt,
    /// `updated_at`.
    UpdatedAt,
    /// `priority` (low to critical).
    Priority,
    /// `start_date` (opportunities without a timeline last).
    StartDate,
}

/// Where the previous page ended: the sort value and id of its last item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortPosition {
    /// After this timestamp and id.
    Timestamp(OffsetDateTime, Uuid),
    /// After this priority rank and id.
    Rank(i64, Uuid),
    /// After this start date and id.
    Date(Date, Uuid),
}

/// A filtered, sorted page request.
#[derive(Debug, Clone)]
pub struct OpportunityQuery {
    /// Only this owner's opportunities (Sales Managers: their own; Admins: the `owner_id`
    /// filter); `None` for all (Admins).
    pub owner_sub: Option<String>,
    /// Filter by status.
    pub status: Option<Status>,
    /// Filter by priority.
    pub priority: Option<Priority>,
    /// Filter by customer.
    pub customer_id: Option<Uuid>,
    /// Created at or after.
    pub created_from: Option<OffsetDateTime>,
    /// Created before.
    pub created_to: Option<OffsetDateTime>,
    /// Case-insensitive substring of the title or customer name.
    pub text: Option<String>,
    /// Sort column.
    pub sort: SortKey,
    /// Descending order.
    pub descending: bool,
    /// Continue after this position.
    pub after: Option<SortPosition>,
    /// Page size; the store returns up to `limit + 1` rows so the caller knows if more exist.
    pub limit: i64,
}

/// An opportunity as lists show it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpportunitySummary {
    /// Id.
    pub id: Uuid,
    /// Owner's `sub`.
    pub owner_sub: String,
    /// Customer.
    pub customer: CustomerRef,
    /// Title.
    pub title: String,
    /// Priority.
    pub priority: Priority,
    /// Status.
    pub status: Status,
    /// Annual recurring revenue.
    pub annual_recurring_revenue: Money,
    /// Start date, when there is a timeline.
    pub start_date: Option<Date>,
    /// Sort key for start dates (9999-12-31 without a timeline).
    pub start_date_key: Date,
    /// Version.
    pub version: i64,
    /// Created.
    pub created_at: OffsetDateTime,
    /// Last changed.
    pub updated_at: OffsetDateTime,
    /// The owner's name from the user directory, when known.
    pub owner_name: Option<String>,
}

/// A page of history records.
#[derive(Debug, Clone)]
pub struct HistoryPage {
    /// The records, oldest first.
    pub items: Vec<HistoryItem>,
    /// Whether records follow this page.
    pub more: bool,
}

/// Reads and writes opportunities with their history.
#[async_trait]
pub trait OpportunityStore: Send + Sync {
    /// The whole opportunity.
    async fn get(&self, id: Uuid) -> Result<Option<Opportunity>, StoreError>;
    /// The whole opportunity with its first `attachments_limit` attachments (oldest first), as
    /// of one state: what its view shows, in one read.
    async fn get_with_attachments(
        &self,
        id: Uuid,
        attachments_limit: i64,
    ) -> Result<Option<(Opportunity, Vec<crate::domain::attachment::Attachment>)>, StoreError>;
    /// [`OpportunityStore::get_with_attachments`] and the catalog skills among `skill_ids` (id and
    /// name), as of one state: what a change of the requirements is computed from and validated
    /// against, in one read.
    async fn get_with_skills(
        &self,
        id: Uuid,
        attachments_limit: i64,
        skill_ids: &[Uuid],
    ) -> Result<
        (
            Option<(Opportunity, Vec<crate::domain::attachment::Attachment>)>,
            Vec<(Uuid, String)>,
        ),
        StoreError,
    >;
    /// A page of summaries (up to `limit + 1`).
    async fn list(&self, query: &OpportunityQuery) -> Result<Vec<OpportunitySummary>, StoreError>;
    /// History records after `after_seq`, oldest first: at most `limit`, fewer when their text
    /// would make the page too large for one Data API response, and whether more follow.
    async fn history(&self, id: Uuid, after_seq: i64, limit: i64) -> Result<HistoryPage, StoreError>;
    /// The opportunity's owner and [`OpportunityStore::history`]'s page, in one read (the access
    /// check and the page); `None` when there is no such opportunity.
    async fn history_with_owner(
        &self,
        id: Uuid,
        after_seq: i64,
        limit: i64,
    ) -> Result<Option<(String, HistoryPage)>, StoreError>;
    /// Creates a draft, its customer if new, its history, its event and the idempotency record,
    /// all in one transaction.
    async fn create(
        &self,
        new: NewOpportunity,
        idempotency: Option<IdempotencyClaim<'_, Opportunity>>,
    ) -> Result<Created<Opportunity>, StoreError>;
    /// Writes a change if the opportunity is still at `expected_version`.
    async fn update(&self, update: OpportunityUpdate) -> Result<(), StoreError>;
}

/// Customers.
#[async_trait]
pub trait CustomerStore: Send + Sync {
    /// One customer.
    async fn customer(&self, id: Uuid) -> Result<Option<Customer>, StoreError>;
    /// A page of customers ordered by name, optionally filtered by a name substring.
    async fn list(
        &self,
        text: Option<&str>,
        after: Option<(&str, Uuid)>,
        limit: i64,
    ) -> Result<Vec<Customer>, StoreError>;
    /// Adds a customer; the name must be new.
    async fn create(
        &self,
        customer: Customer,
        created_by: &str,
        event: ChangeEvent,
        idempotency: Option<IdempotencyClaim<'_, Customer>>,
    ) -> Result<Created<Customer>, StoreError>;
}

/// The skills catalog.
#[async_trait]
pub trait SkillStore: Send + Sync {
    /// A page of skills ordered by name.
    async fn list(&self, after: Option<(&str, Uuid)>, limit: i64) -> Result<Vec<Skill>, StoreError>;
    /// The skills with these ids (unknown ids are left out).
    async fn get_many(&self, ids: &[Uuid]) -> Result<Vec<Skill>, StoreError>;
    /// Adds a skill, recording who added it (`None` for the starter catalog); the name must be
    /// new. The catalog's version counts up in the same transaction, and the event carries the
    /// version it produced.
    async fn create(
        &self,
        skill: Skill,
        created_by: Option<&str>,
        event: ChangeEvent,
        idempotency: Option<IdempotencyClaim<'_, WithEvent<Skill>>>,
    ) -> Result<Created<WithEvent<Skill>>, StoreError>;
    /// The catalog's version: a database counter every catalog change increases (the cache
    /// version of the whole catalog).
    async fn catalog_version(&self) -> Result<i64, StoreError>;
}

/// The transactional outbox: change events committed with their change, published after.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// The oldest events not yet published.
    async fn unpublished(&self, limit: i64) -> Result<Vec<ChangeEvent>, StoreError>;
    /// Records that these events reached the queue.
    async fn mark_published(&self, ids: &[Uuid], at: OffsetDateTime) -> Result<(), StoreError>;
    /// Whether a consumed event was already applied.
    async fn was_applied(&self, event_id: Uuid) -> Result<bool, StoreError>;
}

/// Attachments of opportunities. Every change counts up the opportunity's version in its
/// transaction (the opportunity's view lists its attachments), and the change event carries the
/// version it produced.
#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// Records a pending attachment and its event, within the opportunity's limits
    /// ([`StoreError::AttachmentLimit`]), with the idempotency record when given.
    async fn register(
        &self,
        attachment: &crate::domain::attachment::Attachment,
        event: &ChangeEvent,
        idempotency: Option<IdempotencyClaim<'_, WithEvent<crate::domain::attachment::Attachment>>>,
    ) -> Result<Created<WithEvent<crate::domain::attachment::Attachment>>, StoreError>;
    /// One attachment.
    async fn attachment(&self, id: Uuid) -> Result<Option<crate::domain::attachment::Attachment>, StoreError>;
    /// An opportunity's attachments, oldest first, after a (created_at, id) position (up to `limit + 1`).
    async fn attachments(
        &self,
        opportunity_id: Uuid,
        after: Option<(OffsetDateTime, Uuid)>,
        limit: i64,
    ) -> Result<Vec<crate::domain::attachment::Attachment>, StoreError>;
    /// Moves an attachment from `from` to `to`; the stamped event, or `None` when it was no
    /// longer in `from`.
    async fn complete(
        &self,
        id: Uuid,
        from: crate::domain::attachment::AttachmentStatus,
        to: crate::domain::attachment::AttachmentStatus,
        reason: Option<&str>,
        at: OffsetDateTime,
        event: &ChangeEvent,
    ) -> Result<Option<ChangeEvent>, StoreError>;
    /// Deletes the record; the stamped event, or `None` when it was already gone.
    async fn remove(&self, id: Uuid, event: &ChangeEvent) -> Result<Option<ChangeEvent>, StoreError>;
    /// Pending attachments whose upload URL lapsed before `before`.
    async fn expired_uploads(
        &self,
        before: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<crate::domain::attachment::Attachment>, StoreError>;
}
