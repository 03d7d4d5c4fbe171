//! The child rows of one opportunity write (its skill requirements replaced, its history
//! records, its change events, and the writer's profile in the user directory) as one batch of one statement: an `INSERT` into the
//! `opportunity_changes` view, whose trigger routes each row to its table (migration 0009). On
//! the Data API that is one `BatchExecuteStatement` call per write, whatever the number of
//! skills, records and events; one statement per table cost up to four.

use uuid::Uuid;

use super::statements as sql;
use crate::domain::events::ChangeEvent;
use crate::domain::history::{Change, HistoryEntry};
use crate::domain::opportunity::{Opportunity, SkillRef};
use crate::params;
use crate::ports::store::StoreError;
use crate::sql::{DbError, Param, SqlTransaction, SqlValue};

/// Every column of the view, in the statement's order: each row binds all of them, `NULL`
/// where its kind has no value.
const COLUMNS: [&str; 28] = [
    "row_kind",
    "opportunity_id",
    "position",
    "skill_id",
    "custom_name",
    "category",
    "importance",
    "min_proficiency",
    "history_kind",
    "at",
    "actor",
    "from_status",
    "to_status",
    "field",
    "old_value",
    "new_value",
    "reason",
    "event_id",
    "event_type",
    "aggregate_id",
    "aggregate_version",
    "occurred_at",
    "payload",
    "sub",
    "email",
    "name",
    "group_names",
    "seen_at",
];

/// The rows of one write, in the order they apply.
#[derive(Debug, Default)]
pub(super) struct ChangeRows {
    sets: Vec<Vec<Param>>,
}

impl ChangeRows {
    /// No rows yet.
    pub(super) fn new() -> Self {
        ChangeRows::default()
    }

    fn push(&mut self, kind: &'static str, opportunity_id: Option<Uuid>, values: impl IntoIterator<Item = Param>) {
        self.sets.push(row(kind, opportunity_id, values));
    }

    /// The opportunity's requirements become `o`'s: the old ones are deleted first when
    /// `replacing` (an update), then each is inserted at its position.
    pub(super) fn requirements(&mut self, o: &Opportunity, replacing: bool) {
        if replacing {
            self.push("requirements_reset", Some(o.id), []);
        }
        for (position, requirement) in o.skill_requirements.iter().enumerate() {
            let (skill_id, custom_name) = match &requirement.skill {
                SkillRef::Catalog { id, .. } => (Some(*id), None),
                SkillRef::Custom(name) => (None, Some(name.clone())),
            };
            self.push(
                "requirement",
                Some(o.id),
                params![
                    "position" => position as i64,
                    "skill_id" => skill_id,
                    "custom_name" => custom_name,
                    "category" => requirement.category.as_str(),
                    "importance" => requirement.importance.as_str(),
                    "min_proficiency" => requirement.min_proficiency.as_str(),
                ],
            );
        }
    }

    /// History records, each taking the next sequence number of its opportunity.
    pub(super) fn history(&mut self, opportunity_id: Uuid, entries: &[HistoryEntry]) {
        for entry in entries {
            let (kind, from, to, field, old, new) = match &entry.change {
                Change::Status { from, to } => {
                    ("status", from.map(|s| s.as_str()), Some(to.as_str()), None, None, None)
                }
                Change::Field { field, old, new } => (
                    "field",
                    None,
                    None,
                    Some(field.clone()),
                    old.as_ref().map(serde_json::Value::to_string),
                    Some(new.to_string()),
                ),
            };
            self.push(
                "history",
                Some(opportunity_id),
                params![
                    "history_kind" => kind,
                    "at" => entry.at,
                    "actor" => &entry.actor,
                    "from_status" => from,
                    "to_status" => to,
                    "field" => field,
                    "old_value" => old,
                    "new_value" => new,
                    "reason" => entry.reason.clone(),
                ],
            );
        }
    }

    /// Change events into the outbox (of any aggregate: opportunities, customers, skills).
    pub(super) fn events(&mut self, events: &[ChangeEvent]) -> Result<(), StoreError> {
        for event in events {
            let payload = serde_json::to_string(event).map_err(|e| DbError::Other(e.to_string()))?;
            self.push(
                "event",
                None,
                params![
                    "event_id" => event.id,
                    "event_type" => event.event_type.as_str(),
                    "aggregate_id" => event.aggregate_id,
                    "aggregate_version" => event.aggregate_version,
                    "occurred_at" => event.occurred_at,
                    "payload" => payload,
                ],
            );
        }
        Ok(())
    }

    /// Writes every row: one batch (no call when there are none). A requirement naming a skill
    /// the catalog does not have is [`StoreError::UnknownReference`].
    pub(super) async fn write(self, tx: &mut dyn SqlTransaction) -> Result<(), StoreError> {
        match tx.execute_batch(sql::INSERT_OPPORTUNITY_CHANGES, &self.sets).await {
            Err(DbError::ForeignKeyViolation(_)) => Err(StoreError::UnknownReference("skill")),
            other => Ok(other?),
        }
    }
}

/// The writer's profile (`sub`, `email`, `name`, `group_names`, `seen_at`: the user
/// directory's upsert) as a row of the batch it joins.
pub(super) fn profile_row(profile: impl IntoIterator<Item = Param>) -> Vec<Param> {
    row("profile", None, profile)
}

/// One row: every column `NULL` but its kind's.
fn row(kind: &'static str, opportunity_id: Option<Uuid>, values: impl IntoIterator<Item = Param>) -> Vec<Param> {
    let mut row: Vec<Param> = COLUMNS
        .iter()
        .map(|name| Param {
            name,
            value: SqlValue::Null,
        })
        .collect();
    let kind = Param {
        name: "row_kind",
        value: SqlValue::from(kind),
    };
    let id = Param {
        name: "opportunity_id",
        value: SqlValue::from(opportunity_id),
    };
    for value in [kind, id].into_iter().chain(values) {
        if let Some(slot) = row.iter_mut().find(|p| p.name == value.name) {
            slot.value = value.value;
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_binds_every_column_of_the_statement_once() {
        let mut rows = ChangeRows::new();
        rows.history(
            Uuid::nil(),
            &[HistoryEntry {
                change: Change::Status {
                    from: None,
                    to: crate::domain::lifecycle::Status::Draft,
                },
                at: time::OffsetDateTime::UNIX_EPOCH,
                actor: "alice".into(),
                reason: None,
            }],
        );
        for column in COLUMNS {
            assert!(
                sql::INSERT_OPPORTUNITY_CHANGES.contains(&format!(":{column}")),
                "{column} is not bound by the statement"
            );
        }
        let row = &rows.sets[0];
        assert_eq!(row.len(), COLUMNS.len());
        assert_eq!(
            row.iter().find(|p| p.name == "row_kind").map(|p| &p.value),
            Some(&SqlValue::from("history"))
        );
        assert_eq!(
            row.iter().filter(|p| p.value != SqlValue::Null).count(),
            6,
            "kind, opportunity, history kind, time, actor and status"
        );
    }
}
