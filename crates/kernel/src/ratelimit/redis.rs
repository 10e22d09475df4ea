//! The limiter shared by every node: GCRA in one Lua script on Redis, keyed
//! `<prefix>:rl:<rule>:<key>`, kept no longer than the rule's window. When Redis
//! does not answer, this node counts in its own memory until it does.
//!
//! A round trip per request would halve what a node serves, so a node takes hits
//! from Redis in batches and spends them itself: a rule of `limit` hits per window
//! is asked for `limit / 64` at once (1 below 128, at most 256), which a node keeps
//! for at most a second. Spending is a short synchronous lock, never a wait on
//! Redis: when a quarter of a batch is left, the next batch is taken in the
//! background, so a busy key does not stall its requests behind a round trip.
//! Hits are taken from the shared budget before they are spent, so the nodes
//! together never let more than the limit through; what a node took and did not
//! spend (at most two batches, 1/32 of the limit) is refused to others until the
//! budget refills. Small limits, such as sign-in's, are counted hit by hit.

use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use ::redis::Script;

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

/// What the GCRA script answered: hits granted (0: refused), the shared budget
/// left after them, and microseconds until it is full again (or until a retry).
#[derive(Clone, Copy, Debug)]
struct Taken {
    granted: u32,
    remaining: u32,
    micros: u64,
}

/// Takes up to `want` hits of `key` from Redis: `None` when Redis does not answer.
async fn take(redis: &Redis, rule: Rule, key: &str, want: u32) -> Option<Taken> {
    let limit = rule.limit.max(1);
    let interval_us = (rule.window.as_micros() / u128::from(limit)).max(1);
    let args = [i64::try_from(interval_us).unwrap_or(i64::MAX), i64::from(limit), i64::from(want)];
    let redis_key = redis.key(&["rl", rule.name, key]);
    let (granted, remaining, micros) = redis.run::<(u32, u32, u64)>("rate_limit", &GCRA, &[&redis_key], &args).await?;
    Some(Taken { granted, remaining, micros })
}

/// Hits this node took for one key and has not spent yet.
#[derive(Debug, Default)]
struct Batch {
    left: u32,
    until: Option<Instant>,
    /// What Redis said at the last take, for the headers.
    remaining: u32,
    reset_secs: u64,
    /// Hits granted at the last take.
    size: u32,
    /// The next batch is being taken in the background.
    refilling: bool,
}

impl Batch {
    /// Spends one hit: the decision, and whether the caller should take the next
    /// batch in the background now.
    fn spend(&mut self, rule: Rule, now: Instant) -> Option<(Decision, bool)> {
        if self.left == 0 || self.until.is_none_or(|until| now >= until) {
            return None;
        }
        self.left -= 1;
        let remaining = self.remaining.saturating_add(self.left);
        let ahead = !self.refilling && self.left <= self.size / 4;
        self.refilling |= ahead;
        Some((Decision { allowed: true, limit: rule.limit, remaining, reset_secs: self.reset_secs }, ahead))
    }

    /// Keeps `taken` (what is still held and unexpired stays).
    fn add(&mut self, taken: Taken, now: Instant) {
        let held = if self.until.is_some_and(|until| now < until) { self.left } else { 0 };
        *self = Batch {
            left: held.saturating_add(taken.granted),
            until: Some(now + MAX_HOLD),
            remaining: taken.remaining,
            reset_secs: taken.micros.div_ceil(1_000_000),
            size: taken.granted,
            refilling: false,
        };
    }
}

/// One key's batch: spent under a short lock, refilled by one caller at a time.
#[derive(Debug, Default)]
struct Slot {
    batch: Mutex<Batch>,
    /// Held while hits are taken from Redis for this key.
    refill: tokio::sync::Mutex<()>,
}

impl Slot {
    fn spend(&self, rule: Rule) -> Option<(Decision, bool)> {
        self.batch.lock().ok()?.spend(rule, Instant::now())
    }

    fn add(&self, taken: Taken) {
        if let Ok(mut batch) = self.batch.lock() {
            batch.add(taken, Instant::now());
        }
    }

    fn refill_failed(&self) {
        if let Ok(mut batch) = self.batch.lock() {
            batch.refilling = false;
        }
    }
}

pub struct RedisRateLimiter {
    redis: Arc<Redis>,
    fallback: Arc<MemoryRateLimiter>,
    slots: moka::sync::Cache<(&'static str, String), Arc<Slot>>,
}

impl RedisRateLimiter {
    pub fn new(redis: Arc<Redis>) -> Self {
        let slots = moka::sync::Cache::builder().max_capacity(100_000).time_to_idle(MAX_HOLD * 2).build();
        Self { redis, fallback: MemoryRateLimiter::new(), slots }
    }

    /// Takes the next batch of a busy key while its requests spend the current one.
    fn refill_ahead(&self, rule: Rule, key: &str, slot: Arc<Slot>) {
        let (redis, key) = (self.redis.clone(), key.to_owned());
        tokio::spawn(async move {
            let _turn = slot.refill.lock().await;
            match take(&redis, rule, &key, batch_of(rule)).await {
                Some(taken) if taken.granted > 0 => slot.add(taken),
                _ => slot.refill_failed(),
            }
        });
    }
}

/// The decision for a take of which `kept` hits stay with this node.
fn decide(rule: Rule, taken: Taken, kept: u32) -> Decision {
    let reset_secs = taken.micros.div_ceil(1_000_000);
    if taken.granted == 0 {
        return Decision { allowed: false, limit: rule.limit, remaining: 0, reset_secs: reset_secs.max(1) };
    }
    Decision { allowed: true, limit: rule.limit, remaining: taken.remaining.saturating_add(kept), reset_secs }
}

#[async_trait::async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn hit(&self, rule: Rule, key: &str) -> Decision {
        let want = batch_of(rule);
        if want == 1 {
            return match take(&self.redis, rule, key, 1).await {
                Some(taken) => decide(rule, taken, 0),
                None => self.fallback.hit(rule, key).await,
            };
        }
        let slot = self.slots.get_with((rule.name, key.to_owned()), Default::default);
        if let Some((decision, ahead)) = slot.spend(rule) {
            if ahead {
                self.refill_ahead(rule, key, slot);
            }
            return decision;
        }
        // Out of hits: one caller takes the next batch, the others wait for it.
        let _turn = slot.refill.lock().await;
        if let Some((decision, _)) = slot.spend(rule) {
            return decision;
        }
        let Some(taken) = take(&self.redis, rule, key, want).await else {
            return self.fallback.hit(rule, key).await;
        };
        let kept = taken.granted.saturating_sub(1);
        if kept > 0 {
            slot.add(Taken { granted: kept, ..taken });
        }
        decide(rule, taken, kept)
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
        // Both nodes took from one budget: never more than the limit, and at most two
        // unspent batches per node (the one in use and the one taken ahead) short of it.
        assert!((640 - 2 * 2 * 10..=640).contains(&allowed), "{allowed}");
        assert!(!a.hit(rule, "k").await.allowed && !b.hit(rule, "k").await.allowed);
    }

    #[tokio::test]
    async fn a_busy_key_takes_its_next_batch_before_it_runs_out() {
        let limiter = RedisRateLimiter::new(test_redis());
        let rule = Rule { name: "t", limit: 6400, window: Duration::from_secs(3600) };
        assert_eq!(batch_of(rule), 100);
        for _ in 0..80 {
            assert!(limiter.hit(rule, "k").await.allowed);
        }
        // 20 of the first batch are left: the second was asked for in the background.
        let slot = limiter.slots.get(&("t", "k".to_owned())).expect("the key's batch");
        let mut tries = 0;
        while slot.batch.lock().unwrap().refilling {
            tries += 1;
            assert!(tries < 500, "the batch taken ahead never arrived");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let batch = slot.batch.lock().unwrap();
        assert_eq!((batch.left, batch.size), (120, 100));
        // Redis counted both batches against the shared budget (which refills a hit
        // every 0.56 s meanwhile).
        assert!((6400 - 200..6400 - 195).contains(&batch.remaining), "{}", batch.remaining);
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
