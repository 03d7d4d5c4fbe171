//! The one range of dates and instants the API accepts, and date arithmetic that cannot overflow.
//!
//! Why a range at all: PostgreSQL refuses year 0 and negative years, the `time` crate ends at year
//! 9999 (arithmetic past it panics), and SQLite stores whatever text it is given. So every date
//! and timestamp a client sends must lie between [`FIRST_DATE`] and [`LAST_DATE`]; for a
//! timestamp that is the date as written, before its offset is applied, which keeps its UTC value
//! within years 1899 to 9999 and every backend able to store and compare it.

use time::format_description::FormatItem;
use time::format_description::well_known::Rfc3339;
use time::macros::{date, format_description};
use time::{Date, Duration, OffsetDateTime, UtcOffset};

/// The earliest date the API accepts.
pub const FIRST_DATE: Date = date!(1900 - 01 - 01);
/// The latest date the API accepts (a timeline must also end by then).
pub const LAST_DATE: Date = date!(9998 - 12 - 31);
/// `YYYY-MM-DD`, the only date form the API reads and writes.
pub const DATE_FORMAT: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// The supported range in words, for error messages and the API description.
pub const RANGE_TEXT: &str = "from 1900-01-01 to 9998-12-31";

/// Whether a date lies in the supported range.
pub fn in_range(date: Date) -> bool {
    (FIRST_DATE..=LAST_DATE).contains(&date)
}

/// `YYYY-MM-DD` exactly: four digits, two, two; no sign, no extra digits.
fn has_date_shape(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

/// Parses a client's `YYYY-MM-DD` within the supported range.
pub fn parse_date(text: &str) -> Result<Date, String> {
    if !has_date_shape(text) {
        return Err("must be a date as YYYY-MM-DD".to_owned());
    }
    let date = Date::parse(text, DATE_FORMAT).map_err(|_| "must be a real calendar date as YYYY-MM-DD".to_owned())?;
    if !in_range(date) {
        return Err(format!("must be a date {RANGE_TEXT}"));
    }
    Ok(date)
}

/// Parses a client's instant: an RFC 3339 timestamp, or a date meaning its midnight UTC. The date
/// as written must be in the supported range; the result is in UTC.
pub fn parse_instant(text: &str) -> Result<OffsetDateTime, String> {
    let expected = || format!("must be an RFC 3339 timestamp or a date (YYYY-MM-DD) {RANGE_TEXT}");
    if has_date_shape(text) {
        return parse_date(text)
            .map(|date| date.midnight().assume_utc())
            .map_err(|_| expected());
    }
    let written = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| expected())?;
    if !in_range(written.date()) {
        return Err(expected());
    }
    written.checked_to_offset(UtcOffset::UTC).ok_or_else(expected)
}

/// The day `days` after `date`, if it is still in the supported range.
pub fn add_days(date: Date, days: i64) -> Option<Date> {
    // More days than the whole range holds can never land in it (and would overflow `Duration`).
    const SPAN_DAYS: u64 = 4_000_000;
    if days.unsigned_abs() > SPAN_DAYS {
        return None;
    }
    date.checked_add(Duration::days(days)).filter(|d| in_range(*d))
}

/// `at` plus `span`, saturating at the end of what the clock can represent instead of panicking.
pub fn add_saturating(at: OffsetDateTime, span: Duration) -> OffsetDateTime {
    at.checked_add(span).unwrap_or(if span.is_negative() {
        Date::MIN.midnight().assume_offset(at.offset())
    } else {
        Date::MAX.midnight().assume_offset(at.offset())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_outside_the_supported_range_are_refused() {
        assert!(parse_date("1900-01-01").is_ok());
        assert!(parse_date("9998-12-31").is_ok());
        for text in [
            "1899-12-31",
            "9999-01-01",
            "0000-01-01",
            "-001-01-01",
            "+1999-01-01",
            "2026-1-01",
            "20261-01-01",
        ] {
            assert!(parse_date(text).is_err(), "{text} was accepted");
        }
        assert!(parse_date("2026-02-30").is_err());
    }

    #[test]
    fn instants_are_checked_as_written_and_returned_in_utc() {
        let utc = parse_instant("2026-05-01T23:30:00-01:00").unwrap();
        assert_eq!(utc.offset(), UtcOffset::UTC);
        assert_eq!(utc.date(), date!(2026 - 05 - 02));
        assert_eq!(parse_instant("2026-05-01").unwrap().date(), date!(2026 - 05 - 01));
        for text in [
            "9999-12-31T23:59:59-01:00",
            "9999-12-31",
            "0000-01-01T00:00:00Z",
            "1899-12-31T23:00:00-02:00",
            "not a time",
            "",
        ] {
            assert!(parse_instant(text).is_err(), "{text} was accepted");
        }
        // The last accepted instant still converts to UTC.
        assert!(parse_instant("9998-12-31T23:59:59-23:59").is_ok());
        assert!(parse_instant("1900-01-01T00:00:00+23:59").is_ok());
    }

    #[test]
    fn adding_days_stops_at_the_last_supported_date() {
        assert_eq!(add_days(date!(9998 - 12 - 30), 1), Some(LAST_DATE));
        assert_eq!(add_days(LAST_DATE, 1), None);
        assert_eq!(add_days(Date::MAX, 2), None);
        assert_eq!(add_days(date!(2026 - 01 - 01), i64::MAX), None);
        assert_eq!(add_days(date!(2026 - 01 - 01), i64::MIN), None);
    }

    #[test]
    fn instant_arithmetic_saturates_instead_of_panicking() {
        let end = Date::MAX.midnight().assume_utc();
        assert_eq!(add_saturating(end, Duration::days(90)), end);
    }
}
