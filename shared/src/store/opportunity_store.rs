//! [`OpportunityStore`] over SQL: an opportunity read with its requirements and attachments in
//! one statement, lists in keyset pages, history pages, and the create and update transactions.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::opportunity_changes::ChangeRows;
use super::sql_store::*;
use super::statements as sql;
use crate::domain::attachment::Attachment;
use crate::domain::catalog::name_key;
use crate::domain::opportunity::{CustomerRef, Opportunity};
use crate::params;
use crate::ports::store::{
    Created, CustomerChoice, HistoryPage, IdempotencyClaim, NewOpportunity, OpportunityQuery, OpportunityStore,
    OpportunitySummary, OpportunityUpdate, SkillStore, SortKey, SortPosition, StoreError,
};

use crate::ports::store::NO_START_DATE;
use crate::sql::{DbError, Param, Row, SqlValue};

#[async_trait]
impl OpportunityStore for SqlStore {
    /// The row with its requirements: one statement, so one state (see `get_with_attachments`).
    async fn get(&self, id: Uuid) -> Result<Option<Opportunity>, StoreError> {
        Ok(self.get_with_attachments(id, 0).await?.map(|(o, _)| o))
    }

    /// One statement ([`sql::SELECT_OPPORTUNITY_VIEW`]): the row, its requirements and its first
    /// attachments from one snapshot, so the parts are always of one version, in one Data API call.
    async fn get_with_attachments(
        &self,
        id: Uuid,
        attachments_limit: i64,
    ) -> Result<Option<(Opportunity, Vec<Attachment>)>, StoreError> {
        let rows = self
            .executor
            .query(
                sql::SELECT_OPPORTUNITY_VIEW,
                &params!["id" => id, "attachments_limit" => attachments_limit.max(0)],
            )
            .await?;
        view_from_rows(&rows)
    }

    /// One statement ([`sql::SELECT_OPPORTUNITY_VIEW_WITH_SKILLS`]) for up to 50 skill ids (an
    /// opportunity has at most 50 requirements); more take the catalog read on its own.
    async fn get_with_skills(
        &self,
        id: Uuid,
        attachments_limit: i64,
        skill_ids: &[Uuid],
    ) -> Result<(Option<(Opportunity, Vec<Attachment>)>, Vec<(Uuid, String)>), StoreError> {
        if skill_ids.len() > sql::SKILLS_BY_ID_SLOTS.len() {
            let found = self.get_with_attachments(id, attachments_limit).await?;
            let skills = SkillStore::get_many(self, skill_ids).await?;
            return Ok((found, skills.into_iter().map(|s| (s.id, s.name)).collect()));
        }
        let mut params: Vec<Param> = sql::SKILLS_BY_ID_SLOTS
            .iter()
            .enumerate()
            .map(|(i, name)| Param {
                name,
                value: skill_ids.get(i).copied().map_or(SqlValue::Null, SqlValue::Uuid),
            })
            .collect();
        params.extend(params!["id" => id, "attachments_limit" => attachments_limit.max(0)]);
        let rows = self
            .executor
            .query(sql::SELECT_OPPORTUNITY_VIEW_WITH_SKILLS, &params)
            .await?;
        let mut skills: Vec<(Uuid, String)> = Vec::new();
        for row in rows.iter().filter(|r| r.text("part").is_ok_and(|p| p == "skill")) {
            let skill = (row.uuid("skill_id")?, row.text("skill_name")?);
            if !skills.iter().any(|(known, _)| *known == skill.0) {
                skills.push(skill);
            }
        }
        Ok((view_from_rows(&rows)?, skills))
    }

    async fn list(&self, q: &OpportunityQuery) -> Result<Vec<OpportunitySummary>, StoreError> {
        // A `q` search has statements of its own, whose halves can each use an index.
        let statement = match (q.sort, q.descending, q.text.is_some()) {
            (SortKey::CreatedAt, false, false) => sql::LIST_BY_CREATED_ASC,
            (SortKey::CreatedAt, true, false) => sql::LIST_BY_CREATED_DESC,
            (SortKey::UpdatedAt, false, false) => sql::LIST_BY_UPDATED_ASC,
            (SortKey::UpdatedAt, true, false) => sql::LIST_BY_UPDATED_DESC,
            (SortKey::Priority, false, false) => sql::LIST_BY_PRIORITY_ASC,
            (SortKey::Priority, true, false) => sql::LIST_BY_PRIORITY_DESC,
            (SortKey::StartDate, false, false) => sql::LIST_BY_START_ASC,
            (SortKey::StartDate, true, false) => sql::LIST_BY_START_DESC,
            (SortKey::CreatedAt, false, true) => sql::LIST_MATCHING_BY_CREATED_ASC,
            (SortKey::CreatedAt, true, true) => sql::LIST_MATCHING_BY_CREATED_DESC,
            (SortKey::UpdatedAt, false, true) => sql::LIST_MATCHING_BY_UPDATED_ASC,
            (SortKey::UpdatedAt, true, true) => sql::LIST_MATCHING_BY_UPDATED_DESC,
            (SortKey::Priority, false, true) => sql::LIST_MATCHING_BY_PRIORITY_ASC,
            (SortKey::Priority, true, true) => sql::LIST_MATCHING_BY_PRIORITY_DESC,
            (SortKey::StartDate, false, true) => sql::LIST_MATCHING_BY_START_ASC,
            (SortKey::StartDate, true, true) => sql::LIST_MATCHING_BY_START_DESC,
        };
        let epoch = OffsetDateTime::UNIX_EPOCH;
        let (after_value, after_id) = match (&q.after, q.sort) {
            (Some(SortPosition::Timestamp(ts, id)), SortKey::CreatedAt | SortKey::UpdatedAt) => {
                (SqlValue::Timestamp(*ts), *id)
            }
            (Some(SortPosition::Rank(rank, id)), SortKey::Priority) => (SqlValue::Int(*rank), *id),
            (Some(SortPosition::Date(date, id)), SortKey::StartDate) => (SqlValue::Date(*date), *id),
            (_, SortKey::CreatedAt | SortKey::UpdatedAt) => (SqlValue::Timestamp(epoch), Uuid::nil()),
            (_, SortKey::Priority) => (SqlValue::Int(0), Uuid::nil()),
            (_, SortKey::StartDate) => (SqlValue::Date(NO_START_DATE), Uuid::nil()),
        };
        let params = params![
            "all_owners" => q.owner_sub.is_none(),
            "owner_sub" => q.owner_sub.clone().unwrap_or_default(),
            "any_status" => q.status.is_none(),
            "status" => q.status.map_or("", |s| s.as_str()),
            "any_priority" => q.priority.is_none(),
            "priority" => q.priority.map_or("", |p| p.as_str()),
            "any_customer" => q.customer_id.is_none(),
            "customer_id" => q.customer_id.unwrap_or_else(Uuid::nil),
            "any_created_from" => q.created_from.is_none(),
            "created_from" => q.created_from.unwrap_or(epoch),
            "any_created_to" => q.created_to.is_none(),
            "created_to" => q.created_to.unwrap_or(epoch),
            "any_text" => q.text.is_none(),
            "pattern" => like_pattern(q.text.as_deref()),
            "first_page" => q.after.is_none(),
            "after_value" => after_value,
            "after_id" => after_id,
            "limit" => q.limit + 1,
        ];
        let rows = self.executor.query(statement, &params).await?;
        Ok(rows.iter().map(summary_from_row).collect::<Result<_, _>>()?)
    }

    async fn history(&self, id: Uuid, after_seq: i64, limit: i64) -> Result<HistoryPage, StoreError> {
        let rows = self
            .executor
            .query(sql::SELECT_HISTORY, &history_params_of(id, after_seq, limit))
            .await?;
        history_page_from(&rows)
    }

    /// One statement ([`sql::SELECT_HISTORY_WITH_OWNER`]) for the owner and the page.
    async fn history_with_owner(
        &self,
        id: Uuid,
        after_seq: i64,
        limit: i64,
    ) -> Result<Option<(String, HistoryPage)>, StoreError> {
        let rows = self
            .executor
            .query(sql::SELECT_HISTORY_WITH_OWNER, &history_params_of(id, after_seq, limit))
            .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let owner = first.text("owner_sub")?;
        let records: Vec<Row> = rows
            .iter()
            .filter(|r| !matches!(r.is_null("seq"), Ok(true)))
            .cloned()
            .collect();
        Ok(Some((owner, history_page_from(&records)?)))
    }

    async fn create(
        &self,
        new: NewOpportunity,
        idempotency: Option<IdempotencyClaim<'_, Opportunity>>,
    ) -> Result<Created<Opportunity>, StoreError> {
        let mut tx = self.executor.begin().await?;
        let work = async {
            if let Some(claim) = &idempotency
                && let Some(answer) = claim_key(tx.as_mut(), claim, new.draft.created_at).await?
            {
                return answer.map(Created::Replay);
            }
            let draft = new.draft;
            let customer = match new.customer {
                CustomerChoice::Existing(id) => {
                    let rows = tx.query(sql::SELECT_CUSTOMER_BY_ID, &params!["id" => id]).await?;
                    let row = rows.first().ok_or(StoreError::UnknownReference("customer"))?;
                    CustomerRef {
                        id,
                        name: row.text("name")?,
                    }
                }
                CustomerChoice::ByName { id, name } => {
                    let key = name_key(&name);
                    let rows = tx
                        .query(
                            sql::UPSERT_CUSTOMER_RETURNING,
                            &params![
                                "id" => id,
                                "name" => &name,
                                "name_key" => &key,
                                "created_by" => &draft.owner_sub,
                                "created_at" => draft.created_at,
                            ],
                        )
                        .await?;
                    let row = rows
                        .first()
                        .ok_or_else(|| DbError::Other("the customer upsert returned no row".into()))?;
                    CustomerRef {
                        id: row.uuid("id")?,
                        name: row.text("name")?,
                    }
                }
            };
            let opportunity = draft.for_customer(customer);
            let mut insert = opportunity_params(&opportunity);
            insert.extend(params!["owner_sub" => &opportunity.owner_sub, "created_at" => opportunity.created_at]);
            match tx.execute(sql::INSERT_OPPORTUNITY, &insert).await {
                Err(DbError::UniqueViolation(_)) => {
                    return Err(StoreError::Duplicate {
                        what: "opportunity",
                        existing_id: Some(opportunity.id),
                    });
                }
                other => other?,
            };
            let mut rows = ChangeRows::new();
            rows.requirements(&opportunity, false);
            rows.history(opportunity.id, std::slice::from_ref(&new.history));
            rows.events(std::slice::from_ref(&new.event))?;
            rows.write(tx.as_mut()).await?;
            if let Some(claim) = &idempotency {
                complete_key(tx.as_mut(), claim, &opportunity).await?;
            }
            Ok(Created::New(opportunity))
        }
        .await;
        finish(tx, work).await
    }

    async fn update(&self, update: OpportunityUpdate) -> Result<(), StoreError> {
        let o = &update.opportunity;
        let mut tx = self.executor.begin().await?;
        let work = async {
            let mut values = opportunity_params(o);
            values.push(Param {
                name: "expected_version",
                value: SqlValue::Int(update.expected_version),
            });
            let changed = match tx.execute(sql::UPDATE_OPPORTUNITY, &values).await {
                Err(DbError::ForeignKeyViolation(_)) => {
                    return Err(StoreError::UnknownReference("customer"));
                }
                other => other?,
            };
            if changed != 1 {
                return Err(StoreError::VersionConflict {
                    expected: update.expected_version,
                });
            }
            let mut rows = ChangeRows::new();
            if update.skill_requirements_changed {
                rows.requirements(o, true);
            }
            rows.history(o.id, &update.history);
            rows.events(&update.events)?;
            rows.write(tx.as_mut()).await?;
            if let Some(event_id) = update.applies_event {
                let applied = tx
                    .execute(
                        sql::INSERT_PROCESSED_EVENT,
                        &params!["event_id" => event_id, "processed_at" => o.updated_at],
                    )
                    .await;
                match applied {
                    Err(DbError::UniqueViolation(_)) => return Err(StoreError::AlreadyApplied),
                    other => other?,
                };
            }
            Ok(())
        }
        .await;
        finish(tx, work).await
    }
}
