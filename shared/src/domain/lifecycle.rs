//! The opportunity status lifecycle: which action moves which status where.
//!
//! ```text
//! draft ─submit→ submitted ─start_matching→ matching_in_progress ─matches_found→ matches_found
//!   ─select_architect→ architect_selected ─complete→ completed
//! any status before completed ─cancel→ cancelled ─reactivate (90 days)→ the status it was cancelled in
//! ```
//! Matching and selection actions come from the matching and selection services as events; Sales
//! Managers and Admins submit, cancel and reactivate through the API.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;

/// Where an opportunity stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being written by its Sales Manager.
    Draft,
    /// Handed over for matching.
    Submitted,
    /// The matching service is looking for architects.
    MatchingInProgress,
    /// Candidates were found.
    MatchesFound,
    /// An architect was chosen.
    ArchitectSelected,
    /// The engagement is over (terminal).
    Completed,
    /// Withdrawn; can be reactivated within 90 days.
    Cancelled,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 7] = [
        Status::Draft,
        Status::Submitted,
        Status::MatchingInProgress,
        Status::MatchesFound,
        Status::ArchitectSelected,
        Status::Completed,
        Status::Cancelled,
    ];

    /// The snake_case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::MatchingInProgress => "matching_in_progress",
            Status::MatchesFound => "matches_found",
            Status::ArchitectSelected => "architect_selected",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Something that changes an opportunity's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Sales Manager hands the draft over (`POST .../submit`).
    Submit,
    /// Matching service started (event).
    StartMatching,
    /// Matching service found candidates (event).
    MatchesFound,
    /// Selection service recorded the chosen architect (event).
    SelectArchitect,
    /// The engagement finished (event).
    Complete,
    /// Withdraw (`POST .../cancel`, reason required).
    Cancel,
    /// Undo a cancellation (`POST .../reactivate`).
    Reactivate,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 7] = [
        Action::Submit,
        Action::StartMatching,
        Action::MatchesFound,
        Action::SelectArchitect,
        Action::Complete,
        Action::Cancel,
        Action::Reactivate,
    ];
}

/// How long after a cancellation the opportunity can still be reactivated.
pub const REACTIVATION_WINDOW: Duration = Duration::days(90);

/// Why a status change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The action does not apply to the current status.
    #[error("cannot {action:?} an opportunity in status {from}", from = from.as_str())]
    Illegal {
        /// The current status.
        from: Status,
        /// The refused action.
        action: Action,
    },
    /// Reactivation was asked for after the 90-day window closed.
    #[error("the 90-day reactivation window closed at {closed_at}")]
    ReactivationWindowClosed {
        /// When the window closed.
        closed_at: OffsetDateTime,
    },
}

/// The transition table for every action except [`Action::Reactivate`], whose target depends on
/// the status before cancellation (see [`reactivate`]).
pub fn next_status(from: Status, action: Action) -> Result<Status, TransitionError> {
    use Action as A;
    use Status as S;
    let to = match (from, action) {
        (S::Draft, A::Submit) => S::Submitted,
        (S::Submitted, A::StartMatching) => S::MatchingInProgress,
        (S::MatchingInProgress, A::MatchesFound) => S::MatchesFound,
        (S::MatchesFound, A::SelectArchitect) => S::ArchitectSelected,
        (S::ArchitectSelected, A::Complete) => S::Completed,
        (S::Draft | S::Submitted | S::MatchingInProgress | S::MatchesFound | S::ArchitectSelected, A::Cancel) => {
            S::Cancelled
        }
        _ => return Err(TransitionError::Illegal { from, action }),
    };
    Ok(to)
}

/// Reactivation: a cancelled opportunity returns to the status it was cancelled in, within
/// [`REACTIVATION_WINDOW`] of the cancellation.
pub fn reactivate(
    from: Status,
    status_before_cancel: Option<Status>,
    cancelled_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<Status, TransitionError> {
    let illegal = TransitionError::Illegal {
        from,
        action: Action::Reactivate,
    };
    if from != Status::Cancelled {
        return Err(illegal);
    }
    let (Some(previous), Some(cancelled_at)) = (status_before_cancel, cancelled_at) else {
        return Err(illegal);
    };
    let closed_at = cancelled_at + REACTIVATION_WINDOW;
    if now > closed_at {
        return Err(TransitionError::ReactivationWindowClosed { closed_at });
    }
    Ok(previous)
}

/// Where a status stands on the forward path (draft 0 .. completed 5); `None` for cancelled.
fn forward_rank(status: Status) -> Option<usize> {
    match status {
        Status::Cancelled => None,
        other => Status::ALL.iter().position(|s| *s == other),
    }
}

/// Whether an event setting `target` that does not apply to `current` now may apply later: the
/// opportunity is still before `target`'s predecessor on the forward path (events of a standard
/// queue arrive out of order, so the one it follows may still come), or it is cancelled in such a
/// status and may be reactivated. `false` when it can never apply: the opportunity is at or past
/// `target`, completed, or `target` is not a forward status.
pub fn may_apply_later(current: Status, status_before_cancel: Option<Status>, target: Status) -> bool {
    let (Some(target_rank), from) = (
        forward_rank(target),
        match current {
            Status::Cancelled => status_before_cancel,
            other => Some(other),
        },
    ) else {
        return false;
    };
    // While cancelled, even the very next step waits (for the reactivation); otherwise the next
    // step would have applied now, so only a later one waits.
    let waits = if current == Status::Cancelled { 1 } else { 2 };
    match from.and_then(forward_rank) {
        Some(rank) => from != Some(Status::Completed) && rank + waits <= target_rank,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use Status as S;

    /// The whole table, written out: every (status, action) pair not listed here must be refused.
    const LEGAL: &[(Status, Action, Status)] = &[
        (S::Draft, A::Submit, S::Submitted),
        (S::Draft, A::Cancel, S::Cancelled),
        (S::Submitted, A::StartMatching, S::MatchingInProgress),
        (S::Submitted, A::Cancel, S::Cancelled),
        (S::MatchingInProgress, A::MatchesFound, S::MatchesFound),
        (S::MatchingInProgress, A::Cancel, S::Cancelled),
        (S::MatchesFound, A::SelectArchitect, S::ArchitectSelected),
        (S::MatchesFound, A::Cancel, S::Cancelled),
        (S::ArchitectSelected, A::Complete, S::Completed),
        (S::ArchitectSelected, A::Cancel, S::Cancelled),
    ];

    #[test]
    fn every_status_and_action_pair_follows_the_table() {
        let mut checked = 0;
        for from in Status::ALL {
            for action in Action::ALL {
                if action == A::Reactivate {
                    continue;
                }
                let expected = LEGAL
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match (next_status(from, action), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from:?} --{action:?}-->"),
                    (Err(TransitionError::Illegal { .. }), None) => {}
                    (got, want) => panic!("{from:?} --{action:?}--> got {got:?}, want {want:?}"),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 7 * 6);
    }

    #[test]
    fn completed_and_cancelled_accept_no_forward_action() {
        for action in Action::ALL {
            if action != A::Reactivate {
                assert!(next_status(S::Completed, action).is_err());
                assert!(next_status(S::Cancelled, action).is_err());
            }
        }
    }

    #[test]
    fn reactivation_returns_to_the_status_before_cancellation_within_90_days() {
        let cancelled_at = time::macros::datetime!(2026-01-01 00:00 UTC);
        for previous in [
            S::Draft,
            S::Submitted,
            S::MatchingInProgress,
            S::MatchesFound,
            S::ArchitectSelected,
        ] {
            let now = cancelled_at + Duration::days(90);
            assert_eq!(
                reactivate(S::Cancelled, Some(previous), Some(cancelled_at), now),
                Ok(previous)
            );
        }
        let late = cancelled_at + Duration::days(90) + Duration::seconds(1);
        assert!(matches!(
            reactivate(S::Cancelled, Some(S::Draft), Some(cancelled_at), late),
            Err(TransitionError::ReactivationWindowClosed { .. })
        ));
    }

    #[test]
    fn only_cancelled_opportunities_can_be_reactivated() {
        let now = time::macros::datetime!(2026-01-01 00:00 UTC);
        for from in Status::ALL {
            let result = reactivate(from, Some(S::Draft), Some(now), now);
            assert_eq!(result.is_ok(), from == S::Cancelled, "{from:?}");
        }
        assert!(reactivate(S::Cancelled, None, Some(now), now).is_err());
    }

    #[test]
    fn status_names_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
    }

    #[test]
    fn an_event_may_apply_later_only_while_the_opportunity_is_before_its_predecessor() {
        // Every (current, target) pair: later when the target is two or more steps ahead.
        let forward = [
            S::Draft,
            S::Submitted,
            S::MatchingInProgress,
            S::MatchesFound,
            S::ArchitectSelected,
            S::Completed,
        ];
        for (i, current) in forward.iter().enumerate() {
            for (j, target) in forward.iter().enumerate() {
                let expected = *current != S::Completed && j >= i + 2;
                assert_eq!(
                    may_apply_later(*current, None, *target),
                    expected,
                    "{current:?} -> {target:?}"
                );
            }
            assert!(
                !may_apply_later(*current, None, S::Cancelled),
                "cancel is never an event"
            );
            assert!(!may_apply_later(*current, None, S::Draft));
        }
        // The next step applies now, not later; behind or equal never applies.
        assert!(!may_apply_later(S::Submitted, None, S::MatchingInProgress));
        assert!(!may_apply_later(S::MatchesFound, None, S::MatchingInProgress));
        // A cancelled opportunity may come back (reactivation) in the status it was cancelled in.
        assert!(may_apply_later(S::Cancelled, Some(S::Submitted), S::MatchesFound));
        assert!(may_apply_later(S::Cancelled, Some(S::Submitted), S::MatchingInProgress));
        assert!(!may_apply_later(
            S::Cancelled,
            Some(S::MatchesFound),
            S::MatchingInProgress
        ));
        assert!(!may_apply_later(S::Cancelled, None, S::MatchesFound));
    }
}
