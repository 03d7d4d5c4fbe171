use std::sync::Arc;

use async_trait::async_trait;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::statements as sql;
use crate::domain::attachment::Attachment;
use crate::domain::catalog::{Customer, Skill, name_key};
use crate::domain::events::ChangeEvent;
use crate::domain::history::{Change, HistoryEntry, HistoryItem, HistoryKind};
use crate::domain::lifecycle::Status;
use crate::domain::money::Money;
use crate::domain::opportunity::{
    CustomerRef, Importance, Opportunity, Priority, ProblemStatement, Proficiency, SkillCategory, SkillRef,
    SkillRequirement, Timeline,
};
use crate::params;
use crate::ports::store::{
    Created, CustomerChoice, CustomerStore, HistoryPage, IdempotencyClaim, NewOpportunity, OpportunityQuery,
    OpportunityStore, OpportunitySummary, OpportunityUpdate, OutboxStore, SkillStore, SortKey, SortPosition,
    StoreError, StoredResponse, WithEvent,
};
use crate::sql::value::DATE_FORMAT;

/// The most text (old and new values, reasons) one page of history carries: with JSON escaping and
/// the Data API's field wrappers a page stays under its 1 MiB per response.
const HISTORY_PAGE_MAX_BYTES: i64 = 384 * 1024;
use crate::sql::{DbError, Param, Row, SqlExecutor, SqlTransaction, SqlValue};

/// The sort key of opportunities without a timeline: after every real date.
pub const NO_START_DATE: Date = time::macros::date!(9999 - 12 - 31);

/// The store ports over any SQL executor.
#[derive(Clone)]
pub struct SqlStore {
    executor: Arc<dyn SqlExecutor>,
}

/// A record whose name must be unique: how to insert it and how to find the one that has its name.
struct Named<'a> {
    insert: (&'static str, &'a [Param]),
    existing: &'static str,
    key: &'a str,
    what: &'static str,
}

/// Ends a transaction by the outcome of its work: commit on success, and on any error an explicit
/// rollback before the error is returned. A transaction merely dropped would, on the Data API,
/// keep its row locks until the API expires it minutes later.
pub(super) async fn finish<T>(tx: Box<dyn SqlTransaction>, work: Result<T, StoreError>) -> Result<T, StoreError> {
    match work {
        Ok(value) => {
            tx.commit().await?;
            Ok(value)
        }
        Err(error) => {
            if let Err(rollback_error) = tx.rollback().await {
                tracing::warn!(error = %rollback_error, "rollback after a failed transaction failed");
            }
            Err(error)
        }
    }
}

/// How a transaction's work wants it to end when it succeeds.
enum Ending<T> {
    /// Keep what it wrote.
    Commit(T),
    /// It turned out to have nothing to keep (a bump with no change, a read under lock).
    Discard(T),
}

/// [`finish`] for work that may also succeed by discarding what it did.
async fn settle<T>(tx: Box<dyn SqlTransaction>, work: Result<Ending<T>, StoreError>) -> Result<T, StoreError> {
    match work {
        Ok(Ending::Commit(value)) => finish(tx, Ok(value)).await,
        Ok(Ending::Discard(value)) => {
            tx.rollback().await?;
            Ok(value)
        }
        Err(error) => finish(tx, Err(error)).await,
    }
}

impl SqlStore {
    /// Inserts a uniquely named record (customer, skill) with its event and, when given, its
    /// idempotency record, in one transaction.
    /// `counter`, when given, is the version the record's creation counts up (the catalog's);
    /// the event is stamped with the value it reached. `value` builds the result from the event.
    async fn create_named<T>(
        &self,
        at: OffsetDateTime,
        named: Named<'_>,
        event: &ChangeEvent,
        idempotency: Option<IdempotencyClaim<'_, T>>,
        counter: Option<&'static str>,
        value: impl FnOnce(ChangeEvent) -> T + Send,
    ) -> Result<Created<T>, StoreError> {
        let mut tx = self.executor.begin().await?;
        let work = async {
            if let Some(claim) = &idempotency
                && let Some(answer) = claim_key(tx.as_mut(), claim, at).await?
            {
                return answer.map(Created::Replay);
            }
            if tx.execute(named.insert.0, named.insert.1).await? != 1 {
                let rows = tx.query(named.existing, &params!["name_key" => named.key]).await?;
                let existing_id = rows.first().map(|r| r.uuid("id")).transpose()?;
                return Err(StoreError::Duplicate {
                    what: named.what,
                    existing_id,
                });
            }
            let mut event = event.clone();
            if let Some(counter) = counter {
                event.aggregate_version = bump_version(tx.as_mut(), counter, &[])
                    .await?
                    .ok_or_else(|| DbError::Other("the version counter is missing (run the migrations)".into()))?;
            }
            insert_event(tx.as_mut(), &event).await?;
            let value = value(event);
            if let Some(claim) = &idempotency {
                complete_key(tx.as_mut(), claim, &value).await?;
            }
            Ok(Created::New(value))
        }
        .await;
        finish(tx, work).await
    }

    /// Wraps an executor (Data API, PostgreSQL or SQLite).
    pub fn new(executor: Arc<dyn SqlExecutor>) -> Self {
        SqlStore { executor }
    }

    /// The executor, for migrations.
    pub fn executor(&self) -> &Arc<dyn SqlExecutor> {
        &self.executor
    }
}

pub(super) fn parse_enum<T>(text: String, parse: impl Fn(&str) -> Option<T>, what: &str) -> Result<T, DbError> {
    parse(&text).ok_or_else(|| DbError::Decode(format!("unknown {what} {text:?}")))
}

fn specific_days_json(days: &[Date]) -> String {
    serde_json::to_string(
        &days
            .iter()
            .map(|d| d.format(DATE_FORMAT).unwrap_or_default())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into())
}

fn timeline_from_row(row: &Row) -> Result<Option<Timeline>, DbError> {
    let Some(start_date) = row.opt_date("start_date")? else {
        return Ok(None);
    };
    let days: Vec<String> = match row.opt_text("specific_days")? {
        Some(text) => serde_json::from_str(&text).map_err(|e| DbError::Decode(e.to_string()))?,
        None => Vec::new(),
    };
    let specific_days = days
        .iter()
        .map(|d| Date::parse(d, DATE_FORMAT).map_err(|e| DbError::Decode(e.to_string())))
        .collect::<Result<_, _>>()?;
    Ok(Some(Timeline {
        start_date,
        end_date: row.opt_date("end_date")?,
        duration_days: row.opt_int("duration_days")?,
        flexible: row.opt_bool("flexible")?.unwrap_or(false),
        specific_days,
    }))
}

fn money_from_row(row: &Row) -> Result<Money, DbError> {
    Ok(Money::from_stored(
        row.decimal("arr_amount")?,
        row.text("arr_currency")?,
    ))
}

pub(super) fn opportunity_from_row(
    row: &Row,
    skill_requirements: Vec<SkillRequirement>,
) -> Result<Opportunity, DbError> {
    Ok(Opportunity {
        id: row.uuid("id")?,
        owner_sub: row.text("owner_sub")?,
        customer: CustomerRef {
            id: row.uuid("customer_id")?,
            name: row.text("customer_name")?,
        },
        title: row.text("title")?,
        description: row.text("description")?,
        priority: parse_enum(row.text("priority")?, Priority::parse, "priority")?,
        annual_recurring_revenue: money_from_row(row)?,
        timeline: timeline_from_row(row)?,
        problem_statement: row
            .opt_text("problem_statement")?
            .map(|markdown| ProblemStatement { markdown }),
        skill_requirements,
        status: parse_enum(row.text("status")?, Status::parse, "status")?,
        status_before_cancel: row
            .opt_text("status_before_cancel")?
            .map(|s| parse_enum(s, Status::parse, "status"))
            .transpose()?,
        cancelled_at: row.opt_timestamp("cancelled_at")?,
        version: row.int("version")?,
        created_at: row.timestamp("created_at")?,
        updated_at: row.timestamp("updated_at")?,
        owner_name: row.opt_text("owner_name")?,
    })
}

/// The opportunity and its attachments from the rows of [`sql::SELECT_OPPORTUNITY_VIEW`].
fn view_from_rows(rows: &[Row]) -> Result<Option<(Opportunity, Vec<Attachment>)>, StoreError> {
    let part = |row: &Row, name: &str| row.text("part").is_ok_and(|p| p == name);
    let Some(row) = rows.iter().find(|r| part(r, "opportunity")) else {
        return Ok(None);
    };
    let mut requirements = rows
        .iter()
        .filter(|r| part(r, "requirement"))
        .map(|r| Ok((r.int("position")?, requirement_from_row(r)?)))
        .collect::<Result<Vec<_>, DbError>>()?;
    requirements.sort_by_key(|(position, _)| *position);
    let mut attachments = rows
        .iter()
        .filter(|r| part(r, "attachment"))
        .map(|r| attachment_from_columns(r, "a_"))
        .collect::<Result<Vec<_>, DbError>>()?;
    attachments.sort_by_key(|a| (a.created_at, a.id));
    let opportunity = opportunity_from_row(row, requirements.into_iter().map(|(_, r)| r).collect())?;
    Ok(Some((opportunity, attachments)))
}

fn summary_from_row(row: &Row) -> Result<OpportunitySummary, DbError> {
    Ok(OpportunitySummary {
        id: row.uuid("id")?,
        owner_sub: row.text("owner_sub")?,
        customer: CustomerRef {
            id: row.uuid("customer_id")?,
            name: row.text("customer_name")?,
        },
        title: row.text("title")?,
        priority: parse_enum(row.text("priority")?, Priority::parse, "priority")?,
        status: parse_enum(row.text("status")?, Status::parse, "status")?,
        annual_recurring_revenue: money_from_row(row)?,
        start_date: row.opt_date("start_date")?,
        start_date_key: row.date("start_date_key")?,
        version: row.int("version")?,
        created_at: row.timestamp("created_at")?,
        updated_at: row.timestamp("updated_at")?,
        owner_name: row.opt_text("owner_name")?,
    })
}

pub(super) fn requirement_from_row(row: &Row) -> Result<SkillRequirement, DbError> {
    let skill = match row.opt_uuid("skill_id")? {
        Some(id) => SkillRef::Catalog {
            id,
            name: row.opt_text("skill_name")?,
        },
        None => SkillRef::Custom(row.opt_text("custom_name")?.unwrap_or_default()),
    };
    Ok(SkillRequirement {
        skill,
        category: parse_enum(row.text("category")?, SkillCategory::parse, "category")?,
        importance: parse_enum(row.text("importance")?, Importance::parse, "importance")?,
        min_proficiency: parse_enum(row.text("min_proficiency")?, Proficiency::parse, "proficiency")?,
    })
}

/// The column values of an opportunity, shared by INSERT and UPDATE.
fn opportunity_params(o: &Opportunity) -> Vec<Param> {
    let timeline = o.timeline.as_ref();
    Vec::from(params![
        "id" => o.id,
        "customer_id" => o.customer.id,
        "title" => &o.title,
        "description" => &o.description,
        "priority" => o.priority.as_str(),
        "priority_rank" => o.priority.rank(),
        "arr_amount" => o.annual_recurring_revenue.amount,
        "arr_currency" => &o.annual_recurring_revenue.currency,
        "start_date" => timeline.map(|t| t.start_date),
        "end_date" => timeline.and_then(|t| t.end_date),
        "duration_days" => timeline.and_then(|t| t.duration_days),
        "flexible" => timeline.map(|t| t.flexible),
        "specific_days" => timeline.map(|t| specific_days_json(&t.specific_days)),
        "start_date_key" => timeline.map_or(NO_START_DATE, |t| t.start_date),
        "problem_statement" => o.problem_statement.as_ref().map(|p| p.markdown.clone()),
        "status" => o.status.as_str(),
        "status_before_cancel" => o.status_before_cancel.map(|s| s.as_str()),
        "cancelled_at" => o.cancelled_at,
        "version" => o.version,
        "updated_at" => o.updated_at,
    ])
}

/// Every requirement in one batch (one Data API call, whatever their number).
async fn insert_requirements(tx: &mut dyn SqlTransaction, o: &Opportunity) -> Result<(), StoreError> {
    let sets: Vec<Vec<Param>> = o
        .skill_requirements
        .iter()
        .enumerate()
        .map(|(position, requirement)| {
            let (skill_id, custom_name) = match &requirement.skill {
                SkillRef::Catalog { id, .. } => (Some(*id), None),
                SkillRef::Custom(name) => (None, Some(name.clone())),
            };
            Vec::from(params![
                "opportunity_id" => o.id,
                "position" => position as i64,
                "skill_id" => skill_id,
                "custom_name" => custom_name,
                "category" => requirement.category.as_str(),
                "importance" => requirement.importance.as_str(),
                "min_proficiency" => requirement.min_proficiency.as_str(),
            ])
        })
        .collect();
    match tx.execute_batch(sql::INSERT_SKILL_REQUIREMENT, &sets).await {
        Err(DbError::ForeignKeyViolation(_)) => Err(StoreError::UnknownReference("skill")),
        other => Ok(other?),
    }
}

/// Every history record in one batch, in order (each takes the next sequence number).
async fn insert_history(
    tx: &mut dyn SqlTransaction,
    opportunity_id: Uuid,
    entries: &[HistoryEntry],
) -> Result<(), StoreError> {
    let sets: Vec<Vec<Param>> = entries.iter().map(|e| history_params(opportunity_id, e)).collect();
    tx.execute_batch(sql::INSERT_HISTORY, &sets).await?;
    Ok(())
}

fn history_params(opportunity_id: Uuid, entry: &HistoryEntry) -> Vec<Param> {
    let (kind, from, to, field, old, new) = match &entry.change {
        Change::Status { from, to } => ("status", from.map(|s| s.as_str()), Some(to.as_str()), None, None, None),
        Change::Field { field, old, new } => (
            "field",
            None,
            None,
            Some(field.clone()),
            old.as_ref().map(serde_json::Value::to_string),
            Some(new.to_string()),
        ),
    };
    Vec::from(params![
        "opportunity_id" => opportunity_id,
        "kind" => kind,
        "at" => entry.at,
        "actor" => &entry.actor,
        "from_status" => from,
        "to_status" => to,
        "field" => field,
        "old_value" => old,
        "new_value" => new,
        "reason" => entry.reason.clone(),
    ])
}

/// Counts a version up (`UPDATE ... RETURNING version`): the new value, `None` without the row.
async fn bump_version(
    tx: &mut dyn SqlTransaction,
    statement: &'static str,
    params: &[Param],
) -> Result<Option<i64>, StoreError> {
    let rows = tx.query(statement, params).await?;
    Ok(rows.first().map(|r| r.int("version")).transpose()?)
}

/// Counts up the opportunity's version for an attachment change and stamps the event with it.
/// Taken first in every attachment transaction: the row lock orders concurrent changes.
pub(super) async fn stamp_opportunity(
    tx: &mut dyn SqlTransaction,
    event: &ChangeEvent,
) -> Result<Option<ChangeEvent>, StoreError> {
    let Some(version) = bump_version(tx, sql::BUMP_OPPORTUNITY_VERSION, &params!["id" => event.aggregate_id]).await?
    else {
        return Ok(None);
    };
    let mut stamped = event.clone();
    stamped.aggregate_version = version;
    Ok(Some(stamped))
}

pub(super) async fn insert_event(tx: &mut dyn SqlTransaction, event: &ChangeEvent) -> Result<(), StoreError> {
    insert_events(tx, std::slice::from_ref(event)).await
}

/// Every event in one batch (one Data API call).
async fn insert_events(tx: &mut dyn SqlTransaction, events: &[ChangeEvent]) -> Result<(), StoreError> {
    let sets = events
        .iter()
        .map(|event| {
            let payload = serde_json::to_string(event).map_err(|e| DbError::Other(e.to_string()))?;
            Ok(Vec::from(params![
                "id" => event.id,
                "event_type" => event.event_type.as_str(),
                "aggregate_id" => event.aggregate_id,
                "aggregate_version" => event.aggregate_version,
                "occurred_at" => event.occurred_at,
                "payload" => payload,
            ]))
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    tx.execute_batch(sql::INSERT_OUTBOX_EVENT, &sets).await?;
    Ok(())
}

/// Claims the key inside `tx`. `Ok(None)`: claimed, go on. `Ok(Some(..))`: seen before, the
/// transaction must be abandoned and this answer given.
async fn claim_key<T>(
    tx: &mut dyn SqlTransaction,
    claim: &IdempotencyClaim<'_, T>,
    now: OffsetDateTime,
) -> Result<Option<Result<StoredResponse, StoreError>>, StoreError> {
    let claimed = tx
        .execute(
            sql::CLAIM_IDEMPOTENCY_KEY,
            &params![
                "caller_sub" => claim.caller_sub,
                "idempotency_key" => claim.key,
                "request_hash" => claim.request_hash,
                "now" => now,
                "expires_at" => claim.expires_at,
            ],
        )
        .await?;
    if claimed == 1 {
        return Ok(None);
    }
    let rows = tx
        .query(
            sql::SELECT_IDEMPOTENCY_RECORD,
            &params!["caller_sub" => claim.caller_sub, "idempotency_key" => claim.key],
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| DbError::Other("idempotency record vanished".into()))?;
    if row.text("request_hash")? != claim.request_hash {
        return Ok(Some(Err(StoreError::IdempotencyMismatch)));
    }
    let headers: Vec<(String, String)> =
        serde_json::from_str(&row.text("response_headers")?).map_err(|e| DbError::Decode(e.to_string()))?;
    Ok(Some(Ok(StoredResponse {
        status: row.int("status_code")? as u16,
        headers,
        body: row.text("response_body")?,
    })))
}

async fn complete_key<T>(
    tx: &mut dyn SqlTransaction,
    claim: &IdempotencyClaim<'_, T>,
    created: &T,
) -> Result<(), StoreError> {
    let response = (claim.render)(created);
    let headers = serde_json::to_string(&response.headers).map_err(|e| DbError::Other(e.to_string()))?;
    tx.execute(
        sql::COMPLETE_IDEMPOTENCY_KEY,
        &params![
            "status_code" => i64::from(response.status),
            "response_headers" => headers,
            "response_body" => response.body,
            "caller_sub" => claim.caller_sub,
            "idempotency_key" => claim.key,
        ],
    )
    .await?;
    Ok(())
}

/// `%text%` for LIKE, with the pattern characters escaped, lower-cased.
fn like_pattern(text: Option<&str>) -> String {
    match text {
        Some(t) => {
            let escaped = t
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        }
        None => String::new(),
    }
}

pub(super) fn customer_from_row(row: &Row) -> Result<Customer, DbError> {
    Ok(Customer {
        id: row.uuid("id")?,
        name: row.text("name")?,
        created_at: row.timestamp("created_at")?,
    })
}

pub(super) fn skill_from_row(row: &Row) -> Result<Skill, DbError> {
    Ok(Skill {
        id: row.uuid("id")?,
        name: row.text("name")?,
        category: parse_enum(row.text("category")?, SkillCategory::parse, "category")?,
        description: row.opt_text("description")?,
        created_at: row.timestamp("created_at")?,
    })
}

fn page_after(after: Option<(&str, Uuid)>) -> (bool, String, Uuid) {
    match after {
        Some((key, id)) => (false, key.to_owned(), id),
        None => (true, String::new(), Uuid::nil()),
    }
}

fn history_params_of(id: Uuid, after_seq: i64, limit: i64) -> Vec<Param> {
    Vec::from(params![
        "opportunity_id" => id,
        "after_seq" => after_seq,
        "limit" => limit,
        "limit_plus_one" => limit.saturating_add(1),
        "max_page_bytes" => HISTORY_PAGE_MAX_BYTES,
    ])
}

/// A page of history from the rows of [`sql::SELECT_HISTORY`] (one per record).
fn history_page_from(rows: &[Row]) -> Result<HistoryPage, StoreError> {
    let more = match rows.first() {
        Some(row) => usize::try_from(row.int("candidates")?).unwrap_or(0) > rows.len(),
        None => false,
    };
    let parse_json = |text: Option<String>| -> Result<Option<serde_json::Value>, DbError> {
        text.map(|t| serde_json::from_str(&t).map_err(|e| DbError::Decode(e.to_string())))
            .transpose()
    };
    let items = rows
        .iter()
        .map(|row| {
            let kind = match row.text("kind")?.as_str() {
                "status" => HistoryKind::Status,
                _ => HistoryKind::Field,
            };
            Ok(HistoryItem {
                seq: row.int("seq")?,
                kind,
                at: row.timestamp("at")?,
                actor: row.text("actor")?,
                from: row
                    .opt_text("from_status")?
                    .map(|s| parse_enum(s, Status::parse, "status"))
                    .transpose()?,
                to: row
                    .opt_text("to_status")?
                    .map(|s| parse_enum(s, Status::parse, "status"))
                    .transpose()?,
                field: row.opt_text("field")?,
                old: parse_json(row.opt_text("old_value")?)?,
                new: parse_json(row.opt_text("new_value")?)?,
                reason: row.opt_text("reason")?,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok(HistoryPage { items, more })
}

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
                && let Some(answer) = claim_key(tx.as_mut(), claim, new.opportunity.created_at).await?
            {
                return answer.map(Created::Replay);
            }
            let mut opportunity = new.opportunity;
            opportunity.customer = match new.customer {
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
                                "created_by" => &opportunity.owner_sub,
                                "created_at" => opportunity.created_at,
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
            insert_requirements(tx.as_mut(), &opportunity).await?;
            insert_history(tx.as_mut(), opportunity.id, std::slice::from_ref(&new.history)).await?;
            insert_event(tx.as_mut(), &new.event).await?;
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
            if update.skill_requirements_changed {
                tx.execute(sql::DELETE_SKILL_REQUIREMENTS, &params!["opportunity_id" => o.id])
                    .await?;
                insert_requirements(tx.as_mut(), o).await?;
            }
            insert_history(tx.as_mut(), o.id, &update.history).await?;
            insert_events(tx.as_mut(), &update.events).await?;
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

#[async_trait]
impl OutboxStore for SqlStore {
    async fn unpublished(&self, limit: i64) -> Result<Vec<ChangeEvent>, StoreError> {
        let rows = self
            .executor
            .query(sql::SELECT_UNPUBLISHED_EVENTS, &params!["limit" => limit])
            .await?;
        rows.iter()
            .map(|row| {
                serde_json::from_str(&row.text("payload")?).map_err(|e| StoreError::Db(DbError::Decode(e.to_string())))
            })
            .collect()
    }

    /// One batch (one Data API call) for every event.
    async fn mark_published(&self, ids: &[Uuid], at: OffsetDateTime) -> Result<(), StoreError> {
        let sets: Vec<Vec<Param>> = ids
            .iter()
            .map(|id| Vec::from(params!["published_at" => at, "id" => *id]))
            .collect();
        self.executor.execute_batch(sql::MARK_EVENT_PUBLISHED, &sets).await?;
        Ok(())
    }

    async fn was_applied(&self, event_id: Uuid) -> Result<bool, StoreError> {
        Ok(!self
            .executor
            .query(sql::SELECT_PROCESSED_EVENT, &params!["event_id" => event_id])
            .await?
            .is_empty())
    }
}

#[async_trait]
impl CustomerStore for SqlStore {
    async fn customer(&self, id: Uuid) -> Result<Option<Customer>, StoreError> {
        let rows = self
            .executor
            .query(sql::SELECT_CUSTOMER_BY_ID, &params!["id" => id])
            .await?;
        Ok(rows.first().map(customer_from_row).transpose()?)
    }

    async fn list(
        &self,
        text: Option<&str>,
        after: Option<(&str, Uuid)>,
        limit: i64,
    ) -> Result<Vec<Customer>, StoreError> {
        let (first_page, after_key, after_id) = page_after(after);
        let rows = self
            .executor
            .query(
                sql::LIST_CUSTOMERS,
                &params![
                    "any_text" => text.is_none(),
                    "pattern" => like_pattern(text),
                    "first_page" => first_page,
                    "after_key" => after_key,
                    "after_id" => after_id,
                    "limit" => limit + 1,
                ],
            )
            .await?;
        Ok(rows.iter().map(customer_from_row).collect::<Result<_, _>>()?)
    }

    async fn create(
        &self,
        customer: Customer,
        created_by: &str,
        event: ChangeEvent,
        idempotency: Option<IdempotencyClaim<'_, Customer>>,
    ) -> Result<Created<Customer>, StoreError> {
        let key = name_key(&customer.name);
        let insert = params![
            "id" => customer.id,
            "name" => &customer.name,
            "name_key" => &key,
            "created_by" => created_by,
            "created_at" => customer.created_at,
        ];
        let named = Named {
            insert: (sql::INSERT_CUSTOMER_IF_NEW, &insert),
            existing: sql::SELECT_CUSTOMER_BY_NAME_KEY,
            key: &key,
            what: "customer",
        };
        let at = customer.created_at;
        self.create_named(at, named, &event, idempotency, None, move |_| customer)
            .await
    }
}

#[async_trait]
impl SkillStore for SqlStore {
    async fn list(&self, after: Option<(&str, Uuid)>, limit: i64) -> Result<Vec<Skill>, StoreError> {
        let (first_page, after_key, after_id) = page_after(after);
        let rows = self
            .executor
            .query(
                sql::LIST_SKILLS,
                &params!["first_page" => first_page, "after_key" => after_key, "after_id" => after_id, "limit" => limit + 1],
            )
            .await?;
        Ok(rows.iter().map(skill_from_row).collect::<Result<_, _>>()?)
    }

    async fn get_many(&self, ids: &[Uuid]) -> Result<Vec<Skill>, StoreError> {
        // One statement per 50 ids (an opportunity has at most 50 requirements, so one call).
        let mut found = Vec::new();
        for chunk in ids.chunks(sql::SKILLS_BY_ID_SLOTS.len()) {
            let params: Vec<Param> = sql::SKILLS_BY_ID_SLOTS
                .iter()
                .enumerate()
                .map(|(i, name)| Param {
                    name,
                    value: chunk.get(i).copied().map_or(SqlValue::Null, SqlValue::Uuid),
                })
                .collect();
            let rows = self.executor.query(sql::SELECT_SKILLS_BY_ID, &params).await?;
            for row in &rows {
                let skill = skill_from_row(row)?;
                if !found.iter().any(|s: &Skill| s.id == skill.id) {
                    found.push(skill);
                }
            }
        }
        Ok(found)
    }

    async fn create(
        &self,
        skill: Skill,
        created_by: Option<&str>,
        event: ChangeEvent,
        idempotency: Option<IdempotencyClaim<'_, WithEvent<Skill>>>,
    ) -> Result<Created<WithEvent<Skill>>, StoreError> {
        let key = name_key(&skill.name);
        let insert = params![
            "id" => skill.id,
            "name" => &skill.name,
            "name_key" => &key,
            "category" => skill.category.as_str(),
            "description" => skill.description.clone(),
            "created_at" => skill.created_at,
            "created_by" => created_by,
        ];
        let named = Named {
            insert: (sql::INSERT_SKILL_IF_NEW, &insert),
            existing: sql::SELECT_SKILL_BY_NAME_KEY,
            key: &key,
            what: "skill",
        };
        let at = skill.created_at;
        self.create_named(
            at,
            named,
            &event,
            idempotency,
            Some(sql::BUMP_CATALOG_VERSION),
            move |stamped| (skill, stamped),
        )
        .await
    }

    async fn catalog_version(&self) -> Result<i64, StoreError> {
        let rows = self.executor.query(sql::SELECT_CATALOG_VERSION, &[]).await?;
        let row = rows
            .first()
            .ok_or_else(|| DbError::Other("the catalog version counter is missing (run the migrations)".into()))?;
        Ok(row.int("version")?)
    }
}

pub(super) fn attachment_from_row(row: &Row) -> Result<Attachment, DbError> {
    attachment_from_columns(row, "")
}

/// An attachment from its columns, named with `prefix` (the opportunity view's `a_`).
fn attachment_from_columns(row: &Row, prefix: &str) -> Result<Attachment, DbError> {
    use crate::domain::attachment::AttachmentStatus;
    let c = |name: &str| format!("{prefix}{name}");
    Ok(Attachment {
        id: row.uuid(&c("id"))?,
        opportunity_id: row.uuid(&c("opportunity_id"))?,
        owner_sub: row.text(&c("owner_sub"))?,
        file_name: row.text(&c("file_name"))?,
        content_type: row.text(&c("content_type"))?,
        size_bytes: row.int(&c("size_bytes"))?,
        sha256: row.opt_text(&c("sha256"))?,
        object_key: row.text(&c("object_key"))?,
        status: parse_enum(row.text(&c("status"))?, AttachmentStatus::parse, "attachment status")?,
        rejection_reason: row.opt_text(&c("rejection_reason"))?,
        created_at: row.timestamp(&c("created_at"))?,
        upload_expires_at: row.timestamp(&c("upload_expires_at"))?,
        completed_at: row.opt_timestamp(&c("completed_at"))?,
    })
}

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
