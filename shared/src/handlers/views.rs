//! What the API returns: response bodies built from domain values.

use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::dates::DATE_FORMAT;
use crate::domain::lifecycle::{REACTIVATION_WINDOW, Status};
use crate::domain::money::Money;
use crate::domain::opportunity::{
    CustomerRef, Opportunity, Priority, ProblemStatement, SkillRequirementView, Timeline,
};
use crate::ports::store::OpportunitySummary;

/// An attachment as the opportunity lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentSummary {
    /// Attachment id.
    pub id: Uuid,
    /// Sanitised file name.
    pub file_name: String,
    /// Media type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// `pending`, `available` or `rejected`.
    pub status: String,
}

/// The whole opportunity.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpportunityView {
    /// Id.
    pub id: Uuid,
    /// The owning Sales Manager's user id (`sub`).
    pub owner_id: String,
    /// The owner's name from the user directory; `null` when unknown (an owner who never wrote
    /// with a name in their token, or one whose data was erased).
    pub owner_name: Option<String>,
    /// Customer.
    pub customer: CustomerRef,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Priority.
    pub priority: Priority,
    /// Annual recurring revenue.
    pub annual_recurring_revenue: Money,
    /// Timeline, once set.
    pub timeline: Option<Timeline>,
    /// Problem statement, once set.
    pub problem_statement: Option<ProblemStatement>,
    /// Skill requirements.
    pub skill_requirements: Vec<SkillRequirementView>,
    /// Attachments.
    pub attachments: Vec<AttachmentSummary>,
    /// Lifecycle status.
    pub status: Status,
    /// The status it was cancelled in (while cancelled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_before_cancel: Option<Status>,
    /// When it was cancelled (while cancelled).
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub cancelled_at: Option<OffsetDateTime>,
    /// Until when it can be reactivated (while cancelled).
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reactivatable_until: Option<OffsetDateTime>,
    /// Version; the `ETag` is this number in quotes.
    pub version: i64,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl OpportunityView {
    /// The same view listing these attachments.
    pub fn with_attachments(mut self, attachments: Vec<AttachmentSummary>) -> Self {
        self.attachments = attachments;
        self
    }

    /// The view of an opportunity (without attachments: see [`Self::with_attachments`]).
    pub fn of(o: &Opportunity) -> OpportunityView {
        OpportunityView {
            id: o.id,
            owner_id: o.owner_sub.clone(),
            owner_name: o.owner_name.clone(),
            customer: o.customer.clone(),
            title: o.title.clone(),
            description: o.description.clone(),
            priority: o.priority,
            annual_recurring_revenue: o.annual_recurring_revenue.clone(),
            timeline: o.timeline.clone(),
            problem_statement: o.problem_statement.clone(),
            skill_requirements: o.skill_requirements.iter().map(|r| r.view()).collect(),
            attachments: Vec::new(),
            status: o.status,
            status_before_cancel: o.status_before_cancel,
            cancelled_at: o.cancelled_at,
            reactivatable_until: o.cancelled_at.map(|at| at + REACTIVATION_WINDOW),
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// An opportunity as lists show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpportunitySummaryView {
    /// Id.
    pub id: Uuid,
    /// Owner's user id.
    pub owner_id: String,
    /// The owner's name from the user directory; `null` when unknown.
    pub owner_name: Option<String>,
    /// Customer.
    pub customer: CustomerRef,
    /// Title.
    pub title: String,
    /// Priority.
    pub priority: Priority,
    /// Status.
    pub status: Status,
    /// Annual recurring revenue.
    pub annual_recurring_revenue: Money,
    /// Start date, once a timeline is set.
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<String>,
    /// Version.
    pub version: i64,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl OpportunitySummaryView {
    /// The view of a summary.
    pub fn of(s: OpportunitySummary) -> OpportunitySummaryView {
        OpportunitySummaryView {
            id: s.id,
            owner_id: s.owner_sub,
            owner_name: s.owner_name,
            customer: s.customer,
            title: s.title,
            priority: s.priority,
            status: s.status,
            annual_recurring_revenue: s.annual_recurring_revenue,
            start_date: s.start_date.and_then(|d| d.format(DATE_FORMAT).ok()),
            version: s.version,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}
