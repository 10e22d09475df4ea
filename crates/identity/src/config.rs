//! The `[identity]` configuration section.

use serde::{Deserialize, Serialize};
use tessera_kernel::config::ConfigError;
use tessera_kernel::module::ModuleConfig;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    pub issuer: String,
    pub audience: String,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_days: i64,
    pub allow_unverified_login: bool,
    pub verify_email_ttl_hours: i64,
    pub reset_password_ttl_minutes: i64,
    pub set_password_ttl_hours: i64,
    pub session_cache_secs: u64,
    pub verify_email_link: String,
    pub reset_password_link: String,
    pub password: PasswordConfig,
    pub lockout: LockoutConfig,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordConfig {
    pub min_length: usize,
    pub max_length: usize,
    pub reject_common: bool,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub hash_concurrency: usize,
    pub hash_queue: usize,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LockoutConfig {
    pub max_failures: i32,
    pub base_lock_secs: i64,
    pub max_lock_secs: i64,
    pub ip_max_failures: u32,
}

impl ModuleConfig for IdentityConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let cfg = self;
        let checks: [(&str, bool, &str); 9] = [
            (
                "identity.access_token_ttl_secs",
                (30..=86_400).contains(&cfg.access_token_ttl_secs),
                "must be 30..=86400",
            ),
            ("identity.refresh_token_ttl_days", (1..=365).contains(&cfg.refresh_token_ttl_days), "must be 1..=365"),
            ("identity.password.min_length", (6..=128).contains(&cfg.password.min_length), "must be 6..=128"),
            (
                "identity.password.max_length",
                cfg.password.max_length >= cfg.password.min_length && cfg.password.max_length <= 4096,
                "must be at least min_length and at most 4096",
            ),
            (
                "identity.password.argon2_memory_kib",
                cfg.password.argon2_memory_kib >= 8 * cfg.password.argon2_parallelism.max(1),
                "must be at least 8 × parallelism",
            ),
            ("identity.password.argon2_iterations", cfg.password.argon2_iterations >= 1, "must be at least 1"),
            ("identity.lockout.max_failures", cfg.lockout.max_failures >= 1, "must be at least 1"),
            ("identity.verify_email_link", cfg.verify_email_link.contains("{token}"), "must contain {token}"),
            ("identity.reset_password_link", cfg.reset_password_link.contains("{token}"), "must contain {token}"),
        ];
        for (key, ok, message) in checks {
            if !ok {
                return Err(ConfigError::key(key, message));
            }
        }
        if cfg.audience.trim().is_empty() {
            return Err(ConfigError::key("identity.audience", "must not be empty"));
        }
        Ok(())
    }
}
