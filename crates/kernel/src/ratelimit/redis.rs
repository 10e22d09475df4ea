//! The limiter shared by every node: GCRA in one Lua script on Redis, keyed
//! `<prefix>:rl:<rule>:<key>`, kept no longer than the rule's window. When Redis
//! does not answer, this node counts in its own memory until it does.

use std::sync::{Arc, LazyLock};

use ::redis::Script;

use super::{Decision, MemoryRateLimiter, RateLimiter, Rule};
use crate::redis::Redis;

static GCRA: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("gcra.lua")));

pub struct RedisRateLimiter {
    redis: Arc<Redis>,
    fallback: Arc<MemoryRateLimiter>,
}

impl RedisRateLimiter {
    pub fn new(redis: Arc<Redis>) -> Self {
        Self { redis, fallback: MemoryRateLimiter::new() }
    }
}

#[async_trait::async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn hit(&self, rule: Rule, key: &str) -> Decision {
        let limit = rule.limit.max(1);
        let interval_us = (rule.window.as_micros() / u128::from(limit)).max(1);
        let args = [i64::try_from(interval_us).unwrap_or(i64::MAX), i64::from(limit)];
        let redis_key = self.redis.key(&["rl", rule.name, key]);
        let Some((allowed, remaining, micros)) =
            self.redis.run::<(i64, u32, u64)>("rate_limit", &GCRA, &[&redis_key], &args).await
        else {
            return self.fallback.hit(rule, key).await;
        };
        let secs = micros.div_ceil(1_000_000);
        if allowed == 1 {
            Decision { allowed: true, limit: rule.limit, remaining, reset_secs: secs }
        } else {
            Decision { allowed: false, limit: rule.limit, remaining: 0, reset_secs: secs.max(1) }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::redis::testing::{dead_redis, test_redis};

    #[tokio::test]
    async fn two_limiters_on_one_redis_share_the_budget() {
        let redis = test_redis();
        let (a, b) = (RedisRateLimiter::new(redis.clone()), RedisRateLimiter::new(redis));
        let rule = Rule { name: "t", limit: 4, window: Duration::from_secs(60) };
        let mut remaining = Vec::new();
        for node in [&a, &b, &a, &b] {
            let d = node.hit(rule, "k").await;
            assert!(d.allowed);
            remaining.push(d.remaining);
        }
        assert_eq!(remaining, vec![3, 2, 1, 0]);
        let d = b.hit(rule, "k").await;
        assert!(!d.allowed);
        assert!((1..=15).contains(&d.reset_secs), "{}", d.reset_secs);
        assert!(a.hit(rule, "other").await.allowed, "keys are independent");
    }

    #[tokio::test]
    async fn without_redis_each_limiter_counts_in_its_own_memory() {
        let limiter = RedisRateLimiter::new(dead_redis());
        let rule = Rule { name: "t", limit: 2, window: Duration::from_secs(60) };
        assert!(limiter.hit(rule, "k").await.allowed);
        assert!(limiter.hit(rule, "k").await.allowed);
        assert!(!limiter.hit(rule, "k").await.allowed);
    }
}
