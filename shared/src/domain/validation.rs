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
///
/// A field whose value could not be read at all (wrong JSON type, a NUL character) is recorded
/// as unreadable; later findings about it or anything inside it ("is required", ...) are
/// dropped, so that each problem is reported once.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors {
    errors: Vec<FieldError>,
    unreadable: Vec<String>,
}

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        FieldErrors::default()
    }

    /// Records a failing field, unless it was already reported as unreadable.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let field = field.into();
        if self.is_unreadable(&field) {
            return;
        }
        self.errors.push(FieldError {
            field,
            message: message.into(),
        });
    }

    /// Records a field whose value could not be read; nothing more is said about it.
    pub fn add_unreadable(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let field = field.into();
        if self.is_unreadable(&field) {
            return;
        }
        self.unreadable.push(field.clone());
        self.errors.push(FieldError {
            field,
            message: message.into(),
        });
    }

    /// What is known to be unreadable under `prefix`, with the prefix taken off, and no errors:
    /// the start of a nested parse whose findings come back through [`Self::extend_prefixed`].
    pub fn scope(&self, prefix: &str) -> FieldErrors {
        let nested = format!("{prefix}.");
        FieldErrors {
            errors: Vec::new(),
            unreadable: self
                .unreadable
                .iter()
                .filter_map(|u| u.strip_prefix(&nested).map(str::to_owned))
                .collect(),
        }
    }

    /// Whether `field`, or an object or list it lies in, was reported as unreadable.
    pub fn is_unreadable(&self, field: &str) -> bool {
        self.unreadable.iter().any(|u| {
            field == u
                || field
                    .strip_prefix(u.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
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
        self.errors.is_empty()
    }

    /// Appends errors found under a prefix (`timeline` + `end_date` = `timeline.end_date`).
    pub fn extend_prefixed(&mut self, prefix: &str, other: FieldErrors) {
        let unreadable = other.unreadable;
        for e in other.errors {
            let field = format!("{prefix}.{}", e.field);
            if unreadable.contains(&e.field) {
                self.add_unreadable(field, e.message);
            } else {
                self.add(field, e.message);
            }
        }
    }

    /// Appends another list's errors (and what it found unreadable) as they are.
    pub fn append(&mut self, other: FieldErrors) {
        for e in other.errors {
            if other.unreadable.contains(&e.field) {
                self.add_unreadable(e.field, e.message);
            } else {
                self.add(e.field, e.message);
            }
        }
    }

    /// The collected errors.
    pub fn into_vec(self) -> Vec<FieldError> {
        self.errors
    }

    /// `Ok(value)` when nothing failed, otherwise every failure.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() {
            value().ok_or_else(|| {
                vec![FieldError {
                    field: "".into(),
                    message: "invalid request".into(),
                }]
            })
        } else {
            Err(self.errors)
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
