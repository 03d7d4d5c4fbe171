//! The opportunity and its parts, as parsed domain values: once a value of these types exists it
//! is valid ("parse, don't validate"). Request bodies become these types in one place each.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;
use uuid::Uuid;

pub use super::dates::parse_date;
use super::dates::{DATE_FORMAT, LAST_DATE, RANGE_TEXT, add_days};
use super::lifecycle::Status;
use super::money::Money;
use super::validation::{FieldErrors, parse_text};

/// Longest title, in characters.
pub const TITLE_MAX: usize = 200;
/// Longest description, in characters.
pub const DESCRIPTION_MAX: usize = 5_000;
/// Shortest problem statement, in characters (after trimming).
pub const PROBLEM_STATEMENT_MIN: usize = 100;
/// Longest problem statement, in characters. Together with the UTF-8 limit it keeps a history
/// record (old and new text) under the Data API's 64 KB row limit.
pub const PROBLEM_STATEMENT_MAX: usize = 10_000;
/// Longest problem statement, in UTF-8 bytes.
pub const PROBLEM_STATEMENT_MAX_BYTES: usize = 30_000;
/// Most skill requirements on one opportunity.
pub const SKILL_REQUIREMENTS_MAX: usize = 50;
/// Longest timeline, in days.
pub const TIMELINE_MAX_DAYS: i64 = 3_650;

/// How urgent an opportunity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 4] = [Priority::Low, Priority::Medium, Priority::High, Priority::Critical];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Critical => "critical",
        }
    }

    /// Sort rank: low = 1 ... critical = 4.
    pub fn rank(self) -> i64 {
        match self {
            Priority::Low => 1,
            Priority::Medium => 2,
            Priority::High => 3,
            Priority::Critical => 4,
        }
    }

    /// Parses the snake_case name.
    pub fn parse(text: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// When the engagement happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Timeline {
    /// First day.
    #[schema(value_type = String, format = Date)]
    #[serde(serialize_with = "serialize_date")]
    pub start_date: Date,
    /// Last day, when given as a date (exclusive with `duration_days`).
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(serialize_with = "serialize_opt_date", skip_serializing_if = "Option::is_none")]
    pub end_date: Option<Date>,
    /// Length in days, when given as a duration (exclusive with `end_date`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_days: Option<i64>,
    /// Whether the dates may move.
    pub flexible: bool,
    /// Particular days the work must happen on, within the timeline, ascending.
    #[schema(value_type = Vec<String>)]
    #[serde(serialize_with = "serialize_dates")]
    pub specific_days: Vec<Date>,
}

fn serialize_date<S: serde::Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&date.format(DATE_FORMAT).map_err(serde::ser::Error::custom)?)
}
fn serialize_opt_date<S: serde::Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match date {
        Some(d) => serialize_date(d, s),
        None => s.serialize_none(),
    }
}
fn serialize_dates<S: serde::Serializer>(dates: &[Date], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(dates.len()))?;
    for d in dates {
        seq.serialize_element(&d.format(DATE_FORMAT).map_err(serde::ser::Error::custom)?)?;
    }
    seq.end()
}

/// The timeline as a client sends it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimelineInput {
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub start_date: Option<String>,
    /// `YYYY-MM-DD`, not before `start_date`; give this or `duration_days`.
    #[schema(format = Date)]
    pub end_date: Option<String>,
    /// 1 to 3650; give this or `end_date`.
    pub duration_days: Option<i64>,
    /// Whether the dates may move.
    pub flexible: Option<bool>,
    /// Days within the timeline the work must happen on.
    pub specific_days: Option<Vec<String>>,
}

impl Timeline {
    /// The last day of the timeline.
    pub fn last_day(&self) -> Date {
        match (self.end_date, self.duration_days) {
            (Some(end), _) => end,
            // A parsed timeline always ends within the supported range; the fallback only keeps
            // a stored value from outside it from overflowing.
            (None, Some(days)) => add_days(self.start_date, days.saturating_sub(1)).unwrap_or(Date::MAX),
            (None, None) => self.start_date,
        }
    }

    /// Parses a client's timeline, reporting every failing field (without prefix). `known` holds
    /// the fields already found unreadable (see [`FieldErrors::scope`]).
    pub fn parse(input: &TimelineInput, known: FieldErrors) -> Result<Timeline, FieldErrors> {
        let mut errors = known;
        let start = errors
            .require("start_date", input.start_date.as_deref())
            .and_then(|s| errors.check("start_date", parse_date(s)));
        let end = input
            .end_date
            .as_deref()
            .and_then(|s| errors.check("end_date", parse_date(s)));
        let flexible = errors.require("flexible", input.flexible);
        match (&input.end_date, input.duration_days) {
            (Some(_), Some(_)) => errors.add("duration_days", "give either end_date or duration_days, not both"),
            (None, None) if !errors.is_unreadable("duration_days") && !errors.is_unreadable("end_date") => {
                errors.add("end_date", "give either end_date or duration_days")
            }
            _ => {}
        }
        if let Some(days) = input.duration_days {
            if !(1..=TIMELINE_MAX_DAYS).contains(&days) {
                errors.add("duration_days", format!("must be between 1 and {TIMELINE_MAX_DAYS}"));
            } else if let Some(start) = start
                && add_days(start, days - 1).is_none()
            {
                errors.add(
                    "duration_days",
                    format!("the timeline must end by {LAST_DATE} (dates are supported {RANGE_TEXT})"),
                );
            }
        }
        if let (Some(start), Some(end)) = (start, end) {
            if end < start {
                errors.add("end_date", "must not be before start_date");
            } else if (end - start).whole_days() + 1 > TIMELINE_MAX_DAYS {
                errors.add(
                    "end_date",
                    format!("the timeline must be at most {TIMELINE_MAX_DAYS} days"),
                );
            }
        }
        let mut specific_days = Vec::new();
        if let Some(days) = &input.specific_days {
            if days.len() > 366 {
                errors.add("specific_days", "must list at most 366 days");
            }
            for (i, text) in days.iter().enumerate() {
                if let Some(day) = errors.check(format!("specific_days[{i}]"), parse_date(text)) {
                    if specific_days.contains(&day) {
                        errors.add(format!("specific_days[{i}]"), "is listed twice");
                    }
                    specific_days.push(day);
                }
            }
            specific_days.sort();
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let (Some(start_date), Some(flexible)) = (start, flexible) else {
            return Err(errors);
        };
        let timeline = Timeline {
            start_date,
            end_date: end,
            duration_days: input.duration_days,
            flexible,
            specific_days,
        };
        let last = timeline.last_day();
        if let Some(days) = &input.specific_days {
            for (i, text) in days.iter().enumerate() {
                if let Ok(day) = parse_date(text)
                    && (day < timeline.start_date || day > last)
                {
                    errors.add(format!("specific_days[{i}]"), "must fall within the timeline");
                }
            }
        }
        if errors.is_empty() { Ok(timeline) } else { Err(errors) }
    }

    /// The input form of this timeline (for merge patches).
    pub fn to_input_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The customer an opportunity is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CustomerRef {
    /// Customer id.
    pub id: Uuid,
    /// Customer name.
    pub name: String,
}

/// What the opportunity needs solved, in markdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProblemStatement {
    /// Markdown text, 100 to 10,000 characters.
    pub markdown: String,
}

impl ProblemStatement {
    /// Parses markdown: at least 100 characters after trimming, within the size limits.
    pub fn parse(markdown: &str) -> Result<ProblemStatement, String> {
        let text = markdown.trim();
        let length = text.chars().count();
        if length < PROBLEM_STATEMENT_MIN {
            return Err(format!(
                "must be at least {PROBLEM_STATEMENT_MIN} characters (got {length})"
            ));
        }
        if length > PROBLEM_STATEMENT_MAX || text.len() > PROBLEM_STATEMENT_MAX_BYTES {
            return Err(format!(
                "must be at most {PROBLEM_STATEMENT_MAX} characters and {PROBLEM_STATEMENT_MAX_BYTES} bytes"
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            return Err("must not contain control characters".into());
        }
        Ok(ProblemStatement {
            markdown: text.to_owned(),
        })
    }
}

macro_rules! snake_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The snake_case name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// Parses the snake_case name.
            pub fn parse(text: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
            /// The accepted names, for error messages.
            pub fn names() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

snake_enum!(
    /// What kind of skill.
    SkillCategory {
        /// Technology and tools.
        Technical => "technical",
        /// Communication, leadership.
        Soft => "soft",
        /// Domain knowledge of an industry.
        Industry => "industry",
        /// Spoken language.
        Language => "language",
        /// Presence in a region.
        Geography => "geography",
    }
);

snake_enum!(
    /// Whether a skill is required.
    Importance {
        /// Required: submission needs at least one.
        MustHave => "must_have",
        /// Preferred.
        NiceToHave => "nice_to_have",
    }
);

snake_enum!(
    /// Lowest acceptable proficiency.
    Proficiency {
        /// Beginner.
        Beginner => "beginner",
        /// Intermediate.
        Intermediate => "intermediate",
        /// Advanced.
        Advanced => "advanced",
        /// Expert.
        Expert => "expert",
    }
);

/// The skill a requirement names: a catalog skill or a custom one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkillRef {
    /// A skill of the catalog, by id (the name is filled in on reads).
    Catalog {
        /// Catalog id.
        id: Uuid,
        /// Catalog name, when known.
        name: Option<String>,
    },
    /// A skill outside the catalog.
    Custom(String),
}

/// One skill the architect must (or should) have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillRequirement {
    /// The skill.
    pub skill: SkillRef,
    /// Its category.
    pub category: SkillCategory,
    /// Must have or nice to have.
    pub importance: Importance,
    /// Lowest acceptable proficiency.
    pub min_proficiency: Proficiency,
}

/// A skill requirement as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SkillRequirementView {
    /// The catalog skill, when it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skill_id: Option<Uuid>,
    /// The catalog skill's name or the custom name.
    pub name: String,
    /// The custom name, when it is not a catalog skill.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_name: Option<String>,
    /// Category.
    pub category: SkillCategory,
    /// Importance.
    pub importance: Importance,
    /// Lowest acceptable proficiency.
    pub min_proficiency: Proficiency,
}

impl SkillRequirement {
    /// The API view.
    pub fn view(&self) -> SkillRequirementView {
        let (skill_id, name, custom_name) = match &self.skill {
            SkillRef::Catalog { id, name } => (Some(*id), name.clone().unwrap_or_default(), None),
            SkillRef::Custom(name) => (None, name.clone(), Some(name.clone())),
        };
        SkillRequirementView {
            skill_id,
            name,
            custom_name,
            category: self.category,
            importance: self.importance,
            min_proficiency: self.min_proficiency,
        }
    }
}

/// An opportunity: everything the API shows of it, and its place in the lifecycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Opportunity {
    /// Id.
    pub id: Uuid,
    /// The Sales Manager (Cognito `sub`) who owns it.
    pub owner_sub: String,
    /// The customer.
    pub customer: CustomerRef,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Priority.
    pub priority: Priority,
    /// Annual recurring revenue.
    pub annual_recurring_revenue: Money,
    /// Timeline (required to submit).
    pub timeline: Option<Timeline>,
    /// Problem statement (required to submit).
    pub problem_statement: Option<ProblemStatement>,
    /// Skill requirements (at least one must-have to submit).
    pub skill_requirements: Vec<SkillRequirement>,
    /// Lifecycle status.
    pub status: Status,
    /// The status it was cancelled in, while cancelled.
    pub status_before_cancel: Option<Status>,
    /// When it was cancelled, while cancelled.
    pub cancelled_at: Option<OffsetDateTime>,
    /// Optimistic concurrency version, starts at 1.
    pub version: i64,
    /// Created.
    pub created_at: OffsetDateTime,
    /// Last changed.
    pub updated_at: OffsetDateTime,
    /// The owner's name from the user directory (read with the opportunity; never written
    /// through it), `None` when unknown.
    pub owner_name: Option<String>,
}

/// A new opportunity before its customer is resolved: the creating transaction either reads
/// the existing customer it names or finds or creates one by name, and only then is there an
/// [`Opportunity`] (a draft at version 1).
#[derive(Debug, Clone, PartialEq)]
pub struct OpportunityDraft {
    /// Id.
    pub id: Uuid,
    /// The Sales Manager (Cognito `sub`) who owns it.
    pub owner_sub: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Priority.
    pub priority: Priority,
    /// Annual recurring revenue.
    pub annual_recurring_revenue: Money,
    /// Timeline.
    pub timeline: Option<Timeline>,
    /// Problem statement.
    pub problem_statement: Option<ProblemStatement>,
    /// Skill requirements.
    pub skill_requirements: Vec<SkillRequirement>,
    /// Created.
    pub created_at: OffsetDateTime,
    /// The owner's name, as the creation records it in the user directory.
    pub owner_name: Option<String>,
}

impl OpportunityDraft {
    /// The opportunity this draft becomes for `customer`: status Draft, version 1.
    pub fn for_customer(self, customer: CustomerRef) -> Opportunity {
        Opportunity {
            id: self.id,
            owner_sub: self.owner_sub,
            customer,
            title: self.title,
            description: self.description,
            priority: self.priority,
            annual_recurring_revenue: self.annual_recurring_revenue,
            timeline: self.timeline,
            problem_statement: self.problem_statement,
            skill_requirements: self.skill_requirements,
            status: Status::Draft,
            status_before_cancel: None,
            cancelled_at: None,
            version: 1,
            created_at: self.created_at,
            updated_at: self.created_at,
            owner_name: self.owner_name,
        }
    }
}

/// The fields a creation takes from an opportunity (its customer, status and version are those
/// the creation gives it).
impl From<Opportunity> for OpportunityDraft {
    fn from(o: Opportunity) -> Self {
        OpportunityDraft {
            id: o.id,
            owner_sub: o.owner_sub,
            title: o.title,
            description: o.description,
            priority: o.priority,
            annual_recurring_revenue: o.annual_recurring_revenue,
            timeline: o.timeline,
            problem_statement: o.problem_statement,
            skill_requirements: o.skill_requirements,
            created_at: o.created_at,
            owner_name: o.owner_name,
        }
    }
}

impl Opportunity {
    /// The strong entity tag of this version.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }

    /// What is missing before the opportunity can be submitted, as field errors.
    pub fn submission_gaps(&self) -> FieldErrors {
        let mut errors = FieldErrors::new();
        if self.problem_statement.is_none() {
            errors.add("problem_statement", "a problem statement is required before submitting");
        }
        if self.timeline.is_none() {
            errors.add("timeline", "a timeline is required before submitting");
        }
        if !self
            .skill_requirements
            .iter()
            .any(|r| r.importance == Importance::MustHave)
        {
            errors.add(
                "skill_requirements",
                "at least one must_have skill requirement is required before submitting",
            );
        }
        errors
    }
}

/// Parses a required single-line text field.
pub fn parse_title(raw: &str) -> Result<String, String> {
    parse_text(raw, TITLE_MAX, false)
}

/// Parses a required multi-line text field.
pub fn parse_description(raw: &str) -> Result<String, String> {
    parse_text(raw, DESCRIPTION_MAX, true)
}
