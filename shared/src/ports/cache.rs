//! The cache port: cache-aside reads, write-through updates and event-driven invalidation, with
//! entries that carry the source version so that an older version can never overwrite a newer one.

use async_trait::async_trait;
use time::Duration;
use uuid::Uuid;

/// How long an opportunity stays cached (seed 002: opportunity details, problem statements and
/// skill requirements, 5 minutes; the opportunity is cached whole, with both).
pub const OPPORTUNITY_TTL: Duration = Duration::minutes(5);
/// How long the skills catalog stays cached (seed 002: 1 hour).
pub const SKILLS_CATALOG_TTL: Duration = Duration::hours(1);
/// How long an invalidation marker (tombstone) keeps slower, older writers out.
pub const TOMBSTONE_TTL: Duration = Duration::minutes(5);
/// The key of the whole skills catalog.
pub const SKILLS_CATALOG_KEY: &str = "skills_catalog";

/// The key of an opportunity (seed 002: `opportunity:{id}`).
pub fn opportunity_key(id: Uuid) -> String {
    format!("opportunity:{id}")
}

/// A cached value and the version of the source it was read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The source version.
    pub version: i64,
    /// The cached JSON.
    pub body: String,
}

/// What a writer puts in the cache after its commit: the new view at its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteThrough {
    /// The entry's key.
    pub key: String,
    /// The source version the body shows.
    pub version: i64,
    /// The cached JSON.
    pub body: String,
    /// How long it lives.
    pub ttl: Duration,
}

/// The cache keys a change event makes stale.
pub fn keys_made_stale(event: &crate::domain::events::ChangeEvent) -> Vec<String> {
    match event.event_type {
        crate::domain::events::ChangeKind::SkillCreated => vec![SKILLS_CATALOG_KEY.to_owned()],
        _ => vec![opportunity_key(event.aggregate_id)],
    }
}

/// A cache failure. Callers degrade to the database; a client never sees it.
#[derive(Debug, thiserror::Error)]
#[error("cache unavailable: {0}")]
pub struct CacheError(pub String);

/// A versioned cache.
#[async_trait]
pub trait Cache: Send + Sync {
    /// The live entry under `key` (expired entries and invalidation markers are misses).
    async fn get(&self, key: &str) -> Result<Option<CacheEntry>, CacheError>;
    /// Stores `body` at `version` unless the cache already holds a newer version (or the same
    /// version, or an invalidation marker newer than it). Returns whether it was stored.
    async fn put(&self, key: &str, version: i64, body: &str, ttl: Duration) -> Result<bool, CacheError>;
    /// Marks `key` stale as of `version`: reads miss, and puts of older versions are refused.
    async fn invalidate(&self, key: &str, version: i64) -> Result<(), CacheError>;
}

/// No cache: every read goes to the database. For function binaries run outside AWS without a
/// cache endpoint; the behaviour is the same, only slower.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoCache;

#[async_trait]
impl Cache for NoCache {
    async fn get(&self, _key: &str) -> Result<Option<CacheEntry>, CacheError> {
        Ok(None)
    }
    async fn put(&self, _key: &str, _version: i64, _body: &str, _ttl: Duration) -> Result<bool, CacheError> {
        Ok(false)
    }
    async fn invalidate(&self, _key: &str, _version: i64) -> Result<(), CacheError> {
        Ok(())
    }
}
