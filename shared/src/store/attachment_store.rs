//! The attachment store over SQL: registrations, completions and deletions, each stamping the
//! opportunity's version.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::sql_store::*;
use super::statements as sql;
use crate::domain::events::ChangeEvent;
use crate::params;
use crate::ports::store::{Created, IdempotencyClaim, StoreError, WithEvent};
use crate::sql::DbError;

#[async_trait]
impl crate::ports::store::AttachmentStore for SqlStore {
    async fn register(
        &self,
        a: &crate::domain::attachment::Attachment,
        event: &ChangeEvent,
        idempotency: Option<IdempotencyClaim<'_, WithEvent<crate::domain::attachment::Attachment>>>,
    ) -> Result<Created<WithEvent<crate::domain::attachment::Attachment>>, StoreError> {
        let mut tx = self.executor.begin().await?;
        let work = async {
            if let Some(claim) = &idempotency
                && let Some(answer) = claim_key(tx.as_mut(), claim, a.created_at).await?
            {
                return answer.map(|replay| Ending::Discard(Created::Replay(replay)));
            }
            let mut opportunity_event = event.clone();
            opportunity_event.aggregate_id = a.opportunity_id;
            let Some(stamped) = stamp_opportunity(tx.as_mut(), &opportunity_event).await? else {
                return Err(StoreError::UnknownReference("opportunity"));
            };
            // The row lock taken above serialises this count with every other attachment change of
            // the opportunity, so two registrations cannot both take the last place.
            let counted = tx
                .query(
                    sql::COUNT_ACTIVE_ATTACHMENTS,
                    &params!["opportunity_id" => a.opportunity_id],
                )
                .await?;
            let (count, total_bytes) = match counted.first() {
                Some(row) => (row.int("attachments")?, row.int("total_bytes")?),
                None => (0, 0),
            };
            if let Some(reason) = crate::domain::attachment::exceeds_limits(count, total_bytes, a.size_bytes) {
                return Err(StoreError::AttachmentLimit(reason));
            }
            let inserted = tx
                .execute(
                    sql::INSERT_ATTACHMENT,
                    &params![
                        "id" => a.id,
                        "opportunity_id" => a.opportunity_id,
                        "owner_sub" => &a.owner_sub,
                        "file_name" => &a.file_name,
                        "content_type" => &a.content_type,
                        "size_bytes" => a.size_bytes,
                        "sha256" => a.sha256.clone(),
                        "object_key" => &a.object_key,
                        "status" => a.status.as_str(),
                        "rejection_reason" => a.rejection_reason.clone(),
                        "created_at" => a.created_at,
                        "upload_expires_at" => a.upload_expires_at,
                        "completed_at" => a.completed_at,
                    ],
                )
                .await;
            match inserted {
                Err(DbError::ForeignKeyViolation(_)) => return Err(StoreError::UnknownReference("opportunity")),
                Err(DbError::UniqueViolation(_)) => {
                    return Err(StoreError::Duplicate {
                        what: "attachment",
                        existing_id: Some(a.id),
                    });
                }
                other => other?,
            };
            insert_event(tx.as_mut(), &stamped).await?;
            let value = (a.clone(), stamped);
            if let Some(claim) = &idempotency {
                complete_key(tx.as_mut(), claim, &value).await?;
            }
            Ok(Ending::Commit(Created::New(value)))
        }
        .await;
        settle(tx, work).await
    }

    async fn attachment(&self, id: Uuid) -> Result<Option<crate::domain::attachment::Attachment>, StoreError> {
        let rows = self
            .executor
            .query(sql::SELECT_ATTACHMENT, &params!["id" => id])
            .await?;
        Ok(rows.first().map(attachment_from_row).transpose()?)
    }

    async fn attachments(
        &self,
        opportunity_id: Uuid,
        after: Option<(OffsetDateTime, Uuid)>,
        limit: i64,
    ) -> Result<Vec<crate::domain::attachment::Attachment>, StoreError> {
        let (after_created_at, after_id) = after.unwrap_or((OffsetDateTime::UNIX_EPOCH, Uuid::nil()));
        let rows = self
            .executor
            .query(
                sql::LIST_ATTACHMENTS,
                &params![
                    "opportunity_id" => opportunity_id,
                    "first_page" => after.is_none(),
                    "after_created_at" => after_created_at,
                    "after_id" => after_id,
                    "limit" => limit + 1,
                ],
            )
            .await?;
        Ok(rows.iter().map(attachment_from_row).collect::<Result<_, _>>()?)
    }

    async fn complete(
        &self,
        id: Uuid,
        from: crate::domain::attachment::AttachmentStatus,
        to: crate::domain::attachment::AttachmentStatus,
        reason: Option<&str>,
        at: OffsetDateTime,
        event: &ChangeEvent,
    ) -> Result<Option<ChangeEvent>, StoreError> {
        let mut tx = self.executor.begin().await?;
        let work = async {
            let Some(stamped) = stamp_opportunity(tx.as_mut(), event).await? else {
                return Ok(Ending::Discard(None));
            };
            let changed = tx
                .execute(
                    sql::COMPLETE_ATTACHMENT,
                    &params![
                        "status" => to.as_str(),
                        "rejection_reason" => reason,
                        "completed_at" => at,
                        "id" => id,
                        "from_status" => from.as_str(),
                    ],
                )
                .await?;
            if changed != 1 {
                return Ok(Ending::Discard(None));
            }
            insert_event(tx.as_mut(), &stamped).await?;
            Ok(Ending::Commit(Some(stamped)))
        }
        .await;
        settle(tx, work).await
    }

    async fn remove(&self, id: Uuid, event: &ChangeEvent) -> Result<Option<ChangeEvent>, StoreError> {
        let mut tx = self.executor.begin().await?;
        let work = async {
            let Some(stamped) = stamp_opportunity(tx.as_mut(), event).await? else {
                return Ok(Ending::Discard(None));
            };
            let changed = tx.execute(sql::DELETE_ATTACHMENT, &params!["id" => id]).await?;
            if changed != 1 {
                return Ok(Ending::Discard(None));
            }
            insert_event(tx.as_mut(), &stamped).await?;
            Ok(Ending::Commit(Some(stamped)))
        }
        .await;
        settle(tx, work).await
    }

    async fn expired_uploads(
        &self,
        before: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<crate::domain::attachment::Attachment>, StoreError> {
        let rows = self
            .executor
            .query(
                sql::LIST_EXPIRED_UPLOADS,
                &params!["before" => before, "limit" => limit],
            )
            .await?;
        Ok(rows.iter().map(attachment_from_row).collect::<Result<_, _>>()?)
    }
}
