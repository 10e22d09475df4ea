//! Rate limits behind one interface: the in-memory GCRA limiter (governor) now, a
//! Redis backend for many nodes later. A decision carries what the `RateLimit-*`
//! and `Retry-After` headers need.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter as Gcra};

/// A named limit: `limit` requests per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    pub name: &'static str,
    pub limit: u32,
    pub window: Duration,
}

/// The outcome of one hit.
#[derive(Clone, Copy, Debug)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the budget is full again (allowed) or until a retry may pass (refused).
    pub reset_secs: u64,
}

impl Decision {
    /// The refusal to send when this hit was not allowed.
    pub fn into_error(self) -> Option<crate::ApiError> {
        (!self.allowed).then(|| crate::ApiError::rate_limited(self.reset_secs).with_rate(self.limit, self.reset_secs))
    }
}

/// Counts hits of `key` against `rule` unless limits are switched off; a refusal
/// becomes `429 RATE_LIMITED` with `Retry-After` and `RateLimit-*` headers.
pub async fn enforce(core: &crate::Core, rule: Rule, key: &str) -> Result<(), crate::ApiError> {
    if !core.config.rate_limit.enabled {
        return Ok(());
    }
    match core.limiter.hit(rule, key).await.into_error() {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

impl crate::config::RateLimitConfig {
    /// Every request, per client address.
    pub fn global_rule(&self) -> Rule {
        Rule { name: "global_ip", limit: self.global_per_ip, window: Duration::from_secs(60) }
    }
    /// Sign-in, sign-up and password routes, per client address.
    pub fn auth_ip_rule(&self) -> Rule {
        Rule { name: "auth_ip", limit: self.auth_per_ip, window: Duration::from_secs(60) }
    }
    /// Sign-in and password routes, per account (e-mail).
    pub fn auth_account_rule(&self) -> Rule {
        Rule { name: "auth_account", limit: self.auth_per_account, window: Duration::from_secs(60) }
    }
}

/// Counts hits per key; shared by every route and module.
#[async_trait::async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    async fn hit(&self, rule: Rule, key: &str) -> Decision;
}

type Keyed = Gcra<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// In-process limiter: one GCRA table per rule.
#[derive(Default)]
pub struct MemoryRateLimiter {
    tables: RwLock<HashMap<Rule, Arc<Keyed>>>,
}

impl MemoryRateLimiter {
    pub fn new() -> Arc<Self> {
        let me = Arc::new(Self::default());
        let weak = Arc::downgrade(&me);
        // Forget idle keys now and then so memory stays bounded.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    let Some(me) = weak.upgrade() else { break };
                    me.sweep();
                }
            });
        }
        me
    }

    fn table(&self, rule: Rule) -> Arc<Keyed> {
        if let Some(t) = self.tables.read().ok().and_then(|m| m.get(&rule).cloned()) {
            return t;
        }
        let limit = NonZeroU32::new(rule.limit.max(1)).unwrap_or(NonZeroU32::MIN);
        let period = rule.window / limit.get();
        let quota = Quota::with_period(period.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(limit))
            .allow_burst(limit);
        let table = Arc::new(Gcra::keyed(quota).with_middleware::<StateInformationMiddleware>());
        if let Ok(mut m) = self.tables.write() {
            return m.entry(rule).or_insert(table).clone();
        }
        table
    }

    fn sweep(&self) {
        let tables: Vec<_> = self.tables.read().map(|m| m.values().cloned().collect()).unwrap_or_default();
        for t in tables {
            t.retain_recent();
            t.shrink_to_fit();
        }
    }
}

#[async_trait::async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn hit(&self, rule: Rule, key: &str) -> Decision {
        let table = self.table(rule);
        match table.check_key(&key.to_owned()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let used = rule.limit.saturating_sub(remaining);
                let per = rule.window.as_secs_f64() / f64::from(rule.limit.max(1));
                Decision {
                    allowed: true,
                    limit: rule.limit,
                    remaining,
                    reset_secs: (per * f64::from(used)).ceil() as u64,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Decision {
                    allowed: false,
                    limit: rule.limit,
                    remaining: 0,
                    reset_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_past_the_limit_and_says_when_to_retry() {
        let limiter = MemoryRateLimiter::new();
        let rule = Rule { name: "t", limit: 3, window: Duration::from_secs(60) };
        for left in [2, 1, 0] {
            let d = limiter.hit(rule, "k").await;
            assert!(d.allowed);
            assert_eq!(d.remaining, left);
        }
        let d = limiter.hit(rule, "k").await;
        assert!(!d.allowed);
        assert!((1..=20).contains(&d.reset_secs), "{}", d.reset_secs);
        assert!(limiter.hit(rule, "other").await.allowed, "keys are independent");
    }
}
