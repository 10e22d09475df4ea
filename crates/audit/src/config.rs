//! The `[audit]` configuration section.

use serde::{Deserialize, Serialize};
use tessera_kernel::config::{ConfigError, Settings};

/// The module's embedded, commented defaults.
pub const DEFAULT_CONFIG: &str = include_str!("../audit.default.toml");

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Entries older than this many days are deleted; 0 keeps them forever.
    pub retention_days: u32,
}

impl AuditConfig {
    /// Extracts and checks `[audit]`.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let cfg: Self = settings.section("audit")?;
        if cfg.retention_days > 36_500 {
            return Err(ConfigError::key("audit.retention_days", "must be 0 (forever) or at most 36500"));
        }
        Ok(cfg)
    }
}
