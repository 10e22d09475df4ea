//! The limiter shared by every node: GCRA in one Lua script on Redis, keyed
//! `<prefix>:rl:<rule>:<key>`, kept no longer than the rule's window. When Redis
//! does not answer, this node counts in its own memory until it does.
//!
//! A round trip per request would halve what a node serves, so a node takes hits
//! from Redis in batches and spends them itself: a rule of `limit` hits per window
//! is asked for `limit / 64` at once (1 below 128, at most 256), which a node keeps
//! for at most a second. Hits are taken from the
//! shared budget before they are spent, so the nodes together never let more than
//! the limit through; what a node took and did not spend (at most one batch, 1/64
//! of the limit) is refused to others until the budget refills. Small limits, such
//! as sign-in's, are counted hit by hit.

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use ::redis::Script;
use tokio::sync::Mutex;

use super::{Decision, MemoryRateLimiter, RateLimiter, Rule};
use crate::redis::Redis;

static GCRA: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("gcra.lua")));

/// The most hits taken at once.
const MAX_BATCH: u32 = 256;
/// Hits taken at once are a 64th of the limit.
const BATCH_DIVISOR: u32 = 64;
/// The longest a node keeps hits it took.
const MAX_HOLD: Duration = Duration::from_secs(1);

/// How many hits a node takes from Redis at once for `rule`.
fn batch_of(rule: Rule) -> u32 {
    (rule.limit / BATCH_DIVISOR).clamp(1, MAX_BATCH)
}

/// Hits this node took for one key and has not spent yet.
#[derive(Debug, Default)]
struct Batch {
    left: u32,
    until: Option<Instant>,
    /// What Redis said when they were taken, for the headers.
    remaining: u32,
    reset_secs: u64,
}

impl Batch {
    fn spend(&mut self, rule: Rule, now: Instant) -> Option<Decision> {
        if self.left == 0 || self.until.is_none_or(|until| now >= until) {
            return None;
        }
        self.left -= 1;
        let remaining = self.remaining.saturating_add(self.left);
        Some(Decision { allowed: true, limit: rule.limit, remaining, reset_secs: self.reset_secs })
    }
}

pub struct RedisRateLimiter {
    redis: Arc<Redis>,
    fallback: Arc<MemoryRateLimiter>,
    batches: moka::sync::Cache<(&'static str, String), Arc<Mutex<Batch>>>,
}

impl RedisRateLimiter {
    pub fn new(redis: Arc<Redis>) -> Self {
        let batches = moka::sync::Cache::builder().max_capacity(100_000).time_to_idle(MAX_HOLD * 2).build();
        Self { redis, fallback: MemoryRateLimiter::new(), batches }
    }

    /// Takes up to `want` hits of `key` from Redis: `None` when Redis does not answer.
    async fn take(&self, rule: Rule, key: &str, want: u32) -> Option<(u32, u32, u64)> {
        let limit = rule.limit.max(1);
        let interval_us = (rule.window.as_micros() / u128::from(limit)).max(1);
        let args = [i64::try_from(interval_us).unwrap_or(i64::MAX), i64::from(limit), i64::from(want)];
        let redis_key = self.redis.key(&["rl", rule.name, key]);
        let (granted, remaining, micros) =
            self.redis.run::<(u32, u32, u64)>("rate_limit", &GCRA, &[&redis_key], &args).await?;
        Some((granted, remaining, micros))
    }
}

#[async_trait::async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn hit(&self, rule: Rule, key: &str) -> Decision {
        let want = batch_of(rule);
        let batch = (want > 1).then(|| self.batches.get_with((rule.name, key.to_owned()), Default::default));
        // One refill per key at a time: the others wait for it and spend from it.
        let mut held = match &batch {
            Some(batch) => {
                let mut held = batch.lock().await;
                if let Some(decision) = held.spend(rule, Instant::now()) {
                    return decision;
                }
                Some(held)
            }
            None => None,
        };
        let Some((granted, remaining, micros)) = self.take(rule, key, want).await else {
            return self.fallback.hit(rule, key).await;
        };
        let secs = micros.div_ceil(1_000_000);
        if granted == 0 {
            return Decision { allowed: false, limit: rule.limit, remaining: 0, reset_secs: secs.max(1) };
        }
        if let Some(held) = held.as_mut() {
            **held = Batch { left: granted - 1, until: Some(Instant::now() + MAX_HOLD), remaining, reset_secs: secs };
        }
        Decision {
            allowed: true,
            limit: rule.limit,
            remaining: remaining.saturating_add(granted - 1),
            reset_secs: secs,
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
    async fn large_limits_are_taken_in_batches_and_never_overrun_across_nodes() {
        let redis = test_redis();
        let (a, b) = (RedisRateLimiter::new(redis.clone()), RedisRateLimiter::new(redis));
        let rule = Rule { name: "t", limit: 640, window: Duration::from_secs(3600) };
        assert_eq!(batch_of(rule), 10);
        let mut allowed = 0;
        for i in 0..800 {
            let node = if i % 3 == 0 { &b } else { &a };
            allowed += u32::from(node.hit(rule, "k").await.allowed);
        }
        // Both nodes took from one budget: never more than the limit, and at most one
        // unspent batch per node short of it.
        assert!((640 - 2 * 10..=640).contains(&allowed), "{allowed}");
        assert!(!a.hit(rule, "k").await.allowed && !b.hit(rule, "k").await.allowed);
    }

    #[test]
    fn small_limits_are_counted_hit_by_hit() {
        let rule = |limit| Rule { name: "t", limit, window: Duration::from_secs(60) };
        assert_eq!(batch_of(rule(10)), 1);
        assert_eq!(batch_of(rule(127)), 1);
        assert_eq!(batch_of(rule(1200)), 18);
        assert_eq!(batch_of(rule(1_000_000_000)), MAX_BATCH);
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
