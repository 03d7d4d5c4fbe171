//! Personal data rules: the user directory's profile, the stable pseudonym an erased person's id
//! becomes, and the removal of a person's e-mail address and name from free text they wrote.
//!
//! The pseudonym is an HMAC-SHA256 of the `sub` under a key from configuration
//! (`OMS_PSEUDONYM_KEY`), not a random value: the same person always gets the same pseudonym
//! (a repeated erasure, or one after the person came back and wrote again, lands on the records
//! the first one produced), and nothing needs storing to find it again. Without the key the
//! pseudonym cannot be computed from a `sub`, so it cannot be tied back to the person; whoever
//! holds the key and a candidate `sub` can confirm a match, which is why the key is a secret
//! (GDPR pseudonymisation, Art. 4(5)). The alternative, a random pseudonym kept only in the audit
//! log, would make the audit log itself the key (any Admin reading it could re-link the records)
//! and a second erasure would mint a second pseudonym for the same person.

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;
use time::OffsetDateTime;
use utoipa::ToSchema;

/// What replaces a person's e-mail address or name in free text.
pub const ERASED_TEXT: &str = "[erased]";

/// The largest export answered in the response itself; a larger one is handed over as a link to
/// a file in the exports bucket (a Lambda response carries at most 6 MB).
pub const INLINE_EXPORT_MAX_BYTES: usize = 4 * 1024 * 1024;

/// The prefix of every pseudonym, so that an erased owner never looks like a Cognito `sub`.
pub const PSEUDONYM_PREFIX: &str = "erased-";

/// Identifiers shorter than this are not searched for in free text: a two-letter name would
/// otherwise be cut out of every word that contains it.
pub const MIN_IDENTIFIER_CHARS: usize = 3;

/// The shortest accepted pseudonym key, in bytes (the HMAC-SHA256 block security level).
pub const MIN_KEY_BYTES: usize = 32;

/// A person as the user directory knows them (the `GET /v1/me` body, the export's profile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UserProfile {
    /// Cognito `sub`.
    pub id: String,
    /// E-mail address from the token, when it carries one.
    pub email: Option<String>,
    /// Display name from the token, when it carries one.
    pub name: Option<String>,
    /// Cognito groups at the last write.
    pub groups: Vec<String>,
    /// First write seen (`null` for a caller who never wrote: the profile then comes from the token).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_seen_at: Option<OffsetDateTime>,
    /// Last write seen.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen_at: Option<OffsetDateTime>,
}

/// The secret the pseudonyms are computed with.
#[derive(Clone)]
pub struct PseudonymKey(Vec<u8>);

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(..)")
    }
}

impl PseudonymKey {
    /// A key of at least [`MIN_KEY_BYTES`] bytes.
    pub fn new(bytes: Vec<u8>) -> Result<PseudonymKey, String> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(format!(
                "the pseudonym key must be at least {MIN_KEY_BYTES} bytes (got {})",
                bytes.len()
            ));
        }
        Ok(PseudonymKey(bytes))
    }

    /// Reads `OMS_PSEUDONYM_KEY`'s form: standard base64 or hex of at least 32 bytes.
    pub fn parse(text: &str) -> Result<PseudonymKey, String> {
        use base64::Engine;
        let text = text.trim();
        let bytes = hex::decode(text)
            .ok()
            .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
            .ok_or_else(|| "OMS_PSEUDONYM_KEY must be hex or base64".to_owned())?;
        PseudonymKey::new(bytes)
    }

    /// The stable pseudonym of `sub`: `erased-` and 128 bits of HMAC-SHA256, hex. A pseudonym
    /// maps to itself, so erasing an id that is already a pseudonym changes nothing.
    pub fn pseudonym(&self, sub: &str) -> String {
        if is_pseudonym(sub) {
            return sub.to_owned();
        }
        // new_from_slice accepts any key length for HMAC; the key was checked in `new`.
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0) else {
            return format!("{PSEUDONYM_PREFIX}unkeyed");
        };
        mac.update(b"oms-erasure\n");
        mac.update(sub.as_bytes());
        let digest = mac.finalize().into_bytes();
        format!("{PSEUDONYM_PREFIX}{}", hex::encode(&digest[..16]))
    }
}

/// Whether an id is a pseudonym this service produced.
pub fn is_pseudonym(id: &str) -> bool {
    id.strip_prefix(PSEUDONYM_PREFIX)
        .is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The e-mail address and name to remove from a person's free text, longest first (so that a
/// name inside the address is not cut first), each at least [`MIN_IDENTIFIER_CHARS`] long.
pub fn identifiers(email: Option<&str>, name: Option<&str>) -> Vec<String> {
    let mut found: Vec<String> = [email, name]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| s.chars().count() >= MIN_IDENTIFIER_CHARS)
        .map(str::to_owned)
        .collect();
    found.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    found.dedup_by(|a, b| a.to_lowercase() == b.to_lowercase());
    found
}

fn chars_equal_ignoring_case(a: char, b: char) -> bool {
    a == b || a.to_lowercase().eq(b.to_lowercase())
}

/// `text` with every occurrence of each identifier (ignoring case) replaced by
/// [`ERASED_TEXT`]; `None` when nothing was found.
pub fn scrub(text: &str, identifiers: &[String]) -> Option<String> {
    let mut current = text.to_owned();
    let mut changed = false;
    for identifier in identifiers {
        let needle: Vec<char> = identifier.chars().collect();
        if needle.is_empty() {
            continue;
        }
        let haystack: Vec<char> = current.chars().collect();
        let mut out = String::with_capacity(current.len());
        let mut i = 0;
        let mut found = false;
        while i < haystack.len() {
            let fits = haystack.len() - i >= needle.len()
                && haystack[i..i + needle.len()]
                    .iter()
                    .zip(&needle)
                    .all(|(a, b)| chars_equal_ignoring_case(*a, *b));
            if fits {
                out.push_str(ERASED_TEXT);
                i += needle.len();
                found = true;
            } else {
                out.push(haystack[i]);
                i += 1;
            }
        }
        if found {
            current = out;
            changed = true;
        }
    }
    changed.then_some(current)
}

/// A JSON value with [`scrub`] applied to every string in it (keys included); `None` when
/// nothing was found.
pub fn scrub_json(value: &Value, identifiers: &[String]) -> Option<Value> {
    match value {
        Value::String(text) => scrub(text, identifiers).map(Value::String),
        Value::Array(items) => {
            let scrubbed: Vec<Option<Value>> = items.iter().map(|v| scrub_json(v, identifiers)).collect();
            scrubbed.iter().any(Option::is_some).then(|| {
                Value::Array(
                    scrubbed
                        .into_iter()
                        .zip(items)
                        .map(|(new, old)| new.unwrap_or_else(|| old.clone()))
                        .collect(),
                )
            })
        }
        Value::Object(map) => {
            let mut changed = false;
            let mut out = serde_json::Map::new();
            for (key, item) in map {
                let key = match scrub(key, identifiers) {
                    Some(new) => {
                        changed = true;
                        new
                    }
                    None => key.clone(),
                };
                let item = match scrub_json(item, identifiers) {
                    Some(new) => {
                        changed = true;
                        new
                    }
                    None => item.clone(),
                };
                out.insert(key, item);
            }
            changed.then_some(Value::Object(out))
        }
        _ => None,
    }
}

/// A LIKE pattern (escape character `\`) matching text that contains `needle`.
pub fn contains_pattern(needle: &str) -> String {
    let escaped = needle.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key() -> PseudonymKey {
        PseudonymKey::new(vec![7; 32]).unwrap()
    }

    #[test]
    fn a_pseudonym_is_stable_keyed_and_not_the_sub() {
        let p = key().pseudonym("alice");
        assert_eq!(p, key().pseudonym("alice"), "stable");
        assert!(is_pseudonym(&p), "{p}");
        assert!(!p.contains("alice"));
        assert_ne!(p, key().pseudonym("bob"));
        let other = PseudonymKey::new(vec![8; 32]).unwrap();
        assert_ne!(p, other.pseudonym("alice"), "another key, another pseudonym");
        assert_eq!(key().pseudonym(&p), p, "a pseudonym is its own pseudonym");
    }

    #[test]
    fn short_or_malformed_keys_are_refused() {
        assert!(PseudonymKey::new(vec![1; 31]).is_err());
        assert!(PseudonymKey::parse("not a key").is_err());
        assert!(PseudonymKey::parse(&"ab".repeat(32)).is_ok());
        assert!(PseudonymKey::parse("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=").is_ok());
    }

    #[test]
    fn email_and_name_are_removed_ignoring_case_and_nothing_else() {
        let ids = identifiers(Some("alice@example.com"), Some("Alice Example"));
        assert_eq!(ids[0], "alice@example.com", "longest first");
        let text = "Call ALICE EXAMPLE (Alice@Example.com) about Alice's offer";
        assert_eq!(
            scrub(text, &ids).as_deref(),
            Some("Call [erased] ([erased]) about Alice's offer")
        );
        assert_eq!(scrub("nothing here", &ids), None);
        assert_eq!(
            scrub("Émile ÉMILE émile", &identifiers(None, Some("émile"))).as_deref(),
            Some("[erased] [erased] [erased]")
        );
    }

    #[test]
    fn identifiers_too_short_to_search_for_are_left_out() {
        assert!(identifiers(None, Some("Al")).is_empty());
        assert_eq!(identifiers(Some(" a@b.c "), None), vec!["a@b.c".to_owned()]);
        assert_eq!(identifiers(Some("Ann@x.io"), Some("ann@X.io")).len(), 1);
    }

    #[test]
    fn json_values_are_scrubbed_string_by_string() {
        let ids = identifiers(None, Some("Alice Example"));
        let value = json!({ "title": "For alice example", "n": 3, "items": ["x", "by Alice Example"] });
        let scrubbed = scrub_json(&value, &ids).unwrap();
        assert_eq!(
            scrubbed,
            json!({ "title": "For [erased]", "n": 3, "items": ["x", "by [erased]"] })
        );
        assert_eq!(scrub_json(&json!({ "a": 1 }), &ids), None);
    }

    #[test]
    fn like_patterns_escape_their_wildcards() {
        assert_eq!(contains_pattern("a_b%c\\"), "%a\\_b\\%c\\\\%");
    }
}
