//! The RDS Data API's documented result limits: a response of at most 1 MiB and rows of at most
//! 64 KB. Aurora enforces them; the PostgreSQL executor of the tests enforces them too, so that
//! the SQL suite fails wherever Aurora would.

use super::{DbError, Row, SqlValue};

/// Largest result row the Data API returns.
pub const MAX_ROW_BYTES: usize = 64 * 1024;
/// Largest response the Data API returns.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The bytes of a value's data.
fn data_bytes(value: &SqlValue) -> usize {
    match value {
        SqlValue::Null => 0,
        SqlValue::Bool(_) => 1,
        SqlValue::Int(_) => 8,
        SqlValue::Text(text) | SqlValue::Json(text) => text.len(),
        SqlValue::Uuid(_) => 36,
        SqlValue::Timestamp(_) => 26,
        SqlValue::Date(_) => 10,
        SqlValue::Decimal(d) => d.to_string().len(),
    }
}

/// The bytes of a value as a typed field of the Data API's JSON response
/// (`{"stringValue":"..."}` with the text JSON-escaped, `{"isNull":true}`, ...).
fn response_field_bytes(value: &SqlValue) -> usize {
    const WRAPPER: usize = r#"{"stringValue":""},"#.len();
    match value {
        SqlValue::Null => r#"{"isNull":true},"#.len(),
        SqlValue::Bool(_) => r#"{"booleanValue":false},"#.len(),
        SqlValue::Int(i) => r#"{"longValue":},"#.len() + i.to_string().len(),
        SqlValue::Text(text) | SqlValue::Json(text) => {
            WRAPPER + serde_json::to_string(text).map_or(text.len() * 6, |escaped| escaped.len() - 2)
        }
        other => WRAPPER + data_bytes(other),
    }
}

/// Refuses a result the Data API would not return, with the error it would give.
pub fn check(rows: &[Row]) -> Result<(), DbError> {
    let mut response = 0usize;
    for row in rows {
        let data: usize = row.values().map(data_bytes).sum();
        if data > MAX_ROW_BYTES {
            return Err(DbError::Other(format!(
                "Data API limit: a result row of {data} bytes exceeds {MAX_ROW_BYTES} bytes"
            )));
        }
        response = response
            .saturating_add(row.values().map(response_field_bytes).sum::<usize>())
            .saturating_add(2);
    }
    if response > MAX_RESPONSE_BYTES {
        return Err(DbError::Other(format!(
            "Data API limit: a response of {response} bytes exceeds {MAX_RESPONSE_BYTES} bytes"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_of(text: String) -> Row {
        Row::new(vec![("t".to_owned(), SqlValue::Text(text))])
    }

    #[test]
    fn a_row_over_64_kb_is_refused() {
        assert!(check(&[row_of("x".repeat(MAX_ROW_BYTES))]).is_ok());
        assert!(check(&[row_of("x".repeat(MAX_ROW_BYTES + 1))]).is_err());
    }

    #[test]
    fn a_response_over_1_mib_is_refused_counting_json_escapes() {
        let rows: Vec<Row> = (0..20).map(|_| row_of("x".repeat(50_000))).collect();
        assert!(check(&rows).is_ok());
        // Newlines are escaped as two characters in the response.
        let rows: Vec<Row> = (0..20).map(|_| row_of("\n".repeat(30_000))).collect();
        assert!(check(&rows).is_err());
    }
}
