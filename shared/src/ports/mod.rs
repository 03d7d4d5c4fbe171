//! Ports: the narrow capabilities the handlers need, each a trait with an AWS adapter and an
//! embedded adapter behind it. Handlers name exactly the capability they use.

pub mod cache;
pub mod events;
pub mod jobs;
pub mod limits;
pub mod objects;
pub mod privacy;
pub mod store;

use time::OffsetDateTime;
use uuid::Uuid;

/// The current time. A port so that tests can move it (reactivation windows, expiries).
pub trait Clock: Send + Sync {
    /// Now, in UTC, truncated to microseconds (what PostgreSQL keeps).
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        truncate_to_micros(OffsetDateTime::now_utc())
    }
}

/// Drops sub-microsecond precision so that values survive a round trip through the database.
pub fn truncate_to_micros(ts: OffsetDateTime) -> OffsetDateTime {
    let micros = ts.microsecond();
    ts.replace_microsecond(micros).unwrap_or(ts)
}

/// New identifiers.
pub trait IdSource: Send + Sync {
    /// A fresh, unique id.
    fn new_id(&self) -> Uuid;
}

/// UUID v7: unique and time-ordered, which keeps primary key indexes compact.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7Ids;

impl IdSource for UuidV7Ids {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}
