//! Customers (shared by all users) and the skills catalog (kept by Admins).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::opportunity::SkillCategory;

/// Longest customer or skill name, in characters.
pub const NAME_MAX: usize = 200;

/// The key names are unique by: trimmed, inner whitespace collapsed, NFC, lower-cased, and
/// without the invisible characters [`super::validation::parse_text`] refuses (so a name stored
/// before they were refused still collides with its look-alike).
pub fn name_key(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let visible: String = name
        .chars()
        .filter(|&c| !super::validation::invisible_character(c, false))
        .collect();
    visible
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .nfc()
        .collect::<String>()
        .to_lowercase()
}

/// A customer opportunities are registered for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    /// Id.
    pub id: Uuid,
    /// Name, unique ignoring case and spacing.
    pub name: String,
    /// When it was added.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// A skill of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Skill {
    /// Id.
    pub id: Uuid,
    /// Name, unique ignoring case and spacing.
    pub name: String,
    /// Category.
    pub category: SkillCategory,
    /// What the skill covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When it was added.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}
