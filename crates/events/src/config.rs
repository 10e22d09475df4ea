//! The `[events]` configuration section.

use serde::{Deserialize, Serialize};
use tessera_kernel::config::ConfigError;
use tessera_kernel::module::ModuleConfig;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventsConfig {
    pub relay_batch: u64,
    pub relay_poll_ms: u64,
    pub consumer_poll_ms: u64,
    pub consumer_lease_secs: u64,
    pub watch_poll_ms: u64,
    pub retention_days: u32,
    pub nats_url: String,
    pub nats_stream: String,
    pub nats_subject_prefix: String,
}

impl ModuleConfig for EventsConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let cfg = self;
        if !(1..=10_000).contains(&cfg.relay_batch) {
            return Err(ConfigError::key("events.relay_batch", "must be 1..=10000"));
        }
        if !(1..=60_000).contains(&cfg.relay_poll_ms) {
            return Err(ConfigError::key("events.relay_poll_ms", "must be 1..=60000"));
        }
        if !(1..=60_000).contains(&cfg.consumer_poll_ms) {
            return Err(ConfigError::key("events.consumer_poll_ms", "must be 1..=60000"));
        }
        if !(1..=60_000).contains(&cfg.watch_poll_ms) {
            return Err(ConfigError::key("events.watch_poll_ms", "must be 1..=60000"));
        }
        if !(5..=3_600).contains(&cfg.consumer_lease_secs) {
            return Err(ConfigError::key("events.consumer_lease_secs", "must be 5..=3600"));
        }
        if cfg.retention_days > 36_500 {
            return Err(ConfigError::key("events.retention_days", "must be 0 (forever) or at most 36500"));
        }
        if !cfg.nats_url.is_empty() && !cfg.nats_url.starts_with("nats://") && !cfg.nats_url.starts_with("tls://") {
            return Err(ConfigError::key("events.nats_url", "must start with nats:// or tls://"));
        }
        let token = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !token(&cfg.nats_stream) {
            return Err(ConfigError::key("events.nats_stream", "must be letters, digits, _ or -"));
        }
        if !token(&cfg.nats_subject_prefix) {
            return Err(ConfigError::key("events.nats_subject_prefix", "must be letters, digits, _ or -"));
        }
        Ok(())
    }
}
