//! Request bodies, and their parsing into domain values with every failing field reported.

use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::catalog::NAME_MAX;
use crate::domain::money::Money;
use crate::domain::opportunity::{
    Importance, Priority, Proficiency, SkillCategory, SkillRef, SkillRequirement, Timeline, TimelineInput,
    parse_description, parse_title,
};
use crate::domain::validation::{FieldErrors, parse_text};
use crate::http::body::BoundedVec;
use crate::ports::store::CustomerChoice;

/// Longest reason, in characters.
pub const REASON_MAX: usize = 1_000;
/// Longest custom skill name, in characters.
pub const CUSTOM_SKILL_MAX: usize = 100;

/// Money as a client sends it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyInput {
    /// Decimal string such as `"125000.00"`.
    pub amount: Option<String>,
    /// ISO 4217 code such as `EUR`.
    pub currency: Option<String>,
}

/// The customer of a new opportunity: an existing id or a name (reused if it exists).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    /// An existing customer's id.
    pub id: Option<String>,
    /// A customer name; created when new.
    pub name: Option<String>,
}

/// `POST /v1/opportunities`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOpportunityRequest {
    /// `{ "id": ... }` or `{ "name": ... }`.
    pub customer: Option<CustomerInput>,
    /// 1 to 200 characters.
    pub title: Option<String>,
    /// 1 to 5,000 characters.
    pub description: Option<String>,
    /// `low`, `medium`, `high` or `critical`.
    pub priority: Option<String>,
    /// Annual recurring revenue.
    pub annual_recurring_revenue: Option<MoneyInput>,
    /// Optional at creation, required to submit.
    pub timeline: Option<TimelineInput>,
}

/// The editable details of an opportunity, parsed.
#[derive(Debug, Clone)]
pub struct Details {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Priority.
    pub priority: Priority,
    /// ARR.
    pub annual_recurring_revenue: Money,
    /// Timeline.
    pub timeline: Option<Timeline>,
}

/// Parses a priority name.
pub fn parse_priority(text: &str) -> Result<Priority, String> {
    Priority::parse(text).ok_or_else(|| "must be one of low, medium, high, critical".to_owned())
}

/// Parses the detail fields shared by create and patch.
pub fn parse_details(
    errors: &mut FieldErrors,
    title: Option<&str>,
    description: Option<&str>,
    priority: Option<&str>,
    arr: Option<&MoneyInput>,
    timeline: Option<&TimelineInput>,
) -> Option<Details> {
    let title = errors
        .require("title", title)
        .and_then(|t| errors.check("title", parse_title(t)));
    let description = errors
        .require("description", description)
        .and_then(|d| errors.check("description", parse_description(d)));
    let priority = errors
        .require("priority", priority)
        .and_then(|p| errors.check("priority", parse_priority(p)));
    let arr = match errors.require("annual_recurring_revenue", arr) {
        Some(input) => match Money::parse(input.amount.as_deref(), input.currency.as_deref()) {
            Ok(money) => Some(money),
            Err(problems) => {
                for (field, message) in problems {
                    errors.add(format!("annual_recurring_revenue.{field}"), message);
                }
                None
            }
        },
        None => None,
    };
    let timeline = match timeline {
        Some(input) => match Timeline::parse(input, errors.scope("timeline")) {
            Ok(t) => Some(Some(t)),
            Err(problems) => {
                errors.extend_prefixed("timeline", problems);
                None
            }
        },
        None => Some(None),
    };
    Some(Details {
        title: title?,
        description: description?,
        priority: priority?,
        annual_recurring_revenue: arr?,
        timeline: timeline?,
    })
}

/// Parses the customer choice of a new opportunity.
pub fn parse_customer(errors: &mut FieldErrors, input: Option<&CustomerInput>, new_id: Uuid) -> Option<CustomerChoice> {
    let input = errors.require("customer", input)?;
    match (&input.id, &input.name) {
        (Some(id), None) => errors
            .check(
                "customer.id",
                Uuid::parse_str(id).map_err(|_| "must be a UUID".to_owned()),
            )
            .map(CustomerChoice::Existing),
        (None, Some(name)) => errors
            .check("customer.name", parse_text(name, NAME_MAX, false))
            .map(|name| CustomerChoice::ByName { id: new_id, name }),
        _ => {
            if !errors.is_unreadable("customer.id") && !errors.is_unreadable("customer.name") {
                errors.add("customer", "give either id or name");
            }
            None
        }
    }
}

/// Parses a required reason.
pub fn parse_reason(errors: &mut FieldErrors, reason: Option<&str>) -> Option<String> {
    let reason = errors.require("reason", reason)?;
    errors.check("reason", parse_text(reason, REASON_MAX, true))
}

/// `PUT /v1/opportunities/{id}/problem-statement`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemStatementRequest {
    /// Markdown, 100 to 10,000 characters.
    pub markdown: Option<String>,
    /// Why it changed (recorded in the history).
    pub reason: Option<String>,
}

/// One skill requirement as a client sends it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillRequirementInput {
    /// A catalog skill's id (or give `custom_name`).
    pub skill_id: Option<String>,
    /// A skill outside the catalog (or give `skill_id`).
    pub custom_name: Option<String>,
    /// `technical`, `soft`, `industry`, `language` or `geography`.
    pub category: Option<String>,
    /// `must_have` or `nice_to_have`.
    pub importance: Option<String>,
    /// `beginner`, `intermediate`, `advanced` or `expert`.
    pub min_proficiency: Option<String>,
}

/// `PUT /v1/opportunities/{id}/skill-requirements`: replaces the whole list.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillRequirementsRequest {
    /// Up to 50 requirements (refused by the list's length before an item is read).
    #[schema(value_type = Option<Vec<SkillRequirementInput>>)]
    pub items: Option<BoundedVec<SkillRequirementInput, { crate::domain::opportunity::SKILL_REQUIREMENTS_MAX }>>,
    /// Why they changed (recorded in the history).
    pub reason: Option<String>,
}

fn parse_named<T>(
    errors: &mut FieldErrors,
    field: String,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
    names: String,
) -> Option<T> {
    match value {
        None => {
            errors.add(field, "is required");
            None
        }
        Some(text) => errors.check(field, parse(text).ok_or_else(|| format!("must be one of {names}"))),
    }
}

/// Parses skill requirements; `catalog` holds the ids of the catalog skills named.
pub fn parse_skill_requirements(
    errors: &mut FieldErrors,
    items: &[SkillRequirementInput],
    catalog: &[(Uuid, String)],
) -> Vec<SkillRequirement> {
    if items.len() > crate::domain::opportunity::SKILL_REQUIREMENTS_MAX {
        errors.add(
            "items",
            format!(
                "must list at most {} requirements",
                crate::domain::opportunity::SKILL_REQUIREMENTS_MAX
            ),
        );
    }
    let mut parsed = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = |f: &str| format!("items[{i}].{f}");
        let skill = match (&item.skill_id, &item.custom_name) {
            (Some(id), None) => match Uuid::parse_str(id) {
                Ok(id) => match catalog.iter().find(|(c, _)| *c == id) {
                    Some((_, name)) => Some(SkillRef::Catalog {
                        id,
                        name: Some(name.clone()),
                    }),
                    None => {
                        errors.add(at("skill_id"), "no such skill in the catalog");
                        None
                    }
                },
                Err(_) => {
                    errors.add(at("skill_id"), "must be a UUID");
                    None
                }
            },
            (None, Some(name)) => errors
                .check(at("custom_name"), parse_text(name, CUSTOM_SKILL_MAX, false))
                .map(SkillRef::Custom),
            _ => {
                errors.add(format!("items[{i}]"), "give exactly one of skill_id and custom_name");
                None
            }
        };
        if let Some(skill) = &skill {
            let key = match skill {
                SkillRef::Catalog { id, .. } => id.to_string(),
                SkillRef::Custom(name) => crate::domain::catalog::name_key(name),
            };
            if seen.contains(&key) {
                errors.add(format!("items[{i}]"), "lists the same skill twice");
            }
            seen.push(key);
        }
        let category = parse_named(
            errors,
            at("category"),
            item.category.as_deref(),
            SkillCategory::parse,
            SkillCategory::names(),
        );
        let importance = parse_named(
            errors,
            at("importance"),
            item.importance.as_deref(),
            Importance::parse,
            Importance::names(),
        );
        let min_proficiency = parse_named(
            errors,
            at("min_proficiency"),
            item.min_proficiency.as_deref(),
            Proficiency::parse,
            Proficiency::names(),
        );
        if let (Some(skill), Some(category), Some(importance), Some(min_proficiency)) =
            (skill, category, importance, min_proficiency)
        {
            parsed.push(SkillRequirement {
                skill,
                category,
                importance,
                min_proficiency,
            });
        }
    }
    parsed
}

/// `POST /v1/opportunities/{id}/cancel`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// Why it is cancelled: required, up to 1,000 characters.
    pub reason: Option<String>,
}

/// `POST /v1/customers`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomerRequest {
    /// 1 to 200 characters, unique ignoring case and spacing.
    pub name: Option<String>,
}

/// `POST /v1/skills`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSkillRequest {
    /// 1 to 200 characters, unique ignoring case and spacing.
    pub name: Option<String>,
    /// `technical`, `soft`, `industry`, `language` or `geography`.
    pub category: Option<String>,
    /// Up to 1,000 characters.
    pub description: Option<String>,
}

/// The `owner_id` filter of the list and the report: a user id (`sub`) of 1 to 128 characters
/// without control characters, trimmed. One rule for both, as the OpenAPI parameter states it.
pub fn parse_owner_id(raw: Option<String>) -> Result<Option<String>, crate::http::ApiError> {
    raw.map(|o| o.trim().to_owned())
        .map(|o| {
            if o.is_empty() || o.chars().count() > 128 || o.chars().any(char::is_control) {
                Err(crate::http::ApiError::BadRequest {
                    code: "invalid_parameter",
                    detail: "owner_id must be a user id of 1 to 128 characters".into(),
                })
            } else {
                Ok(o)
            }
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failing_detail_field_is_reported_at_once() {
        let mut errors = FieldErrors::new();
        let timeline = TimelineInput {
            start_date: Some("2026-13-01".into()),
            end_date: Some("2026-01-01".into()),
            duration_days: Some(3),
            flexible: None,
            specific_days: None,
        };
        let money = MoneyInput {
            amount: Some("abc".into()),
            currency: Some("EURO".into()),
        };
        let details = parse_details(
            &mut errors,
            Some("  "),
            None,
            Some("urgent"),
            Some(&money),
            Some(&timeline),
        );
        assert!(details.is_none());
        let fields: Vec<String> = errors.into_vec().into_iter().map(|e| e.field).collect();
        for expected in [
            "title",
            "description",
            "priority",
            "annual_recurring_revenue.currency",
            "annual_recurring_revenue.amount",
            "timeline.start_date",
            "timeline.flexible",
            "timeline.duration_days",
        ] {
            assert!(
                fields.contains(&expected.to_owned()),
                "{expected} missing from {fields:?}"
            );
        }
    }

    #[test]
    fn skill_requirements_name_exactly_one_skill_and_known_catalog_ids() {
        let known = Uuid::now_v7();
        let items = vec![
            SkillRequirementInput {
                skill_id: Some(known.to_string()),
                category: Some("technical".into()),
                importance: Some("must_have".into()),
                min_proficiency: Some("expert".into()),
                ..Default::default()
            },
            SkillRequirementInput {
                skill_id: Some(Uuid::now_v7().to_string()),
                category: Some("technical".into()),
                importance: Some("must_have".into()),
                min_proficiency: Some("expert".into()),
                ..Default::default()
            },
            SkillRequirementInput {
                skill_id: Some(known.to_string()),
                custom_name: Some("x".into()),
                category: Some("bad".into()),
                importance: None,
                min_proficiency: Some("guru".into()),
            },
        ];
        let mut errors = FieldErrors::new();
        let parsed = parse_skill_requirements(&mut errors, &items, &[(known, "Rust".into())]);
        assert_eq!(parsed.len(), 1);
        let fields: Vec<String> = errors.into_vec().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![
                "items[1].skill_id",
                "items[2]",
                "items[2].category",
                "items[2].importance",
                "items[2].min_proficiency"
            ]
        );
    }
}
