//! The user directory, GDPR access and erasure, and the audit log over any SQL executor; and the
//! executor that records the writer's profile in the transaction of each write.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::privacy_sql as sql;
use super::sql_store::{
    attachment_from_row, customer_from_row, finish, opportunity_from_row, parse_enum, requirement_from_row,
    skill_from_row,
};
use crate::domain::history::{HistoryItem, HistoryKind};
use crate::domain::lifecycle::Status;
use crate::domain::privacy::{ERASED_TEXT, UserProfile, contains_pattern, identifiers, scrub, scrub_json};
use crate::params;
use crate::ports::privacy::{
    AuditEvent, Erasure, ErasureCounts, ErasureRequest, PrivacyStore, SubjectHistory, SubjectRecords, UserDirectory,
};
use crate::ports::store::StoreError;
use crate::sql::{DbError, Dialect, Param, Row, SqlExecutor, SqlTransaction, SqlValue};

/// Long text one page of opportunities or history carries (as the history endpoint's pages).
const PAGE_MAX_BYTES: i64 = 384 * 1024;
/// Opportunities or history records per page (before the byte cut).
const LONG_PAGE: i64 = 20;
/// Customers, skills, attachments or audit entries per page: short rows.
const SHORT_PAGE: i64 = 200;
/// Rows whose texts are rewritten per page of an erasure (a problem statement can be 120 KB).
const SCRUB_PAGE: i64 = 5;

/// The verified caller of a write, as the directory records them.
#[derive(Debug, Clone)]
pub struct SeenWriter {
    /// `sub`.
    pub sub: String,
    /// E-mail address from the token.
    pub email: Option<String>,
    /// Name from the token.
    pub name: Option<String>,
    /// Groups from the token.
    pub groups: Vec<String>,
    /// When the write happened.
    pub at: OffsetDateTime,
}

impl SeenWriter {
    fn params(&self) -> [Param; 5] {
        let groups = serde_json::to_string(&self.groups).unwrap_or_else(|_| "[]".into());
        params![
            "sub" => &self.sub,
            "email" => self.email.clone(),
            "name" => self.name.clone(),
            "group_names" => groups,
            "seen_at" => self.at,
        ]
    }
}

/// An executor whose transactions record the writer's profile just before they commit: one
/// `INSERT ... ON CONFLICT DO UPDATE` in the write's own transaction, so the profile is written
/// exactly when a write is kept, never on reads (a read's transaction is rolled back) and never as
/// a round trip after the write. Statements outside transactions pass through unchanged.
pub struct RecordingWriter {
    inner: Arc<dyn SqlExecutor>,
    writer: SeenWriter,
}

impl RecordingWriter {
    /// Wraps `inner` for one request of `writer`.
    pub fn new(inner: Arc<dyn SqlExecutor>, writer: SeenWriter) -> Self {
        RecordingWriter { inner, writer }
    }
}

struct RecordingTransaction {
    inner: Box<dyn SqlTransaction>,
    writer: SeenWriter,
    /// Whether the profile went in with the write's batch of opportunity changes already.
    recorded: bool,
}

#[async_trait]
impl SqlTransaction for RecordingTransaction {
    async fn query(&mut self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        self.inner.query(sql, params).await
    }
    async fn execute(&mut self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        self.inner.execute(sql, params).await
    }
    /// An opportunity write's batch of child rows carries the profile as one row more, which
    /// saves the upsert's own Data API call.
    async fn execute_batch(&mut self, sql: &'static str, sets: &[Vec<Param>]) -> Result<(), DbError> {
        if sql == super::statements::INSERT_OPPORTUNITY_CHANGES && !self.recorded {
            let mut with_profile = sets.to_vec();
            with_profile.push(super::opportunity_changes::profile_row(self.writer.params()));
            self.inner.execute_batch(sql, &with_profile).await?;
            self.recorded = true;
            return Ok(());
        }
        self.inner.execute_batch(sql, sets).await
    }
    async fn commit(mut self: Box<Self>) -> Result<(), DbError> {
        if self.recorded {
            return self.inner.commit().await;
        }
        if let Err(error) = self.inner.execute(sql::UPSERT_PROFILE, &self.writer.params()).await {
            if let Err(rollback) = self.inner.rollback().await {
                tracing::warn!(error = %rollback, "rollback after a failed profile write failed");
            }
            return Err(error);
        }
        self.inner.commit().await
    }
    async fn rollback(self: Box<Self>) -> Result<(), DbError> {
        self.inner.rollback().await
    }
}

#[async_trait]
impl SqlExecutor for RecordingWriter {
    async fn query(&self, sql: &'static str, params: &[Param]) -> Result<Vec<Row>, DbError> {
        self.inner.query(sql, params).await
    }
    async fn execute(&self, sql: &'static str, params: &[Param]) -> Result<u64, DbError> {
        self.inner.execute(sql, params).await
    }
    async fn execute_batch(&self, sql: &'static str, sets: &[Vec<Param>]) -> Result<(), DbError> {
        self.inner.execute_batch(sql, sets).await
    }
    async fn begin(&self) -> Result<Box<dyn SqlTransaction>, DbError> {
        Ok(Box::new(RecordingTransaction {
            inner: self.inner.begin().await?,
            writer: self.writer.clone(),
            recorded: false,
        }))
    }
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }
}

/// The privacy ports over one SQL database.
#[derive(Clone)]
pub struct SqlPrivacy {
    executor: Arc<dyn SqlExecutor>,
}

impl SqlPrivacy {
    /// Wraps an executor (Data API, PostgreSQL or SQLite).
    pub fn new(executor: Arc<dyn SqlExecutor>) -> Self {
        SqlPrivacy { executor }
    }
}

fn decode(e: impl std::fmt::Display) -> DbError {
    DbError::Decode(e.to_string())
}

fn profile_from_row(row: &Row) -> Result<UserProfile, DbError> {
    let groups: Vec<String> = serde_json::from_str(&row.text("group_names")?).map_err(decode)?;
    Ok(UserProfile {
        id: row.text("sub")?,
        email: row.opt_text("email")?,
        name: row.opt_text("name")?,
        groups,
        first_seen_at: Some(row.timestamp("first_seen_at")?),
        last_seen_at: Some(row.timestamp("last_seen_at")?),
    })
}

fn audit_from_row(row: &Row) -> Result<AuditEvent, DbError> {
    Ok(AuditEvent {
        id: row.uuid("id")?,
        at: row.timestamp("at")?,
        actor_id: row.text("actor_id")?,
        action: row.text("action")?,
        subject_id: row.text("subject_id")?,
        details: serde_json::from_str(&row.text("details")?).map_err(decode)?,
    })
}

fn history_from_row(row: &Row) -> Result<SubjectHistory, DbError> {
    let parse_json = |text: Option<String>| -> Result<Option<Value>, DbError> {
        text.map(|t| serde_json::from_str(&t).map_err(decode)).transpose()
    };
    let status = |text: Option<String>| text.map(|s| parse_enum(s, Status::parse, "status")).transpose();
    Ok(SubjectHistory {
        opportunity_id: row.uuid("opportunity_id")?,
        item: HistoryItem {
            seq: row.int("seq")?,
            kind: match row.text("kind")?.as_str() {
                "status" => HistoryKind::Status,
                _ => HistoryKind::Field,
            },
            at: row.timestamp("at")?,
            actor: row.text("actor")?,
            // The export is the subject's own history: the actor is the subject.
            actor_name: None,
            from: status(row.opt_text("from_status")?)?,
            to: status(row.opt_text("to_status")?)?,
            field: row.opt_text("field")?,
            old: parse_json(row.opt_text("old_value")?)?,
            new: parse_json(row.opt_text("new_value")?)?,
            reason: row.opt_text("reason")?,
        },
    })
}

/// Whether a size-cut page was cut short: more rows were considered than it holds.
fn more_follow(rows: &[Row]) -> Result<bool, DbError> {
    Ok(match rows.first() {
        Some(row) => usize::try_from(row.int("candidates")?).unwrap_or(0) > rows.len(),
        None => false,
    })
}

/// The JSON text of a string as it appears inside a JSON document, without the quotes.
fn json_inner(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or_default()
        .to_owned()
}

/// The LIKE patterns of the identifiers to look for (`first`, `second`; the second repeats the
/// first when there is one only).
fn mention_params(found: &[String]) -> Vec<Param> {
    let first = found.first().cloned().unwrap_or_default();
    let second = found.get(1).cloned().unwrap_or_else(|| first.clone());
    Vec::from(params![
        "first_lower" => contains_pattern(&first.to_lowercase()),
        "first" => contains_pattern(&first),
        "second_lower" => contains_pattern(&second.to_lowercase()),
        "second" => contains_pattern(&second),
    ])
}

impl SqlPrivacy {
    async fn page_opportunities(&self, sub: &str, records: &mut SubjectRecords) -> Result<(), StoreError> {
        let mut after: Option<(OffsetDateTime, Uuid)> = None;
        loop {
            let (after_at, after_id) = after.unwrap_or((OffsetDateTime::UNIX_EPOCH, Uuid::nil()));
            let rows = self
                .executor
                .query(
                    sql::EXPORT_OPPORTUNITIES,
                    &params![
                        "sub" => sub,
                        "first_page" => after.is_none(),
                        "after_created_at" => after_at,
                        "after_id" => after_id,
                        "limit" => LONG_PAGE,
                        "limit_plus_one" => LONG_PAGE + 1,
                        "max_page_bytes" => PAGE_MAX_BYTES,
                    ],
                )
                .await?;
            let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
                return Ok(());
            };
            let range = params![
                "sub" => sub,
                "from_created_at" => first.timestamp("created_at")?,
                "from_id" => first.uuid("id")?,
                "to_created_at" => last.timestamp("created_at")?,
                "to_id" => last.uuid("id")?,
            ];
            let requirement_rows = self.executor.query(sql::EXPORT_REQUIREMENTS, &range).await?;
            for row in &rows {
                let id = row.uuid("id")?;
                let mut requirements = Vec::new();
                for r in &requirement_rows {
                    if r.uuid("opportunity_id")? == id {
                        requirements.push(requirement_from_row(r)?);
                    }
                }
                records.opportunities.push(opportunity_from_row(row, requirements)?);
            }
            if rows.len() < LONG_PAGE as usize && !more_follow(&rows)? {
                return Ok(());
            }
            after = Some((last.timestamp("created_at")?, last.uuid("id")?));
        }
    }

    async fn page_history(&self, sub: &str, records: &mut SubjectRecords) -> Result<(), StoreError> {
        let mut after: Option<(Uuid, i64)> = None;
        loop {
            let (after_id, after_seq) = after.unwrap_or((Uuid::nil(), 0));
            let rows = self
                .executor
                .query(
                    sql::EXPORT_HISTORY,
                    &params![
                        "sub" => sub,
                        "first_page" => after.is_none(),
                        "after_id" => after_id,
                        "after_seq" => after_seq,
                        "limit" => LONG_PAGE,
                        "limit_plus_one" => LONG_PAGE + 1,
                        "max_page_bytes" => PAGE_MAX_BYTES,
                    ],
                )
                .await?;
            for row in &rows {
                records.history.push(history_from_row(row)?);
            }
            let Some(last) = records.history.last() else {
                return Ok(());
            };
            if rows.len() < LONG_PAGE as usize && !more_follow(&rows)? {
                return Ok(());
            }
            after = Some((last.opportunity_id, last.item.seq));
        }
    }

    /// Pages a short-row list keyed by (a timestamp column, id).
    async fn page_short<T>(
        &self,
        statement: &'static str,
        sub: &str,
        after_at_param: &'static str,
        parse: impl Fn(&Row) -> Result<T, DbError>,
        position: impl Fn(&T) -> (OffsetDateTime, Uuid),
    ) -> Result<Vec<T>, StoreError> {
        let mut all: Vec<T> = Vec::new();
        let mut after: Option<(OffsetDateTime, Uuid)> = None;
        loop {
            let (after_at, after_id) = after.unwrap_or((OffsetDateTime::UNIX_EPOCH, Uuid::nil()));
            let params = [
                Param {
                    name: "sub",
                    value: SqlValue::from(sub),
                },
                Param {
                    name: "first_page",
                    value: SqlValue::Bool(after.is_none()),
                },
                Param {
                    name: after_at_param,
                    value: SqlValue::Timestamp(after_at),
                },
                Param {
                    name: "after_id",
                    value: SqlValue::Uuid(after_id),
                },
                Param {
                    name: "limit",
                    value: SqlValue::Int(SHORT_PAGE),
                },
            ];
            let rows = self.executor.query(statement, &params).await?;
            let count = rows.len();
            for row in &rows {
                all.push(parse(row)?);
            }
            match all.last() {
                Some(last) if count == SHORT_PAGE as usize => after = Some(position(last)),
                _ => return Ok(all),
            }
        }
    }

    async fn count(&self, statement: &'static str, column: &str, params: &[Param]) -> Result<i64, StoreError> {
        let rows = self.executor.query(statement, params).await?;
        Ok(rows.first().map(|r| r.int(column)).transpose()?.unwrap_or(0))
    }
}

#[async_trait]
impl UserDirectory for SqlPrivacy {
    async fn profile(&self, sub: &str) -> Result<Option<UserProfile>, StoreError> {
        let rows = self.executor.query(sql::SELECT_PROFILE, &params!["sub" => sub]).await?;
        Ok(rows.first().map(profile_from_row).transpose()?)
    }
}

/// The parameters of a page of scrub candidates keyed by id: the person, the page's position and
/// size, and the mention patterns.
fn candidate_page(sub: &str, after: Option<Uuid>, limit: i64, mentions: &[Param]) -> Vec<Param> {
    let mut params = Vec::from(params![
        "sub" => sub,
        "first_page" => after.is_none(),
        "after_id" => after.unwrap_or_else(Uuid::nil),
        "limit" => limit,
    ]);
    params.extend(mentions.iter().cloned());
    params
}

/// Rewrites the person's free text inside the erasure's transaction; how many texts changed.
async fn scrub_texts(tx: &mut dyn SqlTransaction, sub: &str, found: &[String]) -> Result<u64, StoreError> {
    if found.is_empty() {
        return Ok(0);
    }
    let mentions = mention_params(found);
    let mut changed = 0u64;
    // Opportunities they own: title, description, problem statement.
    let mut after: Option<Uuid> = None;
    loop {
        let params = candidate_page(sub, after, SCRUB_PAGE, &mentions);
        let rows = tx.query(sql::SCRUB_OPPORTUNITY_CANDIDATES, &params).await?;
        for row in &rows {
            let title = row.text("title")?;
            let description = row.text("description")?;
            let problem = row.opt_text("problem_statement")?;
            let new_title = scrub(&title, found);
            let new_description = scrub(&description, found);
            let new_problem = problem.as_deref().and_then(|p| scrub(p, found));
            let n = [new_title.is_some(), new_description.is_some(), new_problem.is_some()]
                .iter()
                .filter(|c| **c)
                .count() as u64;
            if n > 0 {
                tx.execute(
                    sql::UPDATE_SCRUBBED_OPPORTUNITY,
                    &params![
                        "title" => new_title.unwrap_or(title),
                        "description" => new_description.unwrap_or(description),
                        "problem_statement" => new_problem.or(problem),
                        "id" => row.uuid("id")?,
                    ],
                )
                .await?;
                changed += n;
            }
        }
        match rows.last() {
            Some(last) if rows.len() == SCRUB_PAGE as usize => after = Some(last.uuid("id")?),
            _ => break,
        }
    }
    // History they made, or of opportunities they own: old and new values, reasons.
    let mut after: Option<(Uuid, i64)> = None;
    loop {
        let (after_id, after_seq) = after.unwrap_or((Uuid::nil(), 0));
        let mut params = Vec::from(params![
            "sub" => sub,
            "first_page" => after.is_none(),
            "after_id" => after_id,
            "after_seq" => after_seq,
            "limit" => SCRUB_PAGE,
        ]);
        params.extend(mentions.iter().cloned());
        let rows = tx.query(sql::SCRUB_HISTORY_CANDIDATES, &params).await?;
        for row in &rows {
            let json_text = |text: Option<String>| -> Result<(Option<String>, bool), StoreError> {
                let Some(text) = text else { return Ok((None, false)) };
                let value: Value = serde_json::from_str(&text).map_err(decode)?;
                Ok(match scrub_json(&value, found) {
                    Some(new) => (Some(new.to_string()), true),
                    None => (Some(text), false),
                })
            };
            let (old, old_changed) = json_text(row.opt_text("old_value")?)?;
            let (new, new_changed) = json_text(row.opt_text("new_value")?)?;
            let reason = row.opt_text("reason")?;
            let new_reason = reason.as_deref().and_then(|r| scrub(r, found));
            let n = [old_changed, new_changed, new_reason.is_some()]
                .iter()
                .filter(|c| **c)
                .count() as u64;
            if n > 0 {
                tx.execute(
                    sql::UPDATE_SCRUBBED_HISTORY,
                    &params![
                        "old_value" => old,
                        "new_value" => new,
                        "reason" => new_reason.or(reason),
                        "opportunity_id" => row.uuid("opportunity_id")?,
                        "seq" => row.int("seq")?,
                    ],
                )
                .await?;
                changed += n;
            }
        }
        match rows.last() {
            Some(last) if rows.len() == SCRUB_PAGE as usize => {
                after = Some((last.uuid("opportunity_id")?, last.int("seq")?));
            }
            _ => break,
        }
    }
    // File names of attachments they registered.
    let mut after: Option<Uuid> = None;
    loop {
        let params = candidate_page(sub, after, SHORT_PAGE, &mentions);
        let rows = tx.query(sql::SCRUB_ATTACHMENT_CANDIDATES, &params).await?;
        for row in &rows {
            if let Some(file_name) = scrub(&row.text("file_name")?, found) {
                tx.execute(
                    sql::UPDATE_SCRUBBED_ATTACHMENT,
                    &params!["file_name" => file_name, "id" => row.uuid("id")?],
                )
                .await?;
                changed += 1;
            }
        }
        match rows.last() {
            Some(last) if rows.len() == SHORT_PAGE as usize => after = Some(last.uuid("id")?),
            _ => break,
        }
    }
    Ok(changed)
}

async fn insert_audit(tx: &mut dyn SqlTransaction, event: &AuditEvent) -> Result<(), StoreError> {
    tx.execute(sql::INSERT_AUDIT_EVENT, &audit_params(event)).await?;
    Ok(())
}

fn audit_params(event: &AuditEvent) -> [Param; 6] {
    params![
        "id" => event.id,
        "at" => event.at,
        "actor_id" => &event.actor_id,
        "action" => &event.action,
        "subject_id" => &event.subject_id,
        "details" => event.details.to_string(),
    ]
}

#[async_trait]
impl PrivacyStore for SqlPrivacy {
    async fn subject_records(&self, sub: &str) -> Result<SubjectRecords, StoreError> {
        let mut records = SubjectRecords {
            profile: self.profile(sub).await?,
            ..SubjectRecords::default()
        };
        self.page_opportunities(sub, &mut records).await?;
        self.page_history(sub, &mut records).await?;
        records.customers = self
            .page_short(sql::EXPORT_CUSTOMERS, sub, "after_created_at", customer_from_row, |c| {
                (c.created_at, c.id)
            })
            .await?;
        records.skills = self
            .page_short(sql::EXPORT_SKILLS, sub, "after_created_at", skill_from_row, |s| {
                (s.created_at, s.id)
            })
            .await?;
        records.attachments = self
            .page_short(
                sql::EXPORT_ATTACHMENTS,
                sub,
                "after_created_at",
                attachment_from_row,
                |a| (a.created_at, a.id),
            )
            .await?;
        records.audit_events = self
            .page_short(sql::EXPORT_AUDIT_EVENTS, sub, "after_at", audit_from_row, |e| {
                (e.at, e.id)
            })
            .await?;
        records.idempotency_records = self
            .count(sql::COUNT_IDEMPOTENCY_RECORDS, "records", &params!["sub" => sub])
            .await?;
        let quoted = serde_json::to_string(sub).unwrap_or_default();
        records.outbox_events = self
            .count(
                sql::COUNT_OUTBOX_EVENTS,
                "events",
                &params!["payload_pattern" => contains_pattern(&quoted)],
            )
            .await?;
        Ok(records)
    }

    async fn erase(&self, request: &ErasureRequest) -> Result<Erasure, StoreError> {
        let sub = request.subject.as_str();
        let pseudonym = request.pseudonym.as_str();
        let mut tx = self.executor.begin().await?;
        let work = async {
            let profile_rows = tx.query(sql::SELECT_PROFILE, &params!["sub" => sub]).await?;
            let profile = profile_rows.first().map(profile_from_row).transpose()?;
            let found = identifiers(
                profile.as_ref().and_then(|p| p.email.as_deref()),
                profile.as_ref().and_then(|p| p.name.as_deref()),
            );
            let mut counts = ErasureCounts {
                texts_scrubbed: scrub_texts(tx.as_mut(), sub, &found).await?,
                ..ErasureCounts::default()
            };
            let rekey = params!["sub" => sub, "pseudonym" => pseudonym];
            let changed = tx.query(sql::REKEY_OPPORTUNITIES, &rekey).await?;
            let opportunities = changed
                .iter()
                .map(|r| Ok((r.uuid("id")?, r.int("version")?)))
                .collect::<Result<Vec<_>, DbError>>()?;
            counts.opportunities = opportunities.len() as u64;
            counts.history_records = tx.execute(sql::REKEY_HISTORY, &rekey).await?;
            counts.customers = tx.execute(sql::REKEY_CUSTOMERS, &rekey).await?;
            counts.skills = tx.execute(sql::REKEY_SKILLS, &rekey).await?;
            counts.attachments = tx.execute(sql::REKEY_ATTACHMENTS, &rekey).await?;
            let quoted_sub = serde_json::to_string(sub).map_err(decode)?;
            let email = profile.as_ref().and_then(|p| p.email.as_deref()).map(json_inner);
            let name = profile.as_ref().and_then(|p| p.name.as_deref()).map(json_inner);
            counts.outbox_events = tx
                .execute(
                    sql::REKEY_OUTBOX_EVENTS,
                    &params![
                        "quoted_sub" => quoted_sub.clone(),
                        "quoted_pseudonym" => serde_json::to_string(pseudonym).map_err(decode)?,
                        "email_text" => email.unwrap_or_default(),
                        "name_text" => name.unwrap_or_default(),
                        "erased" => ERASED_TEXT,
                        "payload_pattern" => contains_pattern(&quoted_sub),
                    ],
                )
                .await?;
            counts.idempotency_records = tx
                .execute(sql::DELETE_IDEMPOTENCY_RECORDS, &params!["sub" => sub])
                .await?;
            counts.profile_deleted = tx.execute(sql::DELETE_PROFILE, &params!["sub" => sub]).await? > 0;
            let audit = AuditEvent {
                id: request.audit_id,
                at: request.at,
                actor_id: request.actor.clone(),
                action: "privacy_erasure".into(),
                subject_id: sub.to_owned(),
                details: serde_json::to_value(&counts).map_err(decode)?,
            };
            insert_audit(tx.as_mut(), &audit).await?;
            Ok(Erasure {
                audit,
                counts,
                opportunities,
            })
        }
        .await;
        finish(tx, work).await
    }

    async fn record(&self, event: &AuditEvent) -> Result<(), StoreError> {
        self.executor
            .execute(sql::INSERT_AUDIT_EVENT, &audit_params(event))
            .await?;
        Ok(())
    }

    async fn audit_events(
        &self,
        after: Option<(OffsetDateTime, Uuid)>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let (after_at, after_id) = after.unwrap_or((OffsetDateTime::UNIX_EPOCH, Uuid::nil()));
        let rows = self
            .executor
            .query(
                sql::LIST_AUDIT_EVENTS,
                &params![
                    "first_page" => after.is_none(),
                    "after_at" => after_at,
                    "after_id" => after_id,
                    "limit" => limit.saturating_add(1),
                ],
            )
            .await?;
        Ok(rows.iter().map(audit_from_row).collect::<Result<_, _>>()?)
    }
}
