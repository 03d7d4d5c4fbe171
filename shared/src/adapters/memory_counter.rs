//! The local server's request counts: the same windows as the DynamoDB counter, in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::ports::limits::{CounterError, RequestCounter, Window};

/// Counts per window, in this process; windows that ended are dropped as new ones start.
#[derive(Debug, Default)]
pub struct MemoryRequestCounter {
    windows: Mutex<HashMap<String, (u64, i64)>>,
}

impl MemoryRequestCounter {
    /// No counts yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl RequestCounter for MemoryRequestCounter {
    async fn count(&self, window: &Window) -> Result<u64, CounterError> {
        let mut windows = self
            .windows
            .lock()
            .map_err(|_| CounterError("counter lock poisoned".into()))?;
        if !windows.contains_key(&window.key) {
            // A new window: the ones that ended before it started are over for good.
            let started = window.ends_at.saturating_sub(60);
            windows.retain(|_, (_, ends_at)| *ends_at > started);
        }
        let (hits, _) = windows.entry(window.key.clone()).or_insert((0, window.ends_at));
        *hits = hits.saturating_add(1);
        Ok(*hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::limits::RatePolicy;
    use time::OffsetDateTime;

    #[tokio::test]
    async fn counts_per_caller_and_minute_and_forgets_ended_minutes() {
        let counter = MemoryRequestCounter::new();
        let policy = RatePolicy { per_minute: 10 };
        let at = |s: i64| OffsetDateTime::from_unix_timestamp(s).unwrap();
        let alice = policy.window("alice", at(1_800_000_000));
        assert_eq!(counter.count(&alice).await.unwrap(), 1);
        assert_eq!(counter.count(&alice).await.unwrap(), 2);
        assert_eq!(
            counter.count(&policy.window("bob", at(1_800_000_001))).await.unwrap(),
            1
        );
        let next = policy.window("alice", at(1_800_000_060));
        assert_eq!(counter.count(&next).await.unwrap(), 1);
        assert_eq!(counter.windows.lock().unwrap().len(), 1, "the ended minute is gone");
    }
}
