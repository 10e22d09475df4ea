//! The `[audit]` configuration section.

use serde::{Deserialize, Serialize};
use tessera_kernel::config::ConfigError;
use tessera_kernel::module::ModuleConfig;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Entries older than this many days are deleted; 0 keeps them forever.
    pub retention_days: u32,
    /// Seconds between retention passes (the first comes a minute after start-up,
    /// or after one period when that is shorter).
    pub retention_interval_secs: u64,
}

impl ModuleConfig for AuditConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let cfg = self;
        if cfg.retention_days > 36_500 {
            return Err(ConfigError::key("audit.retention_days", "must be 0 (forever) or at most 36500"));
        }
        if !(1..=604_800).contains(&cfg.retention_interval_secs) {
            return Err(ConfigError::key("audit.retention_interval_secs", "must be 1..=604800 (a week)"));
        }
        Ok(())
    }
}
