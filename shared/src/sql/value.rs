//! Parameter and result values in the RDS Data API's typed model.

use rust_decimal::Decimal;
use time::{Date, OffsetDateTime, PrimitiveDateTime, format_description::FormatItem, macros::format_description};
use uuid::Uuid;

use super::DbError;

/// A parameter value with the type the Data API would give it (`stringValue` + `typeHint`, ...).
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// `isNull`.
    Null,
    /// `booleanValue`.
    Bool(bool),
    /// `longValue`.
    Int(i64),
    /// `stringValue` without a hint.
    Text(String),
    /// `stringValue` with `typeHint: UUID`.
    Uuid(Uuid),
    /// `stringValue` with `typeHint: TIMESTAMP` (always UTC).
    Timestamp(OffsetDateTime),
    /// `stringValue` with `typeHint: DATE`.
    Date(Date),
    /// `stringValue` with `typeHint: DECIMAL`.
    Decimal(Decimal),
    /// `stringValue` with `typeHint: JSON`.
    Json(String),
}

/// A named parameter (`:name` in the SQL text).
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The name without the colon.
    pub name: &'static str,
    /// The typed value.
    pub value: SqlValue,
}

/// Builds a parameter array: `params![ "id" => id, "title" => &title ]`.
#[macro_export]
macro_rules! params {
    ($($name:literal => $value:expr),* $(,)?) => {
        [$($crate::sql::Param { name: $name, value: $crate::sql::SqlValue::from($value) }),*]
    };
}

impl From<bool> for SqlValue {
    fn from(v: bool) -> Self {
        SqlValue::Bool(v)
    }
}
impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Int(v)
    }
}
impl From<i32> for SqlValue {
    fn from(v: i32) -> Self {
        SqlValue::Int(i64::from(v))
    }
}
impl From<u32> for SqlValue {
    fn from(v: u32) -> Self {
        SqlValue::Int(i64::from(v))
    }
}
impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(v)
    }
}
impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(v.to_owned())
    }
}
impl From<&String> for SqlValue {
    fn from(v: &String) -> Self {
        SqlValue::Text(v.clone())
    }
}
impl From<Uuid> for SqlValue {
    fn from(v: Uuid) -> Self {
        SqlValue::Uuid(v)
    }
}
impl From<OffsetDateTime> for SqlValue {
    fn from(v: OffsetDateTime) -> Self {
        SqlValue::Timestamp(v)
    }
}
impl From<Date> for SqlValue {
    fn from(v: Date) -> Self {
        SqlValue::Date(v)
    }
}
impl From<Decimal> for SqlValue {
    fn from(v: Decimal) -> Self {
        SqlValue::Decimal(v)
    }
}
impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(SqlValue::Null, Into::into)
    }
}

/// The Data API's timestamp text: `YYYY-MM-DD HH:MM:SS.ffffff`, UTC.
pub const DATA_API_TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6]");
/// How the embedded store writes timestamps: fixed width, so text order is time order.
pub const EMBEDDED_TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
/// `YYYY-MM-DD`.
pub use crate::domain::dates::DATE_FORMAT;

/// Formats a UTC timestamp for the Data API (`typeHint: TIMESTAMP`).
pub fn data_api_timestamp(ts: OffsetDateTime) -> String {
    in_utc(ts).format(DATA_API_TIMESTAMP).unwrap_or_default()
}

/// The same instant in UTC; one the clock cannot represent in UTC keeps its own offset (only
/// instants within years 1900 to 9998 as written are ever accepted, so this is a safety net).
fn in_utc(ts: OffsetDateTime) -> OffsetDateTime {
    ts.checked_to_offset(time::UtcOffset::UTC).unwrap_or(ts)
}

/// Formats a UTC timestamp the way the embedded store keeps it.
pub fn embedded_timestamp(ts: OffsetDateTime) -> String {
    in_utc(ts).format(EMBEDDED_TIMESTAMP).unwrap_or_default()
}

/// Parses a timestamp in any form a backend returns: the Data API's `YYYY-MM-DD HH:MM:SS[.f]`
/// (UTC), or RFC 3339.
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    if let Ok(ts) = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
        return ts.checked_to_offset(time::UtcOffset::UTC);
    }
    const WITH_FRACTION: &[FormatItem<'static>] =
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]");
    const WITHOUT_FRACTION: &[FormatItem<'static>] =
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let trimmed = text.trim_end_matches("+00").trim_end_matches("+00:00");
    PrimitiveDateTime::parse(trimmed, WITH_FRACTION)
        .or_else(|_| PrimitiveDateTime::parse(trimmed, WITHOUT_FRACTION))
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// One result row: column names and values in the Data API's result model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    columns: Vec<(String, SqlValue)>,
}

impl Row {
    /// Builds a row from named values.
    pub fn new(columns: Vec<(String, SqlValue)>) -> Self {
        Row { columns }
    }

    /// Every value of the row, in column order.
    pub fn values(&self) -> impl Iterator<Item = &SqlValue> {
        self.columns.iter().map(|(_, value)| value)
    }

    fn value(&self, name: &str) -> Result<&SqlValue, DbError> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| DbError::Decode(format!("no column {name}")))
    }

    fn mismatch(name: &str, want: &str, got: &SqlValue) -> DbError {
        DbError::Decode(format!("column {name}: expected {want}, got {got:?}"))
    }

    /// True when the column is NULL.
    pub fn is_null(&self, name: &str) -> Result<bool, DbError> {
        Ok(matches!(self.value(name)?, SqlValue::Null))
    }

    /// A text column.
    pub fn text(&self, name: &str) -> Result<String, DbError> {
        match self.value(name)? {
            SqlValue::Text(s) | SqlValue::Json(s) => Ok(s.clone()),
            SqlValue::Uuid(u) => Ok(u.to_string()),
            other => Err(Self::mismatch(name, "text", other)),
        }
    }

    /// A nullable text column.
    pub fn opt_text(&self, name: &str) -> Result<Option<String>, DbError> {
        if self.is_null(name)? {
            Ok(None)
        } else {
            self.text(name).map(Some)
        }
    }

    /// An integer column.
    pub fn int(&self, name: &str) -> Result<i64, DbError> {
        match self.value(name)? {
            SqlValue::Int(i) => Ok(*i),
            SqlValue::Text(s) => s
                .parse()
                .map_err(|_| Self::mismatch(name, "integer", &SqlValue::Text(s.clone()))),
            other => Err(Self::mismatch(name, "integer", other)),
        }
    }

    /// A nullable integer column.
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, DbError> {
        if self.is_null(name)? {
            Ok(None)
        } else {
            self.int(name).map(Some)
        }
    }

    /// A boolean column (SQLite keeps booleans as 0 and 1).
    pub fn bool(&self, name: &str) -> Result<bool, DbError> {
        match self.value(name)? {
            SqlValue::Bool(b) => Ok(*b),
            SqlValue::Int(i) => Ok(*i != 0),
            other => Err(Self::mismatch(name, "boolean", other)),
        }
    }

    /// A nullable boolean column.
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, DbError> {
        if self.is_null(name)? {
            Ok(None)
        } else {
            self.bool(name).map(Some)
        }
    }

    /// A UUID column (the Data API returns UUIDs as strings).
    pub fn uuid(&self, name: &str) -> Result<Uuid, DbError> {
        match self.value(name)? {
            SqlValue::Uuid(u) => Ok(*u),
            SqlValue::Text(s) => {
                Uuid::parse_str(s).map_err(|_| Self::mismatch(name, "uuid", &SqlValue::Text(s.clone())))
            }
            other => Err(Self::mismatch(name, "uuid", other)),
        }
    }

    /// A nullable UUID column.
    pub fn opt_uuid(&self, name: &str) -> Result<Option<Uuid>, DbError> {
        if self.is_null(name)? {
            Ok(None)
        } else {
            self.uuid(name).map(Some)
        }
    }

    /// A timestamp column, in UTC.
    pub fn timestamp(&self, name: &str) -> Result<OffsetDateTime, DbError> {
        match self.value(name)? {
            SqlValue::Timestamp(t) => Ok(*t),
            SqlValue::Text(s) => {
                parse_timestamp(s).ok_or_else(|| Self::mismatch(name, "timestamp", &SqlValue::Text(s.clone())))
            }
            other => Err(Self::mismatch(name, "timestamp", other)),
        }
    }

    /// A nullable timestamp column.
    pub fn opt_timestamp(&self, name: &str) -> Result<Option<OffsetDateTime>, DbError> {
        if self.is_null(name)? {
            Ok(None)
        } else {
            self.timestamp(name).map(Some)
        }
    }

    /// A date column.
    pub fn date(&self, name: &str) -> Result<Date, DbError> {
        match self.value(name)? {
            SqlValue::Date(d) => Ok(*d),
            SqlValue::Text(s) => {
                Date::parse(s, DATE_FORMAT).map_err(|_| Self::mismatch(name, "date", &SqlValue::Text(s.clone())))
            }
            other => Err(Self::mismatch(name, "date", other)),
        }
    }

    /// A nullable date column.
    pub fn opt_date(&self, name: &str) -> Result<Option<Date>, DbError> {
        if self.is_null(name)? {
            Ok(None)
        } else {
            self.date(name).map(Some)
        }
    }

    /// A decimal column (the Data API returns NUMERIC as a string).
    pub fn decimal(&self, name: &str) -> Result<Decimal, DbError> {
        match self.value(name)? {
            SqlValue::Decimal(d) => Ok(*d),
            SqlValue::Text(s) => s
                .parse()
                .map_err(|_| Self::mismatch(name, "decimal", &SqlValue::Text(s.clone()))),
            SqlValue::Int(i) => Ok(Decimal::from(*i)),
            other => Err(Self::mismatch(name, "decimal", other)),
        }
    }
}
