//! Status history and field change records: who changed what, when, from what to what, and why.

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::lifecycle::Status;

/// What a history entry records.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A status change (`from` is `None` for the creation).
    Status {
        /// Previous status.
        from: Option<Status>,
        /// New status.
        to: Status,
    },
    /// A field changed value.
    Field {
        /// Field name (`title`, `timeline`, `problem_statement`, `skill_requirements`, ...).
        field: String,
        /// Previous value (JSON, `null` when unset); `None` where it is not repeated (see
        /// [`keeps_old_value`]).
        old: Option<Value>,
        /// New value (JSON).
        new: Value,
    },
}

/// Whether a change of `field` records the previous value too. A problem statement can be 30 KB:
/// its records carry the new text only (the previous text is the `new` of the field's previous
/// record), so that a record stays far below the Data API's 64 KB per row and a page of history
/// does not carry every text twice.
pub fn keeps_old_value(field: &str) -> bool {
    field != "problem_statement"
}

/// A field change record, keeping the previous value where [`keeps_old_value`] says so.
pub fn field_change(field: &str, old: Value, new: Value) -> Change {
    Change::Field {
        field: field.to_owned(),
        old: keeps_old_value(field).then_some(old),
        new,
    }
}

/// One record of an opportunity's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// What changed.
    pub change: Change,
    /// When.
    pub at: OffsetDateTime,
    /// Who (the caller's `sub`, or the name of the service that sent the event).
    pub actor: String,
    /// Why, when a reason was given.
    pub reason: Option<String>,
}

/// A history record as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HistoryItem {
    /// Position in the opportunity's history, from 1.
    pub seq: i64,
    /// `status` or `field`.
    pub kind: HistoryKind,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Who: the caller's `sub`.
    pub actor: String,
    /// The actor's name (or e-mail address, when their token carried no name), from the user
    /// directory: absent for a service, or someone who never wrote or was erased.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_name: Option<String>,
    /// Previous status (status records; absent at creation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Status>,
    /// New status (status records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Status>,
    /// Changed field (field records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Previous value (field records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// New value (field records).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    /// The reason given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The kind of a history record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    /// A status change.
    Status,
    /// A field change.
    Field,
}
