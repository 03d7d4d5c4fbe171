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

/// Trims, normalises (NFC) and checks a required text: not blank, at most `max` characters, no
/// control characters other than newlines and tabs when `multiline`, and none of the invisible
/// characters that make a text read otherwise than it is ([`invisible_character`]).
pub fn parse_text(raw: &str, max: usize, multiline: bool) -> Result<String, String> {
    use unicode_normalization::UnicodeNormalization;
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("must not be blank".into());
    }
    // Counted before normalising too: NFC never grows a text by much, but a text far over the
    // limit is refused before any work that scales with it.
    let length = trimmed.chars().count();
    if length > max {
        return Err(format!("must be at most {max} characters (got {length})"));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r')))
    {
        return Err("must not contain control characters".into());
    }
    if let Some(c) = trimmed.chars().find(|&c| invisible_character(c, multiline)) {
        return Err(format!(
            "must not contain invisible formatting characters (found U+{:04X})",
            u32::from(c)
        ));
    }
    let text: String = trimmed.nfc().collect();
    let length = text.chars().count();
    if length > max {
        return Err(format!("must be at most {max} characters (got {length})"));
    }
    Ok(text)
}

/// Characters a reader cannot see that change what a text shows or how it compares: the
/// bidirectional controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069: a
/// title that reads backwards, "Trojan Source") and the zero-width characters (U+200B, U+2060,
/// U+FEFF, U+180E: `Glo\u{200B}bex` beside `Globex`). The zero-width joiner and non-joiner
/// (U+200D, U+200C) are refused in one-line texts (names, titles) and allowed in multi-line ones,
/// where emoji sequences and Persian or Indic writing need them.
pub fn invisible_character(c: char, multiline: bool) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            | '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}'
    ) || (!multiline && matches!(c, '\u{200C}' | '\u{200D}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_and_zero_width_characters_are_refused_in_every_text() {
        for sneaky in [
            "Glo\u{200B}bex",
            "Glo\u{FEFF}bex",
            "abc\u{202E}fed",
            "a\u{2066}b\u{2069}",
            "\u{2060}x",
        ] {
            for multiline in [false, true] {
                let error = parse_text(sneaky, 200, multiline).unwrap_err();
                assert!(error.contains("invisible"), "{sneaky:?}: {error}");
            }
        }
        // Joiners: refused in names, kept where emoji and scripts need them.
        assert!(parse_text("Glo\u{200D}bex", 200, false).is_err());
        assert_eq!(
            parse_text("family \u{1F468}\u{200D}\u{1F469}", 200, true).unwrap(),
            "family \u{1F468}\u{200D}\u{1F469}"
        );
    }

    #[test]
    fn texts_are_stored_in_nfc() {
        let decomposed = "Cafe\u{301}";
        assert_eq!(parse_text(decomposed, 200, false).unwrap(), "Caf\u{E9}");
        assert!(
            parse_text(&"e\u{301}".repeat(150), 200, false).is_err(),
            "counted before and after"
        );
    }

    #[test]
    fn names_that_differ_only_by_invisible_characters_or_encoding_share_a_key() {
        use crate::domain::catalog::name_key;
        assert_eq!(name_key("Glo\u{200B}bex"), name_key("Globex"));
        assert_eq!(name_key(" Cafe\u{301}  Royal "), name_key("café royal"));
        assert_ne!(name_key("Globex"), name_key("Globe x"));
    }
}
