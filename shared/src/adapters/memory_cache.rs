//! The local server's cache: the same versioned semantics as the DynamoDB adapter, in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use crate::ports::cache::{Cache, CacheEntry, CacheError, TOMBSTONE_TTL};

#[derive(Debug, Clone)]
struct Slot {
    version: i64,
    body: Option<String>,
    expires_at: OffsetDateTime,
}

/// A process-local versioned cache.
#[derive(Debug, Default)]
pub struct MemoryCache {
    slots: Mutex<HashMap<String, Slot>>,
}

impl MemoryCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn write(&self, key: &str, slot: Slot, accept: impl Fn(&Slot) -> bool) -> Result<bool, CacheError> {
        let mut slots = self
            .slots
            .lock()
            .map_err(|_| CacheError("cache lock poisoned".into()))?;
        let now = OffsetDateTime::now_utc();
        let replace = match slots.get(key) {
            None => true,
            Some(existing) if existing.expires_at < now => true,
            Some(existing) => accept(existing),
        };
        if replace {
            slots.insert(key.to_owned(), slot);
        }
        Ok(replace)
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<CacheEntry>, CacheError> {
        let slots = self
            .slots
            .lock()
            .map_err(|_| CacheError("cache lock poisoned".into()))?;
        Ok(slots.get(key).and_then(|slot| match &slot.body {
            Some(body) if slot.expires_at >= OffsetDateTime::now_utc() => Some(CacheEntry {
                version: slot.version,
                body: body.clone(),
            }),
            _ => None,
        }))
    }

    async fn put(&self, key: &str, version: i64, body: &str, ttl: Duration) -> Result<bool, CacheError> {
        let slot = Slot {
            version,
            body: Some(body.to_owned()),
            expires_at: OffsetDateTime::now_utc() + ttl,
        };
        self.write(key, slot, |existing| {
            existing.version < version || (existing.version == version && existing.body.is_none())
        })
    }

    async fn invalidate(&self, key: &str, version: i64) -> Result<(), CacheError> {
        let slot = Slot {
            version,
            body: None,
            expires_at: OffsetDateTime::now_utc() + TOMBSTONE_TTL,
        };
        self.write(key, slot, |existing| existing.version <= version)
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_older_version_never_replaces_a_newer_one() {
        let cache = MemoryCache::new();
        assert!(cache.put("k", 2, "v2", Duration::minutes(5)).await.unwrap());
        assert!(!cache.put("k", 1, "v1", Duration::minutes(5)).await.unwrap());
        assert_eq!(cache.get("k").await.unwrap().unwrap().body, "v2");
        cache.invalidate("k", 3).await.unwrap();
        assert!(cache.get("k").await.unwrap().is_none());
        assert!(
            !cache.put("k", 2, "v2", Duration::minutes(5)).await.unwrap(),
            "a slow reader cannot undo an invalidation"
        );
        assert!(cache.put("k", 3, "v3", Duration::minutes(5)).await.unwrap());
        assert_eq!(cache.get("k").await.unwrap().unwrap().version, 3);
    }

    #[tokio::test]
    async fn expired_entries_are_misses_and_replaceable() {
        let cache = MemoryCache::new();
        assert!(cache.put("k", 5, "old", Duration::seconds(-1)).await.unwrap());
        assert!(cache.get("k").await.unwrap().is_none());
        assert!(cache.put("k", 1, "new", Duration::minutes(1)).await.unwrap());
    }
}
