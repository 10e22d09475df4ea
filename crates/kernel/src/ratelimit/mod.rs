//! Rate limits behind one interface, both GCRA: in each node's memory (governor),
//! or in Redis when `redis.url` is set, so every node enforces one limit together.
//! A decision carries what the `RateLimit-*` and `Retry-After` headers need.

mod memory;
mod redis;

use std::sync::Arc;
use std::time::Duration;

pub use memory::MemoryRateLimiter;
pub use redis::RedisRateLimiter;

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

/// The limiter for this node: in Redis when one is configured, else in memory.
pub fn limiter(redis: Option<Arc<crate::redis::Redis>>) -> Arc<dyn RateLimiter> {
    match redis {
        Some(redis) => Arc::new(RedisRateLimiter::new(redis)),
        None => MemoryRateLimiter::new(),
    }
}
