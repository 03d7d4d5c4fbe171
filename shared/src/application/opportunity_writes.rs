//! The one write path of an opportunity: load, compute the change from the current state, bump
//! the version, build the change events, update with optimistic concurrency (recomputing on a lost
//! race where the caller allows it), then write the new view to the cache and publish the events.
//! `PATCH`, the sub-resource `PUT`s, submit, cancel and reactivate, and the status-event consumer
//! all run it.

use std::future::Future;

use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::app::App;
use crate::domain::events::{ChangeEvent, ChangeKind};
use crate::domain::history::HistoryEntry;
use crate::domain::opportunity::Opportunity;
use crate::ports::cache::{OPPORTUNITY_TTL, WriteThrough, opportunity_key};
use crate::ports::store::{OpportunityUpdate, StoreError};

/// How often a change is recomputed when a concurrent writer got there first.
pub const WRITE_ATTEMPTS: usize = 3;

/// A change computed from the current state.
#[derive(Debug, Clone)]
pub struct Mutation {
    /// The opportunity after the change (version and `updated_at` are set by [`write`]).
    pub opportunity: Opportunity,
    /// Its history records; none means nothing changed and nothing is written.
    pub history: Vec<HistoryEntry>,
    /// Events beyond the `OpportunityUpdated` every write emits.
    pub events: Vec<(ChangeKind, Value)>,
    /// Whether the skill requirements are replaced.
    pub skill_requirements_changed: bool,
}

impl Mutation {
    /// A change with these history records and no further events.
    pub fn of(opportunity: Opportunity, history: Vec<HistoryEntry>) -> Mutation {
        Mutation {
            opportunity,
            history,
            events: Vec::new(),
            skill_requirements_changed: false,
        }
    }
}

/// What to do when another writer committed between the load and the update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Load again and recompute (the caller did not pin a version).
    Recompute,
    /// Fail with the store's version conflict (the caller sent `If-Match`).
    Fail,
}

/// Why a write did not happen.
#[derive(Debug)]
pub enum WriteError<E> {
    /// The caller's own refusal (not found, not allowed, a rule, a stale `If-Match`).
    Refused(E),
    /// The store failed or refused (a version conflict under [`OnConflict::Fail`], an event
    /// already applied).
    Store(StoreError),
    /// Concurrent writers won [`WRITE_ATTEMPTS`] times in a row.
    KeptChanging,
    /// The view of the written opportunity could not be built.
    View(String),
}

/// A committed write (or none, when nothing changed).
#[derive(Debug)]
pub struct Written {
    /// The opportunity as it now is.
    pub opportunity: Opportunity,
    /// Its whole view as JSON: the response body and the cache entry.
    pub view: String,
}

/// The cache entry of a rendered view.
pub fn write_through(o: &Opportunity, view: &str) -> WriteThrough {
    WriteThrough {
        key: opportunity_key(o.id),
        version: o.version,
        body: view.to_owned(),
        ttl: OPPORTUNITY_TTL,
    }
}

fn event(app: &App, kind: ChangeKind, o: &Opportunity, detail: Value) -> ChangeEvent {
    ChangeEvent {
        id: app.ids.new_id(),
        event_type: kind,
        aggregate_id: o.id,
        aggregate_version: o.version,
        occurred_at: o.updated_at,
        detail,
    }
}

/// The write path. `load` reads the current state with whatever its view needs besides (`S`,
/// for example the attachments the view lists; read in the same statement, so a write computed
/// from it is rendered without a read-back) and refuses what the caller may not touch; `compute`
/// turns it into a [`Mutation`] at `now`; `view` renders the written opportunity with that state;
/// `applies_event` records a consumed event's id in the same transaction.
pub async fn write<E, S, L, LF, C, V, VF>(
    app: &App,
    load: L,
    compute: C,
    view: V,
    on_conflict: OnConflict,
    applies_event: Option<Uuid>,
) -> Result<Written, WriteError<E>>
where
    L: Fn() -> LF,
    LF: Future<Output = Result<(Opportunity, S), E>>,
    C: Fn(&Opportunity, OffsetDateTime) -> Result<Mutation, E>,
    V: Fn(Opportunity, S) -> VF,
    VF: Future<Output = Result<(Opportunity, String), String>>,
{
    for _ in 0..WRITE_ATTEMPTS {
        let (current, state) = load().await.map_err(WriteError::Refused)?;
        let now = app.clock.now().max(current.updated_at);
        let mut mutation = compute(&current, now).map_err(WriteError::Refused)?;
        if mutation.history.is_empty() {
            let (opportunity, view) = view(current, state).await.map_err(WriteError::View)?;
            return Ok(Written { opportunity, view });
        }
        mutation.opportunity.version = current.version + 1;
        mutation.opportunity.updated_at = now;
        let next = mutation.opportunity;
        let mut events = vec![event(
            app,
            ChangeKind::OpportunityUpdated,
            &next,
            json!({ "status": next.status }),
        )];
        events.extend(
            mutation
                .events
                .into_iter()
                .map(|(kind, detail)| event(app, kind, &next, detail)),
        );
        let update = OpportunityUpdate {
            opportunity: next.clone(),
            expected_version: current.version,
            skill_requirements_changed: mutation.skill_requirements_changed,
            history: mutation.history,
            events: events.clone(),
            applies_event,
        };
        match app.opportunities.update(update).await {
            Ok(()) => {
                return match view(next, state).await {
                    Ok((opportunity, view)) => {
                        crate::consumers::after_commit(app, Some(write_through(&opportunity, &view)), &events).await;
                        Ok(Written { opportunity, view })
                    }
                    Err(error) => {
                        // Committed: the events still go out; the cache entry expires instead.
                        crate::consumers::after_commit(app, None, &events).await;
                        Err(WriteError::View(error))
                    }
                };
            }
            Err(StoreError::VersionConflict { .. }) if on_conflict == OnConflict::Recompute => continue,
            Err(error) => return Err(WriteError::Store(error)),
        }
    }
    Err(WriteError::KeptChanging)
}
