//! Failures counted per key (sign-in failures per client address), forgotten once
//! the last one is older than a window. In each node's memory, or in Redis when
//! `redis.url` is set so that every node sees every failure; when Redis does not
//! answer, this node counts in its own memory until it does. Times are the
//! caller's clock (`Core::clock`), so the policy reads the same on either backend.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use ::redis::Script;

use crate::Millis;
use crate::redis::Redis;

/// How many failures a key has, and when the last one was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Strike {
    pub count: u32,
    pub last: Millis,
}

/// Counts failures per key.
#[async_trait::async_trait]
pub trait Strikes: Send + Sync + 'static {
    /// The failures counted for `key`, if any are remembered.
    async fn get(&self, key: &str) -> Option<Strike>;
    /// Counts one failure at `now`: one more, or the first again when the last is
    /// older than the window.
    async fn add(&self, key: &str, now: Millis) -> Strike;
}

/// A counter named `name` (part of its Redis keys) forgetting failures after `window`.
pub fn counter(redis: Option<Arc<Redis>>, name: &'static str, window: Duration) -> Arc<dyn Strikes> {
    let memory = MemoryStrikes::new(window);
    match redis {
        Some(redis) => Arc::new(RedisStrikes { redis, name, window, fallback: memory }),
        None => Arc::new(memory),
    }
}

fn window_ms(window: Duration) -> Millis {
    Millis::try_from(window.as_millis()).unwrap_or(Millis::MAX)
}

/// In memory, forgotten after `window` without a failure.
pub struct MemoryStrikes {
    window: Millis,
    map: moka::sync::Cache<String, Strike>,
}

impl MemoryStrikes {
    pub fn new(window: Duration) -> Self {
        let map = moka::sync::Cache::builder().max_capacity(1_000_000).time_to_idle(window).build();
        Self { window: window_ms(window), map }
    }
}

#[async_trait::async_trait]
impl Strikes for MemoryStrikes {
    async fn get(&self, key: &str) -> Option<Strike> {
        self.map.get(key)
    }

    async fn add(&self, key: &str, now: Millis) -> Strike {
        let next = match self.map.get(key) {
            Some(s) if now - s.last <= self.window => Strike { count: s.count + 1, last: now },
            _ => Strike { count: 1, last: now },
        };
        self.map.insert(key.to_owned(), next);
        next
    }
}

static ADD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local s = redis.call('HMGET', KEYS[1], 'count', 'last')
local count = 1
if s[1] and s[2] and now - tonumber(s[2]) <= window then
  count = tonumber(s[1]) + 1
end
redis.call('HSET', KEYS[1], 'count', count, 'last', ARGV[1])
redis.call('PEXPIRE', KEYS[1], window)
return count
",
    )
});

static GET: LazyLock<Script> = LazyLock::new(|| Script::new("return redis.call('HMGET', KEYS[1], 'count', 'last')"));

/// In Redis, keyed `<prefix>:strikes:<name>:<key>`, expiring `window` after the last failure.
struct RedisStrikes {
    redis: Arc<Redis>,
    name: &'static str,
    window: Duration,
    fallback: MemoryStrikes,
}

#[async_trait::async_trait]
impl Strikes for RedisStrikes {
    async fn get(&self, key: &str) -> Option<Strike> {
        let redis_key = self.redis.key(&["strikes", self.name, key]);
        match self.redis.run::<(Option<u32>, Option<Millis>)>("strikes_get", &GET, &[&redis_key], &[]).await {
            Some((Some(count), Some(last))) => Some(Strike { count, last }),
            Some(_) => None,
            None => self.fallback.get(key).await,
        }
    }

    async fn add(&self, key: &str, now: Millis) -> Strike {
        let redis_key = self.redis.key(&["strikes", self.name, key]);
        let args = [now, window_ms(self.window)];
        match self.redis.run::<u32>("strikes_add", &ADD, &[&redis_key], &args).await {
            Some(count) => Strike { count, last: now },
            None => self.fallback.add(key, now).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redis::testing::{dead_redis, test_redis};

    const WINDOW: Duration = Duration::from_secs(900);

    async fn counts(counter: &dyn Strikes, other: &dyn Strikes) {
        assert_eq!(counter.get("ip").await, None);
        assert_eq!(counter.add("ip", 1_000).await, Strike { count: 1, last: 1_000 });
        assert_eq!(other.add("ip", 2_000).await, Strike { count: 2, last: 2_000 });
        assert_eq!(counter.get("ip").await, Some(Strike { count: 2, last: 2_000 }));
        assert_eq!(counter.add("ip", 2_000 + 900_001).await.count, 1, "an old series starts again");
        assert_eq!(other.get("another").await, None);
    }

    #[tokio::test]
    async fn memory_counts_and_forgets_old_series() {
        let counter = MemoryStrikes::new(WINDOW);
        counts(&counter, &counter).await;
    }

    #[tokio::test]
    async fn two_counters_on_one_redis_see_each_others_strikes() {
        let redis = test_redis();
        let (a, b) = (counter(Some(redis.clone()), "t", WINDOW), counter(Some(redis), "t", WINDOW));
        counts(a.as_ref(), b.as_ref()).await;
    }

    #[tokio::test]
    async fn without_redis_the_counter_falls_back_to_memory() {
        let counter = counter(Some(dead_redis()), "t", WINDOW);
        counts(counter.as_ref(), counter.as_ref()).await;
    }
}
