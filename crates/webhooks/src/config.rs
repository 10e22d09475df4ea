//! The `[webhooks]` configuration section.

use serde::{Deserialize, Serialize};
use tessera_kernel::config::ConfigError;
use tessera_kernel::module::ModuleConfig;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    pub attempt_timeout_secs: u64,
    pub retry_schedule_secs: Vec<u64>,
    pub disable_after_days: u32,
    pub max_in_flight_per_endpoint: usize,
    pub max_in_flight: usize,
    pub claim_batch: u64,
    pub secret_grace_hours: u32,
    pub emit_delivery_events: bool,
    pub retention_days: u32,
}

impl ModuleConfig for WebhooksConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let cfg = self;
        if !(1..=300).contains(&cfg.attempt_timeout_secs) {
            return Err(ConfigError::key("webhooks.attempt_timeout_secs", "must be 1..=300"));
        }
        if cfg.retry_schedule_secs.is_empty() || cfg.retry_schedule_secs.len() > 50 {
            return Err(ConfigError::key("webhooks.retry_schedule_secs", "must list 1 to 50 delays"));
        }
        if cfg.retry_schedule_secs.iter().any(|s| *s > 7 * 86_400) {
            return Err(ConfigError::key("webhooks.retry_schedule_secs", "each delay must be at most 7 days"));
        }
        if !(1..=1_000).contains(&cfg.max_in_flight_per_endpoint) {
            return Err(ConfigError::key("webhooks.max_in_flight_per_endpoint", "must be 1..=1000"));
        }
        if !(1..=10_000).contains(&cfg.max_in_flight) {
            return Err(ConfigError::key("webhooks.max_in_flight", "must be 1..=10000"));
        }
        if !(1..=5_000).contains(&cfg.claim_batch) {
            return Err(ConfigError::key("webhooks.claim_batch", "must be 1..=5000"));
        }
        if cfg.secret_grace_hours > 720 {
            return Err(ConfigError::key("webhooks.secret_grace_hours", "must be at most 720"));
        }
        if cfg.retention_days > 36_500 {
            return Err(ConfigError::key("webhooks.retention_days", "must be 0 (forever) or at most 36500"));
        }
        Ok(())
    }
}

impl WebhooksConfig {
    /// The lease on a delivery being attempted: twice the attempt timeout and
    /// 5 s more. An attempt starts only while the lease has the timeout and 5 s
    /// left, so it always ends (or is abandoned) before another node may claim it.
    pub fn lease_ms(&self) -> i64 {
        i64::try_from(self.attempt_timeout_secs * 2_000 + 5_000).unwrap_or(35_000)
    }

    /// The delay before attempt `n + 1` after `n` attempts failed, with ±20% jitter; None: give up.
    pub fn retry_delay_ms(&self, failed_attempts: usize) -> Option<i64> {
        let secs = *self.retry_schedule_secs.get(failed_attempts)?;
        let base = i64::try_from(secs * 1_000).unwrap_or(i64::MAX / 2);
        Some(base + (base as f64 * rand::random_range(-0.2..=0.2)) as i64)
    }
}
