//! The per-user request limit: at most so many requests a minute for each verified caller,
//! counted after authentication on the `sub` the authorizer verified (a limit keyed on the raw
//! `Authorization` header, as a WAF rule must be, gives a fresh allowance to every spelling of
//! the same token). The rule is here; where the counts live is an adapter's business (DynamoDB
//! in AWS, process memory locally).

use async_trait::async_trait;
use time::OffsetDateTime;

/// The design documents' ceiling: 1,000 requests a minute per user.
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 1_000;

/// How many requests a caller may make in one minute of the clock (fixed windows: a window
/// starts at every whole minute, so its key and its end follow from the time alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatePolicy {
    /// Requests admitted per caller per window.
    pub per_minute: u32,
}

/// One caller's window: what the counter counts in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// The counter's key: `rate:<sub>:<minute since the epoch>`.
    pub key: String,
    /// When the window ends (Unix seconds): the counter may be forgotten then.
    pub ends_at: i64,
}

/// The decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Within the limit.
    Admitted,
    /// Over it: retry after this many seconds (the rest of the window, at least 1).
    Refused {
        /// Seconds until the window ends.
        retry_after_seconds: u64,
    },
}

impl RatePolicy {
    /// The window `now` falls in, for `caller`.
    pub fn window(&self, caller: &str, now: OffsetDateTime) -> Window {
        let minute = now.unix_timestamp().div_euclid(60);
        Window {
            key: format!("rate:{caller}:{minute}"),
            ends_at: minute.saturating_add(1).saturating_mul(60),
        }
    }

    /// The decision once the window's count, this request included, is `count`.
    pub fn decide(&self, count: u64, window: &Window, now: OffsetDateTime) -> Admission {
        if count <= u64::from(self.per_minute) {
            Admission::Admitted
        } else {
            let left = window.ends_at.saturating_sub(now.unix_timestamp()).max(1);
            Admission::Refused {
                retry_after_seconds: u64::try_from(left).unwrap_or(1),
            }
        }
    }
}

/// The counter behind the limit failed; the request goes ahead (the limit protects the service,
/// and an outage of its counter must not become an outage of the API) and the failure is logged.
#[derive(Debug, thiserror::Error)]
#[error("the request counter is unavailable: {0}")]
pub struct CounterError(pub String);

/// Counts requests per window.
#[async_trait]
pub trait RequestCounter: Send + Sync {
    /// Adds one request to `window` and returns the window's count, this one included.
    async fn count(&self, window: &Window) -> Result<u64, CounterError>;
}

/// No limit: nothing is counted (tests, and functions outside AWS with no counter configured).
#[derive(Debug, Default, Clone, Copy)]
pub struct Unlimited;

#[async_trait]
impl RequestCounter for Unlimited {
    async fn count(&self, _window: &Window) -> Result<u64, CounterError> {
        Ok(0)
    }
}

/// The limit as the runtime applies it: a policy and where its counts live.
#[derive(Clone)]
pub struct RequestLimit {
    /// How many requests a window admits.
    pub policy: RatePolicy,
    /// Where the counts live.
    pub counter: std::sync::Arc<dyn RequestCounter>,
}

impl std::fmt::Debug for RequestLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLimit").field("policy", &self.policy).finish()
    }
}

impl Default for RequestLimit {
    fn default() -> Self {
        RequestLimit {
            policy: RatePolicy {
                per_minute: DEFAULT_REQUESTS_PER_MINUTE,
            },
            counter: std::sync::Arc::new(Unlimited),
        }
    }
}

impl RequestLimit {
    /// Counts one request of `caller` at `now` and decides; a failing counter admits.
    pub async fn admit(&self, caller: &str, now: OffsetDateTime) -> Admission {
        let window = self.policy.window(caller, now);
        match self.counter.count(&window).await {
            Ok(count) => self.policy.decide(count, &window, now),
            Err(error) => {
                tracing::warn!(error = %error, "request not counted; admitted");
                Admission::Admitted
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_the_callers_minute_and_the_refusal_waits_for_its_end() {
        let policy = RatePolicy { per_minute: 2 };
        let at = |s: i64| OffsetDateTime::from_unix_timestamp(s).unwrap();
        let window = policy.window("alice", at(1_800_000_015));
        assert_eq!(window.key, "rate:alice:30000000");
        assert_eq!(window.ends_at, 1_800_000_060);
        assert_eq!(policy.window("alice", at(1_800_000_059)), window);
        assert_ne!(policy.window("alice", at(1_800_000_060)).key, window.key);
        assert_ne!(policy.window("bob", at(1_800_000_015)).key, window.key);
        assert_eq!(policy.decide(2, &window, at(1_800_000_015)), Admission::Admitted);
        assert_eq!(
            policy.decide(3, &window, at(1_800_000_015)),
            Admission::Refused {
                retry_after_seconds: 45
            }
        );
        assert_eq!(
            policy.decide(3, &window, at(1_800_000_060)),
            Admission::Refused { retry_after_seconds: 1 },
            "never 0"
        );
    }
}
