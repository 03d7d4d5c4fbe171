use std::sync::Arc;

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::opportunity_changes::ChangeRows;
use super::statements as sql;
use crate::domain::attachment::Attachment;
use crate::domain::catalog::{Customer, Skill};
use crate::domain::events::ChangeEvent;
use crate::domain::history::{HistoryItem, HistoryKind};
use crate::domain::lifecycle::Status;
use crate::domain::money::Money;
use crate::domain::opportunity::{
    CustomerRef, Importance, Opportunity, Priority, ProblemStatement, Proficiency, SkillCategory, SkillRef,
    SkillRequirement, Timeline,
};
use crate::params;
use crate::ports::store::{Created, HistoryPage, IdempotencyClaim, OpportunitySummary, StoreError, StoredResponse};
use crate::sql::value::DATE_FORMAT;

/// The most text (old and new values, reasons) one page of history carries: with JSON escaping and
/// the Data API's field wrappers a page stays under its 1 MiB per response.
pub(super) const HISTORY_PAGE_MAX_BYTES: i64 = 384 * 1024;
use crate::sql::{DbError, Param, Row, SqlExecutor, SqlTransaction};

use crate::ports::store::NO_START_DATE;

/// The store ports over any SQL executor.
#[derive(Clone)]
pub struct SqlStore {
    pub(super) executor: Arc<dyn SqlExecutor>,
}

/// A record whose name must be unique: how to insert it and how to find the one that has its name.
pub(super) struct Named<'a> {
    pub(super) insert: (&'static str, &'a [Param]),
    pub(super) existing: &'static str,
    pub(super) key: &'a str,
    pub(super) what: &'static str,
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
pub(super) enum Ending<T> {
    /// Keep what it wrote.
    Commit(T),
    /// It turned out to have nothing to keep (a bump with no change, a read under lock).
    Discard(T),
}

/// [`finish`] for work that may also succeed by discarding what it did.
pub(super) async fn settle<T>(
    tx: Box<dyn SqlTransaction>,
    work: Result<Ending<T>, StoreError>,
) -> Result<T, StoreError> {
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
    pub(super) async fn create_named<T>(
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

pub(super) fn specific_days_json(days: &[Date]) -> String {
    serde_json::to_string(
        &days
            .iter()
            .map(|d| d.format(DATE_FORMAT).unwrap_or_default())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into())
}

pub(super) fn timeline_from_row(row: &Row) -> Result<Option<Timeline>, DbError> {
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

pub(super) fn money_from_row(row: &Row) -> Result<Money, DbError> {
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
pub(super) fn view_from_rows(rows: &[Row]) -> Result<Option<(Opportunity, Vec<Attachment>)>, StoreError> {
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

pub(super) fn summary_from_row(row: &Row) -> Result<OpportunitySummary, DbError> {
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
pub(super) fn opportunity_params(o: &Opportunity) -> Vec<Param> {
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

/// Counts a version up (`UPDATE ... RETURNING version`): the new value, `None` without the row.
pub(super) async fn bump_version(
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

/// Events in one batch of the opportunity changes statement (one Data API call, which also
/// carries the writer's profile: see [`crate::store::privacy::RecordingWriter`]).
pub(super) async fn insert_events(tx: &mut dyn SqlTransaction, events: &[ChangeEvent]) -> Result<(), StoreError> {
    let mut rows = ChangeRows::new();
    rows.events(events)?;
    rows.write(tx).await
}

/// Claims the key inside `tx`. `Ok(None)`: claimed, go on. `Ok(Some(..))`: seen before, the
/// transaction must be abandoned and this answer given.
pub(super) async fn claim_key<T>(
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

pub(super) async fn complete_key<T>(
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
pub(super) fn like_pattern(text: Option<&str>) -> String {
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

pub(super) fn page_after(after: Option<(&str, Uuid)>) -> (bool, String, Uuid) {
    match after {
        Some((key, id)) => (false, key.to_owned(), id),
        None => (true, String::new(), Uuid::nil()),
    }
}

pub(super) fn history_params_of(id: Uuid, after_seq: i64, limit: i64) -> Vec<Param> {
    Vec::from(params![
        "opportunity_id" => id,
        "after_seq" => after_seq,
        "limit" => limit,
        "limit_plus_one" => limit.saturating_add(1),
        "max_page_bytes" => HISTORY_PAGE_MAX_BYTES,
    ])
}

/// A page of history from the rows of [`sql::SELECT_HISTORY`] (one per record).
pub(super) fn history_page_from(rows: &[Row]) -> Result<HistoryPage, StoreError> {
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
                actor_name: row.opt_text("actor_name")?,
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

pub(super) fn attachment_from_row(row: &Row) -> Result<Attachment, DbError> {
    attachment_from_columns(row, "")
}

/// An attachment from its columns, named with `prefix` (the opportunity view's `a_`).
pub(super) fn attachment_from_columns(row: &Row, prefix: &str) -> Result<Attachment, DbError> {
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
