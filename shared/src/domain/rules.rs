//! An opportunity's own rules: what may change in which status, when a reason is required, and
//! what each lifecycle transition changes. The HTTP handlers and the status-event consumer ask
//! these; none of them re-implements a rule.

use time::OffsetDateTime;

use super::history::{Change, HistoryEntry};
use super::lifecycle::{Action, Status, TransitionError, next_status, reactivate};
use super::opportunity::Opportunity;
use super::validation::FieldErrors;

/// The fields that may still change once an architect is selected.
pub const CHANGEABLE_AFTER_SELECTION: &[&str] = &["description", "timeline"];

/// Why the rules refuse a change.
#[derive(Debug, Clone)]
pub enum RuleViolation {
    /// Completed and cancelled opportunities are read-only.
    Closed(Status),
    /// The field cannot change in the current status.
    FieldLocked(String),
    /// Once an opportunity is no longer a draft every change needs a reason.
    ReasonRequired,
    /// What a submission still lacks.
    Incomplete(FieldErrors),
    /// The lifecycle does not allow the transition.
    Transition(TransitionError),
}

impl From<TransitionError> for RuleViolation {
    fn from(error: TransitionError) -> Self {
        RuleViolation::Transition(error)
    }
}

/// A status change: the opportunity after it, and its history record.
#[derive(Debug, Clone)]
pub struct Transition {
    /// The opportunity in its new status (version and `updated_at` are the writer's to set).
    pub next: Opportunity,
    /// The status record.
    pub history: HistoryEntry,
}

impl Opportunity {
    /// Completed and cancelled opportunities change no more.
    pub fn ensure_open(&self) -> Result<(), RuleViolation> {
        if matches!(self.status, Status::Completed | Status::Cancelled) {
            return Err(RuleViolation::Closed(self.status));
        }
        Ok(())
    }

    /// Whether a change must give a reason: once the opportunity is no longer a draft.
    pub fn reason_required(&self) -> bool {
        self.status != Status::Draft
    }

    /// Checks that `changed` fields of the details may change now: a reason once it is not a
    /// draft, the customer only while a draft, and after an architect is selected only
    /// [`CHANGEABLE_AFTER_SELECTION`].
    pub fn ensure_fields_may_change(&self, changed: &[&str], reason: Option<&str>) -> Result<(), RuleViolation> {
        if self.reason_required() && reason.is_none() {
            return Err(RuleViolation::ReasonRequired);
        }
        if self.status != Status::Draft && changed.contains(&"customer") {
            return Err(RuleViolation::FieldLocked(
                "the customer can only change while the opportunity is a draft".into(),
            ));
        }
        if self.status == Status::ArchitectSelected
            && let Some(locked) = changed.iter().find(|f| !CHANGEABLE_AFTER_SELECTION.contains(f))
        {
            return Err(RuleViolation::FieldLocked(format!(
                "{locked} cannot change once an architect is selected (only {})",
                CHANGEABLE_AFTER_SELECTION.join(", ")
            )));
        }
        Ok(())
    }

    /// The problem statement and the skill requirements (`what`) change while open and before an
    /// architect is selected.
    pub fn ensure_requirements_editable(&self, what: &str) -> Result<(), RuleViolation> {
        self.ensure_open()?;
        if self.status == Status::ArchitectSelected {
            return Err(RuleViolation::FieldLocked(format!(
                "the {what} cannot change once an architect is selected"
            )));
        }
        Ok(())
    }

    fn transition(&self, to: Status, at: OffsetDateTime, actor: &str, reason: Option<String>) -> Transition {
        let mut next = self.clone();
        next.status = to;
        Transition {
            next,
            history: HistoryEntry {
                change: Change::Status {
                    from: Some(self.status),
                    to,
                },
                at,
                actor: actor.into(),
                reason,
            },
        }
    }

    /// Draft to submitted, once the problem statement, the timeline and a must-have skill are there.
    pub fn submit(&self, at: OffsetDateTime, actor: &str) -> Result<Transition, RuleViolation> {
        let to = next_status(self.status, Action::Submit)?;
        let gaps = self.submission_gaps();
        if !gaps.is_empty() {
            return Err(RuleViolation::Incomplete(gaps));
        }
        Ok(self.transition(to, at, actor, None))
    }

    /// Cancelled from any status before completed, remembering where it was for a reactivation.
    pub fn cancel(&self, at: OffsetDateTime, actor: &str, reason: String) -> Result<Transition, RuleViolation> {
        let to = next_status(self.status, Action::Cancel)?;
        let mut transition = self.transition(to, at, actor, Some(reason));
        transition.next.status_before_cancel = Some(self.status);
        transition.next.cancelled_at = Some(at);
        Ok(transition)
    }

    /// Back to the status it was cancelled in, within the reactivation window.
    pub fn reactivate(&self, at: OffsetDateTime, actor: &str) -> Result<Transition, RuleViolation> {
        let to = reactivate(self.status, self.status_before_cancel, self.cancelled_at, at)?;
        let mut transition = self.transition(to, at, actor, None);
        transition.next.status_before_cancel = None;
        transition.next.cancelled_at = None;
        Ok(transition)
    }

    /// A step the matching and selection services report (`actor` is the reporting service).
    pub fn advance(
        &self,
        action: Action,
        at: OffsetDateTime,
        actor: &str,
        reason: Option<String>,
    ) -> Result<Transition, TransitionError> {
        let to = next_status(self.status, action)?;
        Ok(self.transition(to, at, actor, reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::REACTIVATION_WINDOW;

    fn draft() -> Opportunity {
        let created = time::macros::datetime!(2026-01-05 09:00 UTC);
        Opportunity {
            id: uuid::Uuid::nil(),
            owner_sub: "owner".into(),
            owner_name: None,
            customer: crate::domain::opportunity::CustomerRef {
                id: uuid::Uuid::nil(),
                name: "Acme".into(),
            },
            title: "Migration".into(),
            description: "Move to the cloud".into(),
            priority: crate::domain::opportunity::Priority::High,
            annual_recurring_revenue: crate::domain::money::Money::from_stored(
                rust_decimal::Decimal::new(12_500_000, 2),
                "EUR".into(),
            ),
            timeline: None,
            problem_statement: None,
            skill_requirements: Vec::new(),
            status: Status::Draft,
            status_before_cancel: None,
            cancelled_at: None,
            version: 1,
            created_at: created,
            updated_at: created,
        }
    }

    fn at(status: Status) -> Opportunity {
        Opportunity { status, ..draft() }
    }

    #[test]
    fn closed_opportunities_change_no_more() {
        assert!(matches!(
            at(Status::Completed).ensure_open(),
            Err(RuleViolation::Closed(Status::Completed))
        ));
        assert!(matches!(
            at(Status::Cancelled).ensure_open(),
            Err(RuleViolation::Closed(Status::Cancelled))
        ));
        assert!(at(Status::MatchesFound).ensure_open().is_ok());
    }

    #[test]
    fn a_reason_is_required_once_the_opportunity_is_no_longer_a_draft() {
        assert!(draft().ensure_fields_may_change(&["title"], None).is_ok());
        assert!(matches!(
            at(Status::Submitted).ensure_fields_may_change(&["title"], None),
            Err(RuleViolation::ReasonRequired)
        ));
        assert!(
            at(Status::Submitted)
                .ensure_fields_may_change(&["title"], Some("why"))
                .is_ok()
        );
    }

    #[test]
    fn the_customer_changes_only_in_a_draft_and_after_selection_only_description_and_timeline() {
        assert!(matches!(
            at(Status::Submitted).ensure_fields_may_change(&["customer"], Some("r")),
            Err(RuleViolation::FieldLocked(_))
        ));
        let selected = at(Status::ArchitectSelected);
        assert!(
            selected
                .ensure_fields_may_change(&["description", "timeline"], Some("r"))
                .is_ok()
        );
        assert!(matches!(
            selected.ensure_fields_may_change(&["title"], Some("r")),
            Err(RuleViolation::FieldLocked(detail)) if detail.starts_with("title cannot change")
        ));
        assert!(matches!(
            selected.ensure_requirements_editable("skill requirements"),
            Err(RuleViolation::FieldLocked(_))
        ));
    }

    #[test]
    fn submitting_an_incomplete_draft_names_what_is_missing() {
        let Err(RuleViolation::Incomplete(gaps)) = draft().submit(draft().created_at, "me") else {
            panic!("an empty draft cannot be submitted");
        };
        assert!(!gaps.is_empty());
        assert!(matches!(
            at(Status::Submitted).submit(draft().created_at, "me"),
            Err(RuleViolation::Transition(TransitionError::Illegal { .. }))
        ));
    }

    #[test]
    fn cancel_remembers_the_status_and_reactivation_returns_to_it_within_the_window() {
        let now = draft().created_at;
        let cancelled = at(Status::MatchesFound).cancel(now, "me", "budget".into()).unwrap();
        assert_eq!(cancelled.next.status, Status::Cancelled);
        assert_eq!(cancelled.next.status_before_cancel, Some(Status::MatchesFound));
        assert_eq!(cancelled.history.reason.as_deref(), Some("budget"));
        let back = cancelled.next.reactivate(now + REACTIVATION_WINDOW, "me").unwrap();
        assert_eq!(back.next.status, Status::MatchesFound);
        assert_eq!((back.next.status_before_cancel, back.next.cancelled_at), (None, None));
        assert!(matches!(
            cancelled
                .next
                .reactivate(now + REACTIVATION_WINDOW + time::Duration::seconds(1), "me"),
            Err(RuleViolation::Transition(
                TransitionError::ReactivationWindowClosed { .. }
            ))
        ));
    }

    #[test]
    fn an_event_advances_one_step_and_records_its_source_as_the_actor() {
        let now = draft().created_at;
        let t = at(Status::Submitted)
            .advance(Action::StartMatching, now, "matching", None)
            .unwrap();
        assert_eq!(t.next.status, Status::MatchingInProgress);
        assert_eq!(t.history.actor, "matching");
        assert!(
            at(Status::Submitted)
                .advance(Action::Complete, now, "selection", None)
                .is_err()
        );
    }
}
