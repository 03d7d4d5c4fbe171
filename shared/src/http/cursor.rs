//! Opaque page cursors: base64url JSON of the position where the previous page ended and the
//! list it belongs to, so that a cursor used with another sort order is refused instead of
//! silently skipping or repeating items.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::problem::ApiError;

/// How a cursor writes a timestamp position: RFC 3339 in UTC, fixed width with microseconds
/// (the precision every backend keeps), so that a position compares as the row it came from.
/// The API's own format: a cursor outlives a change of database.
const POSITION_TIMESTAMP: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// A timestamp as a cursor position (read back with `dates::parse_instant`).
pub fn timestamp_position(at: time::OffsetDateTime) -> String {
    at.checked_to_offset(time::UtcOffset::UTC)
        .unwrap_or(at)
        .format(POSITION_TIMESTAMP)
        .unwrap_or_default()
}

/// A date as a cursor position (`YYYY-MM-DD`, read back with `dates::parse_date`).
pub fn date_position(date: time::Date) -> String {
    date.format(crate::domain::dates::DATE_FORMAT).unwrap_or_default()
}

/// Default page size.
pub const DEFAULT_LIMIT: i64 = 20;
/// Largest page size.
pub const MAX_LIMIT: i64 = 100;
/// Longest cursor accepted: the longest position (a 200-character name key) fits with room.
const MAX_CURSOR_CHARS: usize = 2_048;

/// A position in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Which list and order the cursor belongs to (`opportunities:-created_at`, ...).
    pub list: String,
    /// The last item's sort value, as text.
    pub value: String,
    /// The last item's id.
    pub id: String,
}

impl Cursor {
    /// The opaque form.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Parses a cursor given for `list`.
    pub fn decode(text: &str, list: &str) -> Result<Cursor, ApiError> {
        let invalid = || ApiError::BadRequest {
            code: "invalid_cursor",
            detail: "the cursor is malformed or belongs to another list or sort order".into(),
        };
        if text.len() > MAX_CURSOR_CHARS {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| invalid())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        // A forged cursor is input like any other: its position reaches SQL, where U+0000 is
        // refused by PostgreSQL and would be text to SQLite.
        if cursor.list != list || cursor.value.contains('\0') || cursor.id.contains('\0') {
            return Err(invalid());
        }
        Ok(cursor)
    }
}

/// Parses `?limit=`: 1 to 100, default 20.
pub fn parse_limit(raw: Option<&str>) -> Result<i64, ApiError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(ApiError::BadRequest {
                code: "invalid_parameter",
                detail: format!("limit must be an integer from 1 to {MAX_LIMIT}"),
            }),
        },
    }
}

/// A page of items and the cursor of the next page.
#[derive(Debug, Serialize)]
pub struct Page<T: Serialize> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T: Serialize> Page<T> {
    /// Cuts a `limit + 1` fetch to `limit` items and builds the next cursor from the last item.
    pub fn from_overfetch<S>(
        mut rows: Vec<S>,
        limit: i64,
        list: &str,
        position: impl Fn(&S) -> (String, String),
        view: impl Fn(S) -> T,
    ) -> Page<T> {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit.max(0) as usize);
        let next_cursor = if more {
            rows.last().map(|last| {
                let (value, id) = position(last);
                Cursor {
                    list: list.to_owned(),
                    value,
                    id,
                }
                .encode()
            })
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}

/// The problem for a cursor that decodes but carries a position its list cannot use.
pub fn malformed() -> ApiError {
    ApiError::BadRequest {
        code: "invalid_cursor",
        detail: "the cursor is malformed".into(),
    }
}

/// Reads `?cursor=` of a request for `list`: the sort value and id the previous page ended at.
pub fn position(request: &lambda_http::Request, list: &str) -> Result<Option<(String, uuid::Uuid)>, ApiError> {
    match super::request::query(request, "cursor")? {
        None => Ok(None),
        Some(raw) => {
            let cursor = Cursor::decode(&raw, list)?;
            let id = uuid::Uuid::parse_str(&cursor.id).map_err(|_| malformed())?;
            Ok(Some((cursor.value, id)))
        }
    }
}
