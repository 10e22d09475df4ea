//! The in-process limiter: one governor GCRA table per rule.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter as Gcra};

use super::{Decision, RateLimiter, Rule};

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
