//! The retention purge's and the export's statements over the store.
//!
//! A batch of ids is named through a fixed number of slots (`IN (:id_0, ..., :id_49)`, unused
//! slots NULL), as the catalog lookup does: one SQL text whatever the batch, nothing assembled
//! from data, and every batch bounded.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqlStore;
use super::sql_store::{attachment_from_row, finish, insert_event, stamp_opportunity};
use crate::domain::attachment::Attachment;
use crate::domain::events::ChangeEvent;
use crate::domain::retention::MAX_OPPORTUNITY_BATCH;
use crate::params;
use crate::ports::jobs::{
    ChangedOpportunity, ExportRun, ExportRunStatus, ExportStore, PurgedBatch, RegistrationPurge, RetentionStore,
};
use crate::ports::store::StoreError;
use crate::sql::{DbError, Param, SqlValue};

/// The `IN` list of [`MAX_OPPORTUNITY_BATCH`] id slots.
macro_rules! id_slots {
    () => {
        "(:id_0, :id_1, :id_2, :id_3, :id_4, :id_5, :id_6, :id_7, :id_8, :id_9, :id_10, :id_11, :id_12, :id_13, \
         :id_14, :id_15, :id_16, :id_17, :id_18, :id_19, :id_20, :id_21, :id_22, :id_23, :id_24, :id_25, :id_26, \
         :id_27, :id_28, :id_29, :id_30, :id_31, :id_32, :id_33, :id_34, :id_35, :id_36, :id_37, :id_38, :id_39, \
         :id_40, :id_41, :id_42, :id_43, :id_44, :id_45, :id_46, :id_47, :id_48, :id_49)"
    };
}

/// The slot names of [`id_slots!`].
const ID_SLOTS: [&str; MAX_OPPORTUNITY_BATCH as usize] = [
    "id_0", "id_1", "id_2", "id_3", "id_4", "id_5", "id_6", "id_7", "id_8", "id_9", "id_10", "id_11", "id_12", "id_13",
    "id_14", "id_15", "id_16", "id_17", "id_18", "id_19", "id_20", "id_21", "id_22", "id_23", "id_24", "id_25",
    "id_26", "id_27", "id_28", "id_29", "id_30", "id_31", "id_32", "id_33", "id_34", "id_35", "id_36", "id_37",
    "id_38", "id_39", "id_40", "id_41", "id_42", "id_43", "id_44", "id_45", "id_46", "id_47", "id_48", "id_49",
];

/// Closed opportunities past their retention, oldest change first (index `opportunities_closed`).
pub const SELECT_PURGEABLE_OPPORTUNITIES: &str = "SELECT id FROM opportunities \
     WHERE status IN ('completed', 'cancelled') AND updated_at < :before ORDER BY updated_at, id LIMIT :limit";
/// Takes the row locks of the selected opportunities that are still closed and past their
/// retention (a reactivation in between changes `status` and `updated_at`): the count tells
/// whether the batch is still what was selected. SQLite's transactions are exclusive anyway.
pub const LOCK_PURGEABLE_OPPORTUNITIES: &str = concat!(
    "UPDATE opportunities SET version = version WHERE status IN ('completed', 'cancelled') AND updated_at < :before \
     AND id IN ",
    id_slots!()
);
/// The attachment objects of the batch, remembered before their rows go.
pub const QUEUE_OPPORTUNITY_OBJECTS: &str = concat!(
    "INSERT INTO object_deletions (object_key, requested_at) SELECT object_key, :now FROM attachments \
     WHERE opportunity_id IN ",
    id_slots!(),
    " ON CONFLICT (object_key) DO NOTHING"
);
pub const DELETE_BATCH_HISTORY: &str = concat!("DELETE FROM opportunity_history WHERE opportunity_id IN ", id_slots!());
pub const DELETE_BATCH_REQUIREMENTS: &str =
    concat!("DELETE FROM skill_requirements WHERE opportunity_id IN ", id_slots!());
pub const DELETE_BATCH_ATTACHMENTS: &str = concat!("DELETE FROM attachments WHERE opportunity_id IN ", id_slots!());
pub const DELETE_BATCH_OPPORTUNITIES: &str = concat!("DELETE FROM opportunities WHERE id IN ", id_slots!());

/// Registrations past their retention: rejected ones by creation, pending ones by the lapse of
/// their upload URL.
pub const SELECT_PURGEABLE_REGISTRATIONS: &str = "SELECT id, opportunity_id, owner_sub, file_name, content_type, \
     size_bytes, sha256, object_key, status, rejection_reason, created_at, upload_expires_at, completed_at \
     FROM attachments WHERE (status = 'rejected' AND created_at < :rejected_before) \
     OR (status = 'pending' AND upload_expires_at < :lapsed_before) ORDER BY created_at, id LIMIT :limit";
/// The registration's object, remembered in the same transaction as its row goes (a late upload
/// may still have created it).
pub const QUEUE_REGISTRATION_OBJECT: &str = "INSERT INTO object_deletions (object_key, requested_at) \
     SELECT object_key, :now FROM attachments WHERE id = :id AND ((status = 'rejected' AND created_at < \
     :rejected_before) OR (status = 'pending' AND upload_expires_at < :lapsed_before)) \
     ON CONFLICT (object_key) DO NOTHING";
pub const DELETE_REGISTRATION: &str = "DELETE FROM attachments WHERE id = :id AND ((status = 'rejected' AND \
     created_at < :rejected_before) OR (status = 'pending' AND upload_expires_at < :lapsed_before))";

pub const DELETE_PUBLISHED_EVENTS: &str = "DELETE FROM outbox_events WHERE id IN (SELECT id FROM outbox_events \
     WHERE published_at IS NOT NULL AND published_at < :before ORDER BY published_at, id LIMIT :limit)";
pub const DELETE_PROCESSED_EVENTS: &str = "DELETE FROM processed_events WHERE event_id IN (SELECT event_id \
     FROM processed_events WHERE processed_at < :before ORDER BY processed_at, event_id LIMIT :limit)";
pub const DELETE_EXPIRED_IDEMPOTENCY_RECORDS: &str = "DELETE FROM idempotency_records \
     WHERE (caller_sub, idempotency_key) IN (SELECT caller_sub, idempotency_key FROM idempotency_records \
     WHERE expires_at < :before ORDER BY expires_at, caller_sub, idempotency_key LIMIT :limit)";

pub const SELECT_QUEUED_OBJECT_DELETIONS: &str =
    "SELECT object_key FROM object_deletions ORDER BY requested_at, object_key LIMIT :limit";
pub const DELETE_QUEUED_OBJECT_DELETION: &str = "DELETE FROM object_deletions WHERE object_key = :object_key";

pub const SELECT_LAST_EXPORT_RUN: &str = "SELECT run_seq, lower_bound, upper_bound, status, parts_started, \
     started_at FROM export_runs ORDER BY run_seq DESC LIMIT 1";
pub const INSERT_EXPORT_RUN: &str = "INSERT INTO export_runs (run_seq, lower_bound, upper_bound, status, \
     parts_started, started_at) VALUES (:run_seq, :lower_bound, :upper_bound, 'started', 0, :started_at) \
     ON CONFLICT (run_seq) DO NOTHING";
/// Only ever raises the count: a redo that writes fewer parts still remembers the ones before.
pub const RAISE_EXPORT_PARTS: &str = "UPDATE export_runs SET parts_started = :parts \
     WHERE run_seq = :run_seq AND parts_started < :parts";
pub const COMPLETE_EXPORT_RUN: &str = "UPDATE export_runs SET status = 'completed', records = :records, \
     manifest_key = :manifest_key, completed_at = :completed_at WHERE run_seq = :run_seq";
/// A page of the window `(lower, upper]` in `(updated_at, id)` order: ties on `updated_at` are
/// ordered by id, so a page boundary never skips or repeats a row.
pub const SELECT_CHANGED_OPPORTUNITIES: &str = "SELECT id, updated_at FROM opportunities \
     WHERE updated_at > :lower AND updated_at <= :upper \
     AND (:first_page OR (updated_at, id) > (:after_updated_at, :after_id)) ORDER BY updated_at, id LIMIT :limit";

/// Every statement of this module, for the suite that runs each one on every backend.
pub const ALL: &[(&str, &str)] = &[
    ("SELECT_PURGEABLE_OPPORTUNITIES", SELECT_PURGEABLE_OPPORTUNITIES),
    ("LOCK_PURGEABLE_OPPORTUNITIES", LOCK_PURGEABLE_OPPORTUNITIES),
    ("QUEUE_OPPORTUNITY_OBJECTS", QUEUE_OPPORTUNITY_OBJECTS),
    ("DELETE_BATCH_HISTORY", DELETE_BATCH_HISTORY),
    ("DELETE_BATCH_REQUIREMENTS", DELETE_BATCH_REQUIREMENTS),
    ("DELETE_BATCH_ATTACHMENTS", DELETE_BATCH_ATTACHMENTS),
    ("DELETE_BATCH_OPPORTUNITIES", DELETE_BATCH_OPPORTUNITIES),
    ("SELECT_PURGEABLE_REGISTRATIONS", SELECT_PURGEABLE_REGISTRATIONS),
    ("QUEUE_REGISTRATION_OBJECT", QUEUE_REGISTRATION_OBJECT),
    ("DELETE_REGISTRATION", DELETE_REGISTRATION),
    ("DELETE_PUBLISHED_EVENTS", DELETE_PUBLISHED_EVENTS),
    ("DELETE_PROCESSED_EVENTS", DELETE_PROCESSED_EVENTS),
    ("DELETE_EXPIRED_IDEMPOTENCY_RECORDS", DELETE_EXPIRED_IDEMPOTENCY_RECORDS),
    ("SELECT_QUEUED_OBJECT_DELETIONS", SELECT_QUEUED_OBJECT_DELETIONS),
    ("DELETE_QUEUED_OBJECT_DELETION", DELETE_QUEUED_OBJECT_DELETION),
    ("SELECT_LAST_EXPORT_RUN", SELECT_LAST_EXPORT_RUN),
    ("INSERT_EXPORT_RUN", INSERT_EXPORT_RUN),
    ("RAISE_EXPORT_PARTS", RAISE_EXPORT_PARTS),
    ("COMPLETE_EXPORT_RUN", COMPLETE_EXPORT_RUN),
    ("SELECT_CHANGED_OPPORTUNITIES", SELECT_CHANGED_OPPORTUNITIES),
];

/// The slots bound to `ids` (at most [`MAX_OPPORTUNITY_BATCH`]), the rest NULL, after `extra`.
fn slots(ids: &[Uuid], extra: &[Param]) -> Vec<Param> {
    let mut params: Vec<Param> = extra.to_vec();
    params.extend(ID_SLOTS.iter().enumerate().map(|(i, name)| Param {
        name,
        value: ids.get(i).map_or(SqlValue::Null, |id| SqlValue::Uuid(*id)),
    }));
    params
}

/// How many rows a batch may name: the caller's limit within the slots.
fn batch_limit(limit: i64) -> i64 {
    limit.clamp(1, MAX_OPPORTUNITY_BATCH)
}

/// Rounds of selecting a batch again when a concurrent change (a reactivation) altered it.
const BATCH_ATTEMPTS: usize = 3;

#[async_trait]
impl RetentionStore for SqlStore {
    async fn purge_closed_opportunities(
        &self,
        before: OffsetDateTime,
        limit: i64,
        now: OffsetDateTime,
    ) -> Result<PurgedBatch, StoreError> {
        for _ in 0..BATCH_ATTEMPTS {
            let mut tx = self.executor().begin().await?;
            let work = async {
                let rows = tx
                    .query(
                        SELECT_PURGEABLE_OPPORTUNITIES,
                        &params!["before" => before, "limit" => batch_limit(limit)],
                    )
                    .await?;
                let ids: Vec<Uuid> = rows.iter().map(|r| r.uuid("id")).collect::<Result<_, _>>()?;
                if ids.is_empty() {
                    return Ok(Some(PurgedBatch::default()));
                }
                let locked = tx
                    .execute(LOCK_PURGEABLE_OPPORTUNITIES, &slots(&ids, &params!["before" => before]))
                    .await?;
                if locked != ids.len() as u64 {
                    return Ok(None); // changed since selected: roll back and select again
                }
                let objects_queued = tx
                    .execute(QUEUE_OPPORTUNITY_OBJECTS, &slots(&ids, &params!["now" => now]))
                    .await?;
                let history = tx.execute(DELETE_BATCH_HISTORY, &slots(&ids, &[])).await?;
                let requirements = tx.execute(DELETE_BATCH_REQUIREMENTS, &slots(&ids, &[])).await?;
                let attachments = tx.execute(DELETE_BATCH_ATTACHMENTS, &slots(&ids, &[])).await?;
                let deleted = tx.execute(DELETE_BATCH_OPPORTUNITIES, &slots(&ids, &[])).await?;
                if deleted != ids.len() as u64 {
                    return Err(StoreError::from(DbError::Other(format!(
                        "deleted {deleted} of {} locked opportunities",
                        ids.len()
                    ))));
                }
                Ok(Some(PurgedBatch {
                    ids,
                    history,
                    requirements,
                    attachments,
                    objects_queued,
                }))
            }
            .await;
            match work {
                Ok(None) => {
                    tx.rollback().await?;
                    continue;
                }
                other => {
                    if let Some(batch) = finish(tx, other).await? {
                        return Ok(batch);
                    }
                }
            }
        }
        Err(StoreError::from(DbError::Conflict(
            "closed opportunities kept changing while a purge batch was taken".into(),
        )))
    }

    async fn purgeable_registrations(
        &self,
        rejected_before: OffsetDateTime,
        lapsed_before: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<Attachment>, StoreError> {
        let rows = self
            .executor()
            .query(
                SELECT_PURGEABLE_REGISTRATIONS,
                &params![
                    "rejected_before" => rejected_before,
                    "lapsed_before" => lapsed_before,
                    "limit" => batch_limit(limit),
                ],
            )
            .await?;
        Ok(rows.iter().map(attachment_from_row).collect::<Result<_, _>>()?)
    }

    async fn purge_registrations(
        &self,
        registrations: &[RegistrationPurge],
        rejected_before: OffsetDateTime,
        lapsed_before: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Vec<ChangeEvent>, StoreError> {
        if registrations.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.executor().begin().await?;
        let work = async {
            let mut events = Vec::new();
            for purge in registrations {
                // The opportunity's lock first, as every attachment change takes it: the
                // registration cannot change under the two statements below.
                let Some(stamped) = stamp_opportunity(tx.as_mut(), &purge.event).await? else {
                    continue;
                };
                let conditions = params![
                    "id" => purge.attachment.id,
                    "rejected_before" => rejected_before,
                    "lapsed_before" => lapsed_before,
                ];
                let mut queue_params = conditions.to_vec();
                queue_params.push(Param {
                    name: "now",
                    value: SqlValue::Timestamp(now),
                });
                tx.execute(QUEUE_REGISTRATION_OBJECT, &queue_params).await?;
                if tx.execute(DELETE_REGISTRATION, &conditions).await? == 1 {
                    insert_event(tx.as_mut(), &stamped).await?;
                    events.push(stamped);
                }
            }
            Ok(events)
        }
        .await;
        finish(tx, work).await
    }

    async fn purge_published_events(&self, before: OffsetDateTime, limit: i64) -> Result<u64, StoreError> {
        Ok(self
            .executor()
            .execute(DELETE_PUBLISHED_EVENTS, &params!["before" => before, "limit" => limit])
            .await?)
    }

    async fn purge_processed_events(&self, before: OffsetDateTime, limit: i64) -> Result<u64, StoreError> {
        Ok(self
            .executor()
            .execute(DELETE_PROCESSED_EVENTS, &params!["before" => before, "limit" => limit])
            .await?)
    }

    async fn purge_idempotency_records(&self, before: OffsetDateTime, limit: i64) -> Result<u64, StoreError> {
        Ok(self
            .executor()
            .execute(
                DELETE_EXPIRED_IDEMPOTENCY_RECORDS,
                &params!["before" => before, "limit" => limit],
            )
            .await?)
    }

    async fn queued_object_deletions(&self, limit: i64) -> Result<Vec<String>, StoreError> {
        let rows = self
            .executor()
            .query(SELECT_QUEUED_OBJECT_DELETIONS, &params!["limit" => limit])
            .await?;
        Ok(rows.iter().map(|r| r.text("object_key")).collect::<Result<_, _>>()?)
    }

    async fn object_deleted(&self, key: &str) -> Result<(), StoreError> {
        self.executor()
            .execute(DELETE_QUEUED_OBJECT_DELETION, &params!["object_key" => key])
            .await?;
        Ok(())
    }
}

#[async_trait]
impl ExportStore for SqlStore {
    async fn last_export_run(&self) -> Result<Option<ExportRun>, StoreError> {
        let rows = self.executor().query(SELECT_LAST_EXPORT_RUN, &[]).await?;
        let Some(row) = rows.first() else { return Ok(None) };
        let status = match row.text("status")?.as_str() {
            "started" => ExportRunStatus::Started,
            "completed" => ExportRunStatus::Completed,
            other => return Err(DbError::Decode(format!("unknown export run status {other:?}")).into()),
        };
        Ok(Some(ExportRun {
            seq: row.int("run_seq")?,
            lower: row.timestamp("lower_bound")?,
            upper: row.timestamp("upper_bound")?,
            status,
            parts_started: row.int("parts_started")?,
            started_at: row.timestamp("started_at")?,
        }))
    }

    async fn start_export_run(&self, run: &ExportRun) -> Result<bool, StoreError> {
        let inserted = self
            .executor()
            .execute(
                INSERT_EXPORT_RUN,
                &params![
                    "run_seq" => run.seq,
                    "lower_bound" => run.lower,
                    "upper_bound" => run.upper,
                    "started_at" => run.started_at,
                ],
            )
            .await?;
        Ok(inserted == 1)
    }

    async fn export_parts_started(&self, seq: i64, parts: i64) -> Result<(), StoreError> {
        self.executor()
            .execute(RAISE_EXPORT_PARTS, &params!["run_seq" => seq, "parts" => parts])
            .await?;
        Ok(())
    }

    async fn complete_export_run(
        &self,
        seq: i64,
        records: i64,
        manifest_key: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.executor()
            .execute(
                COMPLETE_EXPORT_RUN,
                &params![
                    "run_seq" => seq,
                    "records" => records,
                    "manifest_key" => manifest_key,
                    "completed_at" => at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn changed_opportunities(
        &self,
        lower: OffsetDateTime,
        upper: OffsetDateTime,
        after: Option<(OffsetDateTime, Uuid)>,
        limit: i64,
    ) -> Result<Vec<ChangedOpportunity>, StoreError> {
        let (after_at, after_id) = after.unwrap_or((OffsetDateTime::UNIX_EPOCH, Uuid::nil()));
        let rows = self
            .executor()
            .query(
                SELECT_CHANGED_OPPORTUNITIES,
                &params![
                    "lower" => lower,
                    "upper" => upper,
                    "first_page" => after.is_none(),
                    "after_updated_at" => after_at,
                    "after_id" => after_id,
                    "limit" => limit,
                ],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ChangedOpportunity {
                    id: r.uuid("id")?,
                    updated_at: r.timestamp("updated_at")?,
                })
            })
            .collect::<Result<_, DbError>>()
            .map_err(StoreError::from)
    }
}
