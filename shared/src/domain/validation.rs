//! Collecting every failing field of a request at once.

use serde::Serialize;
use utoipa::ToSchema;

/// One failing field: a JSON path (`timeline.end_date`, `items[2].skill_id`) and why it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field in the request body or parameters.
    pub field: String,
    /// A human-readable reason.
    pub message: String,
}

/// Accumulates field errors while a request is parsed into domain values.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        FieldErrors(Vec::new())
    }

    /// Records a failing field.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Records the error of a parse result and returns its value, if any.
    pub fn check<T>(&mut self, field: impl Into<String>, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    /// Records a missing required field.
    pub fn require<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.add(field, "is required");
        }
        value
    }

    /// True when nothing failed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends errors found under a prefix (`timeline` + `end_date` = `timeline.end_date`).
    pub fn extend_prefixed(&mut self, prefix: &str, other: FieldErrors) {
        for e in other.0 {
            self.add(format!("{prefix}.{}", e.field), e.message);
        }
    }

    /// The collected errors.
    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }

    /// `Ok(value)` when nothing failed, otherwise every failure.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            value().ok_or_else(|| {
                vec![FieldError {
                    field: "".into(),
                    message: "invalid request".into(),
                }]
            })
        } else {
            Err(self.0)
        }
    }
}

/// Trims and checks a required text: not blank, at most `max` characters, no control characters
/// other than newlines and tabs when `multiline`.
pub fn parse_text(raw: &str, max: usize, multiline: bool) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("must not be blank".into());
    }
    let length = text.chars().count();
    if length > max {
        return Err(format!("must be at most {max} characters (got {length})"));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r')))
    {
        return Err("must not contain control characters".into());
    }
    Ok(text.to_owned())
}
