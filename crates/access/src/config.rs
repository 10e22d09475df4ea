//! The `[access]` configuration section.

use serde::{Deserialize, Serialize};
use tessera_kernel::config::ConfigError;
use tessera_kernel::module::ModuleConfig;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccessConfig {
    pub api_key_rate_limit_per_minute: u32,
    pub api_key_cache_secs: u64,
    pub role_cache_secs: u64,
    pub default_rotation_grace_hours: u32,
}

impl ModuleConfig for AccessConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let cfg = self;
        if cfg.api_key_rate_limit_per_minute == 0 {
            return Err(ConfigError::key("access.api_key_rate_limit_per_minute", "must be at least 1"));
        }
        if cfg.api_key_cache_secs > 300 {
            return Err(ConfigError::key("access.api_key_cache_secs", "must be at most 300"));
        }
        if cfg.role_cache_secs > 3600 {
            return Err(ConfigError::key("access.role_cache_secs", "must be at most 3600"));
        }
        if cfg.default_rotation_grace_hours > crate::model::MAX_GRACE_HOURS {
            return Err(ConfigError::key("access.default_rotation_grace_hours", "must be at most 720"));
        }
        Ok(())
    }
}
