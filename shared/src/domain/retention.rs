//! Retention: how long each kind of record is kept, and the instants before which the purge
//! deletes them. Configured by environment variables (read through a lookup function, so the
//! rules are tested without touching the process environment); every one has a default.

use time::{Duration, OffsetDateTime};

/// Closed (completed or cancelled) opportunities are kept 2,555 days (7 years) after their last
/// change: the attachments bucket expires its objects after the same 2,555 days.
pub const DEFAULT_CLOSED_OPPORTUNITY_DAYS: i64 = 2555;
/// Published outbox events are kept 30 days (for replays and investigations).
pub const DEFAULT_PUBLISHED_EVENT_DAYS: i64 = 30;
/// Processed-event ids are kept 30 days.
pub const DEFAULT_PROCESSED_EVENT_DAYS: i64 = 30;
/// Processed-event ids deduplicate redeliveries: they must outlive every message SQS may still
/// redeliver, and SQS keeps a message at most 14 days.
pub const MIN_PROCESSED_EVENT_DAYS: i64 = 15;
/// Rejected attachment registrations are kept 30 days (the owner sees why an upload failed).
pub const DEFAULT_REJECTED_ATTACHMENT_DAYS: i64 = 30;
/// Registrations whose upload never came are deleted 1 day after their upload URL lapsed
/// (`expire-uploads` rejects them first; this catches what it missed).
pub const DEFAULT_UNFINISHED_UPLOAD_DAYS: i64 = 1;
/// Opportunities deleted per transaction (with their history, requirements and attachments).
pub const DEFAULT_OPPORTUNITY_BATCH: i64 = 25;
/// Rows of the small tables (outbox, processed events, idempotency records) deleted per statement.
pub const DEFAULT_ROW_BATCH: i64 = 500;
/// The most ids one statement names (its `IN` list has this many slots).
pub const MAX_OPPORTUNITY_BATCH: i64 = 50;
/// The most rows one statement deletes from the small tables.
pub const MAX_ROW_BATCH: i64 = 1000;
/// Batches per kind and run, so one run ends well inside its timeout; the rest waits for the next.
pub const DEFAULT_MAX_BATCHES: i64 = 200;

/// How long each kind of record is kept, and how much one run deletes at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// `OMS_RETENTION_CLOSED_OPPORTUNITY_DAYS`.
    pub closed_opportunity_days: i64,
    /// `OMS_RETENTION_PUBLISHED_EVENT_DAYS`.
    pub published_event_days: i64,
    /// `OMS_RETENTION_PROCESSED_EVENT_DAYS` (at least [`MIN_PROCESSED_EVENT_DAYS`]).
    pub processed_event_days: i64,
    /// `OMS_RETENTION_REJECTED_ATTACHMENT_DAYS`.
    pub rejected_attachment_days: i64,
    /// `OMS_RETENTION_UNFINISHED_UPLOAD_DAYS`.
    pub unfinished_upload_days: i64,
    /// `OMS_PURGE_OPPORTUNITY_BATCH` (1 to [`MAX_OPPORTUNITY_BATCH`]).
    pub opportunity_batch: i64,
    /// `OMS_PURGE_ROW_BATCH` (1 to [`MAX_ROW_BATCH`]).
    pub row_batch: i64,
    /// `OMS_PURGE_MAX_BATCHES`.
    pub max_batches: i64,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            closed_opportunity_days: DEFAULT_CLOSED_OPPORTUNITY_DAYS,
            published_event_days: DEFAULT_PUBLISHED_EVENT_DAYS,
            processed_event_days: DEFAULT_PROCESSED_EVENT_DAYS,
            rejected_attachment_days: DEFAULT_REJECTED_ATTACHMENT_DAYS,
            unfinished_upload_days: DEFAULT_UNFINISHED_UPLOAD_DAYS,
            opportunity_batch: DEFAULT_OPPORTUNITY_BATCH,
            row_batch: DEFAULT_ROW_BATCH,
            max_batches: DEFAULT_MAX_BATCHES,
        }
    }
}

/// The instants before which records are past their retention, for one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoffs {
    /// Closed opportunities last changed before this.
    pub closed_opportunities: OffsetDateTime,
    /// Outbox events published before this.
    pub published_events: OffsetDateTime,
    /// Events processed before this.
    pub processed_events: OffsetDateTime,
    /// Rejected registrations created before this.
    pub rejected_attachments: OffsetDateTime,
    /// Pending registrations whose upload URL lapsed before this.
    pub unfinished_uploads: OffsetDateTime,
    /// Idempotency records that expired before this (now).
    pub idempotency_records: OffsetDateTime,
}

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable} {problem}")]
pub struct RetentionConfigError {
    /// The environment variable.
    pub variable: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

fn read(
    lookup: &dyn Fn(&str) -> Option<String>,
    variable: &'static str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, RetentionConfigError> {
    let Some(text) = lookup(variable) else {
        return Ok(default);
    };
    match text.trim().parse::<i64>() {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(RetentionConfigError {
            variable,
            problem: format!("must be a whole number from {min} to {max} (got {text:?})"),
        }),
    }
}

/// The longest retention accepted: 100 years keeps every cutoff inside the supported dates.
const MAX_DAYS: i64 = 36_500;

impl RetentionPolicy {
    /// Reads the policy; unset (or empty) variables take their defaults.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<RetentionPolicy, RetentionConfigError> {
        Ok(RetentionPolicy {
            closed_opportunity_days: read(
                lookup,
                "OMS_RETENTION_CLOSED_OPPORTUNITY_DAYS",
                DEFAULT_CLOSED_OPPORTUNITY_DAYS,
                1,
                MAX_DAYS,
            )?,
            published_event_days: read(
                lookup,
                "OMS_RETENTION_PUBLISHED_EVENT_DAYS",
                DEFAULT_PUBLISHED_EVENT_DAYS,
                1,
                MAX_DAYS,
            )?,
            processed_event_days: read(
                lookup,
                "OMS_RETENTION_PROCESSED_EVENT_DAYS",
                DEFAULT_PROCESSED_EVENT_DAYS,
                MIN_PROCESSED_EVENT_DAYS,
                MAX_DAYS,
            )?,
            rejected_attachment_days: read(
                lookup,
                "OMS_RETENTION_REJECTED_ATTACHMENT_DAYS",
                DEFAULT_REJECTED_ATTACHMENT_DAYS,
                0,
                MAX_DAYS,
            )?,
            unfinished_upload_days: read(
                lookup,
                "OMS_RETENTION_UNFINISHED_UPLOAD_DAYS",
                DEFAULT_UNFINISHED_UPLOAD_DAYS,
                0,
                MAX_DAYS,
            )?,
            opportunity_batch: read(
                lookup,
                "OMS_PURGE_OPPORTUNITY_BATCH",
                DEFAULT_OPPORTUNITY_BATCH,
                1,
                MAX_OPPORTUNITY_BATCH,
            )?,
            row_batch: read(lookup, "OMS_PURGE_ROW_BATCH", DEFAULT_ROW_BATCH, 1, MAX_ROW_BATCH)?,
            max_batches: read(lookup, "OMS_PURGE_MAX_BATCHES", DEFAULT_MAX_BATCHES, 1, 100_000)?,
        })
    }

    /// The cutoffs of a run starting at `now` (checked: a clock outside the supported dates is an
    /// error, not a cutoff that deletes everything).
    pub fn cutoffs(&self, now: OffsetDateTime) -> Result<Cutoffs, RetentionConfigError> {
        let before = |days: i64, variable: &'static str| {
            now.checked_sub(Duration::days(days))
                .filter(|t| t.year() >= 1900)
                .ok_or(RetentionConfigError {
                    variable,
                    problem: format!("of {days} days reaches before the supported dates from {now}"),
                })
        };
        Ok(Cutoffs {
            closed_opportunities: before(self.closed_opportunity_days, "OMS_RETENTION_CLOSED_OPPORTUNITY_DAYS")?,
            published_events: before(self.published_event_days, "OMS_RETENTION_PUBLISHED_EVENT_DAYS")?,
            processed_events: before(self.processed_event_days, "OMS_RETENTION_PROCESSED_EVENT_DAYS")?,
            rejected_attachments: before(self.rejected_attachment_days, "OMS_RETENTION_REJECTED_ATTACHMENT_DAYS")?,
            unfinished_uploads: before(self.unfinished_upload_days, "OMS_RETENTION_UNFINISHED_UPLOAD_DAYS")?,
            idempotency_records: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn unset_variables_take_the_defaults_seven_years_for_closed_opportunities() {
        let policy = RetentionPolicy::from_lookup(&lookup(&[])).unwrap();
        assert_eq!(policy, RetentionPolicy::default());
        assert_eq!(policy.closed_opportunity_days, 2555);
    }

    #[test]
    fn each_setting_is_read_and_refused_outside_its_range_naming_the_variable() {
        let policy = RetentionPolicy::from_lookup(&lookup(&[
            ("OMS_RETENTION_CLOSED_OPPORTUNITY_DAYS", "365"),
            ("OMS_PURGE_OPPORTUNITY_BATCH", "50"),
        ]))
        .unwrap();
        assert_eq!((policy.closed_opportunity_days, policy.opportunity_batch), (365, 50));
        for (variable, value) in [
            ("OMS_PURGE_OPPORTUNITY_BATCH", "51"),
            ("OMS_PURGE_ROW_BATCH", "0"),
            ("OMS_RETENTION_CLOSED_OPPORTUNITY_DAYS", "seven years"),
            ("OMS_RETENTION_PUBLISHED_EVENT_DAYS", "-1"),
        ] {
            let pairs: &'static [(&'static str, &'static str)] = Box::leak(Box::new([(variable, value)]));
            let error = RetentionPolicy::from_lookup(&lookup(pairs)).unwrap_err();
            assert_eq!(error.variable, variable);
        }
    }

    #[test]
    fn processed_event_ids_outlive_every_message_sqs_may_still_redeliver() {
        let error = RetentionPolicy::from_lookup(&lookup(&[("OMS_RETENTION_PROCESSED_EVENT_DAYS", "14")])).unwrap_err();
        assert_eq!(error.variable, "OMS_RETENTION_PROCESSED_EVENT_DAYS");
        assert!(RetentionPolicy::from_lookup(&lookup(&[("OMS_RETENTION_PROCESSED_EVENT_DAYS", "15")])).is_ok());
    }

    #[test]
    fn cutoffs_count_back_from_now_and_refuse_to_reach_before_the_supported_dates() {
        let now = time::macros::datetime!(2026-11-22 03:00 UTC);
        let cutoffs = RetentionPolicy::default().cutoffs(now).unwrap();
        assert_eq!(
            cutoffs.closed_opportunities,
            time::macros::datetime!(2019-11-24 03:00 UTC)
        );
        assert_eq!(cutoffs.published_events, time::macros::datetime!(2026-10-23 03:00 UTC));
        assert_eq!(
            cutoffs.unfinished_uploads,
            time::macros::datetime!(2026-11-21 03:00 UTC)
        );
        assert_eq!(cutoffs.idempotency_records, now);
        let policy = RetentionPolicy {
            closed_opportunity_days: MAX_DAYS,
            ..RetentionPolicy::default()
        };
        assert!(policy.cutoffs(time::macros::datetime!(1950-01-01 0:00 UTC)).is_err());
    }
}
