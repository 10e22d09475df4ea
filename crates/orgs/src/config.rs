//! The `[orgs]` configuration section.

use serde::{Deserialize, Serialize};
use tessera_kernel::config::ConfigError;
use tessera_kernel::module::ModuleConfig;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OrgsConfig {
    /// Seconds a node trusts its cached memberships, seats and organization rows.
    pub membership_cache_secs: u64,
}

impl ModuleConfig for OrgsConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.membership_cache_secs > 3600 {
            return Err(ConfigError::key("orgs.membership_cache_secs", "must be at most 3600"));
        }
        Ok(())
    }
}
