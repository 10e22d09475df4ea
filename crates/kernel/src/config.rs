//! Layered configuration: embedded defaults of every module, `tessera.toml`,
//! `TESSERA_*` environment variables, then CLI flags (highest). The kernel owns the
//! `server`, `data`, `database`, `mail`, `jobs`, `rate_limit`, `redis` and `outbound` sections; each module
//! reads its own section through [`Settings::section`]. Errors name the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

use crate::ssrf::SsrfGuard;

/// The kernel's embedded, commented defaults.
pub const DEFAULT_CONFIG: &str = include_str!("../tessera.default.toml");

/// Short environment variable names and the keys they set.
const ENV_ALIASES: &[(&str, &str)] = &[
    ("BIND", "server.bind"),
    ("PUBLIC_URL", "server.public_url"),
    ("MODULES", "server.modules"),
    ("DATABASE_URL", "database.url"),
    ("DATA_DIR", "data.dir"),
    ("MAIL_URL", "mail.url"),
    ("MAIL_FROM", "mail.from"),
    ("SSRF_ALLOW", "outbound.ssrf_allow"),
    ("NATS_URL", "events.nats_url"),
    ("REDIS_URL", "redis.url"),
];

/// A configuration problem, naming the key at fault.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

impl ConfigError {
    pub fn key(key: &str, message: impl std::fmt::Display) -> Self {
        Self(format!("`{key}`: {message}"))
    }
}

impl From<figment::Error> for ConfigError {
    fn from(err: figment::Error) -> Self {
        describe(err, None)
    }
}

/// Names the key of each error plainly (figment's own rendering depends on the
/// source). Inside a section, figment lists the section name last in the path.
fn describe(err: figment::Error, section: Option<&str>) -> ConfigError {
    let mut out = Vec::new();
    for e in err {
        let source = e.metadata.as_ref().map(|m| format!(" (from {})", m.name)).unwrap_or_default();
        let mut path = e.path.clone();
        if let Some(name) = section {
            if path.last().is_some_and(|p| p == name) {
                path.pop();
            }
            path.insert(0, name.to_owned());
        }
        if path.is_empty() {
            out.push(format!("{}{source}", e.kind));
        } else {
            out.push(format!("`{}`: {}{source}", path.join("."), e.kind));
        }
    }
    ConfigError(out.join("; "))
}

/// The merged configuration source, from which each module extracts its section.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Shared: the state holding it is cloned for every request.
    figment: std::sync::Arc<Figment>,
}

impl Settings {
    /// Layers `defaults` (each module's embedded TOML), the optional file, the
    /// environment and `overrides` (CLI flags, as dotted keys).
    pub fn load(
        defaults: &[&str],
        file: Option<&Path>,
        overrides: &[(&str, serde_json::Value)],
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        for d in defaults {
            figment = figment.merge(Toml::string(d));
        }
        match file {
            Some(path) if !path.exists() => {
                return Err(ConfigError(format!("config file {} does not exist", path.display())));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new("tessera.toml").exists() => figment = figment.merge(Toml::file_exact("tessera.toml")),
            None => {}
        }
        figment = figment.merge(env_provider());
        for (key, value) in overrides {
            figment = figment.merge(Serialized::default(key, value));
        }
        Ok(Self { figment: figment.into() })
    }

    /// Settings for tests: the defaults plus the given dotted overrides, no file, no environment.
    pub fn for_test(defaults: &[&str], overrides: &[(&str, serde_json::Value)]) -> Self {
        let mut figment = Figment::new();
        for d in defaults {
            figment = figment.merge(Toml::string(d));
        }
        for (key, value) in overrides {
            figment = figment.merge(Serialized::default(key, value));
        }
        Self { figment: figment.into() }
    }

    /// Extracts one section; errors name `section.key`.
    pub fn section<T: DeserializeOwned>(&self, name: &str) -> Result<T, ConfigError> {
        self.figment.extract_inner::<T>(name).map_err(|e| describe(e, Some(name)))
    }

    /// Every key and value, with secrets redacted, for `tessera config`.
    pub fn redacted(&self) -> Result<serde_json::Value, ConfigError> {
        let mut value: serde_json::Value = self.figment.extract()?;
        redact(&mut value, "");
        Ok(value)
    }
}

fn env_provider() -> Env {
    Env::prefixed("TESSERA_")
        .filter(|key| {
            let k = key.as_str().to_ascii_uppercase();
            k.contains("__") || ENV_ALIASES.iter().any(|(alias, _)| *alias == k)
        })
        .map(|key| {
            let k = key.as_str().to_ascii_uppercase();
            match ENV_ALIASES.iter().find(|(alias, _)| *alias == k) {
                Some((_, path)) => (*path).into(),
                None => k.to_ascii_lowercase().replace("__", ".").into(),
            }
        })
}

/// Hides passwords in URLs and values of keys that name a secret.
fn redact(value: &mut serde_json::Value, key: &str) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                redact(v, k);
            }
        }
        serde_json::Value::String(s) => {
            if crate::audit::is_secret_name(key) {
                *s = "***".into();
            } else if let Ok(mut url) = Url::parse(s)
                && url.password().is_some()
            {
                let _ = url.set_password(Some("***"));
                *s = url.to_string();
            }
        }
        _ => {}
    }
}

/// `[server]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(try_from = "RawServerConfig")]
pub struct ServerConfig {
    pub bind: SocketAddr,
    /// The configured URL, or `http://<bind>` (`localhost` for an unspecified address).
    pub public_url: Url,
    #[serde(deserialize_with = "list_or_csv")]
    pub modules: Vec<String>,
    pub body_limit: usize,
    pub request_timeout_secs: u64,
    pub shutdown_grace_secs: u64,
    #[serde(deserialize_with = "list_or_csv")]
    pub cors_origins: Vec<String>,
    pub trust_forwarded_for: bool,
}

/// `[server]` as written: `public_url` may be empty (derived from `bind`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServerConfig {
    bind: SocketAddr,
    public_url: String,
    #[serde(deserialize_with = "list_or_csv")]
    modules: Vec<String>,
    body_limit: usize,
    request_timeout_secs: u64,
    shutdown_grace_secs: u64,
    #[serde(deserialize_with = "list_or_csv")]
    cors_origins: Vec<String>,
    trust_forwarded_for: bool,
}

impl TryFrom<RawServerConfig> for ServerConfig {
    type Error = String;

    fn try_from(raw: RawServerConfig) -> Result<Self, String> {
        let public_url = if raw.public_url.trim().is_empty() {
            let host = match raw.bind.ip() {
                // Loopback and "every address" are reached as localhost, as before.
                ip if ip.is_unspecified() || ip == std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST) => {
                    "localhost".to_owned()
                }
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                ip => ip.to_string(),
            };
            Url::parse(&format!("http://{host}:{}", raw.bind.port())).map_err(|e| e.to_string())?
        } else {
            Url::parse(raw.public_url.trim()).map_err(|e| format!("public_url: {e}"))?
        };
        Ok(Self {
            bind: raw.bind,
            public_url,
            modules: raw.modules,
            body_limit: raw.body_limit,
            request_timeout_secs: raw.request_timeout_secs,
            shutdown_grace_secs: raw.shutdown_grace_secs,
            cors_origins: raw.cors_origins,
            trust_forwarded_for: raw.trust_forwarded_for,
        })
    }
}

impl ServerConfig {
    /// Whether module `name` should run.
    pub fn runs(&self, name: &str) -> bool {
        self.modules.iter().any(|m| m == "all" || m == name)
    }

    /// An absolute link to a path of the public site.
    pub fn link(&self, path_and_query: &str) -> String {
        let base = self.public_url.as_str().trim_end_matches('/');
        format!("{base}{path_and_query}")
    }
}

/// Accepts `["a","b"]` or `"a,b"` (environment variables carry plain strings).
fn list_or_csv<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Csv(String),
    }
    Ok(match Raw::deserialize(de)? {
        Raw::List(v) => v,
        Raw::Csv(s) => s.split(',').map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect(),
    })
}

/// `[data]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    pub dir: PathBuf,
}

/// `[database]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
    /// PostgreSQL: vacuum a queue table once it holds this many dead rows (0: leave it to autovacuum).
    pub vacuum_dead_rows: i64,
}

impl DatabaseConfig {
    /// The URL in force: the configured one, or the SQLite file under the data dir.
    pub fn effective_url(&self, data: &DataConfig) -> String {
        if self.url.trim().is_empty() {
            format!("sqlite://{}/tessera.db", data.dir.display())
        } else {
            self.url.trim().to_owned()
        }
    }
}

/// `[mail]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    pub url: String,
    pub tls_ca_file: String,
    pub from: String,
    pub max_attempts: u32,
}

/// `[jobs]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JobsConfig {
    pub workers: usize,
    pub lease_secs: u64,
}

/// `[rate_limit]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    pub enabled: bool,
    pub global_per_ip: u32,
    pub auth_per_ip: u32,
    pub auth_per_account: u32,
}

/// `[redis]`: where rate limits and sign-in strikes are shared by every node.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://[user:pass@]host:port[/db]`; empty keeps limits in each node's memory.
    pub url: String,
    /// Put before every key, so several deployments can share one Redis.
    pub key_prefix: String,
    /// Longest wait for one Redis call before the node falls back to its own limits.
    pub timeout_ms: u64,
}

impl RedisConfig {
    /// The URL, when one is set.
    pub fn url(&self) -> Option<&str> {
        Some(self.url.trim()).filter(|u| !u.is_empty())
    }
}

/// `[outbound]`: requests to URLs that users supply (webhooks, callbacks).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundConfig {
    /// CIDRs, addresses and host names the SSRF guard lets through although private.
    #[serde(deserialize_with = "list_or_csv")]
    pub ssrf_allow: Vec<String>,
}

impl OutboundConfig {
    /// The SSRF guard with the configured allowlist.
    pub fn ssrf_guard(&self) -> Result<SsrfGuard, ConfigError> {
        SsrfGuard::from_entries(&self.ssrf_allow).map_err(|e| ConfigError::key("outbound.ssrf_allow", e))
    }
}

/// The kernel's sections, parsed and checked.
#[derive(Clone, Debug, Serialize)]
pub struct KernelConfig {
    pub server: ServerConfig,
    pub data: DataConfig,
    pub database: DatabaseConfig,
    pub mail: MailConfig,
    pub jobs: JobsConfig,
    pub rate_limit: RateLimitConfig,
    pub redis: RedisConfig,
    pub outbound: OutboundConfig,
}

impl KernelConfig {
    /// Extracts and validates the kernel sections.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let cfg = Self {
            server: settings.section("server")?,
            data: settings.section("data")?,
            database: settings.section("database")?,
            mail: settings.section("mail")?,
            jobs: settings.section("jobs")?,
            rate_limit: settings.section("rate_limit")?,
            redis: settings.section("redis")?,
            outbound: settings.section("outbound")?,
        };
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !matches!(self.server.public_url.scheme(), "http" | "https") {
            return Err(ConfigError::key("server.public_url", "must be an http or https URL"));
        }
        if self.server.body_limit < 1024 {
            return Err(ConfigError::key("server.body_limit", "must be at least 1024 bytes"));
        }
        if self.server.request_timeout_secs == 0 {
            return Err(ConfigError::key("server.request_timeout_secs", "must be at least 1"));
        }
        let url = self.database.effective_url(&self.data);
        if !["sqlite:", "postgres:", "postgresql:", "mysql:", "mariadb:"].iter().any(|p| url.starts_with(p)) {
            return Err(ConfigError::key("database.url", "must start with sqlite://, postgres:// or mysql://"));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::key("database.max_connections", "must be at least 1"));
        }
        if self.database.vacuum_dead_rows < 0 {
            return Err(ConfigError::key("database.vacuum_dead_rows", "must be 0 (off) or more"));
        }
        if !(self.mail.url.starts_with("file://")
            || self.mail.url.starts_with("smtp://")
            || self.mail.url.starts_with("smtps://"))
        {
            return Err(ConfigError::key("mail.url", "must start with smtp://, smtps:// or file://"));
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::key("mail.from", "is not a valid mailbox"));
        }
        if self.jobs.workers == 0 {
            return Err(ConfigError::key("jobs.workers", "must be at least 1"));
        }
        for origin in &self.server.cors_origins {
            if origin.parse::<axum::http::HeaderValue>().is_err() || Url::parse(origin).is_err() {
                return Err(ConfigError::key("server.cors_origins", format!("{origin} is not an origin")));
            }
        }
        if let Some(url) = self.redis.url()
            && let Err(e) = redis::Client::open(url)
        {
            return Err(ConfigError::key("redis.url", format!("is not a Redis URL: {e}")));
        }
        if !(1..=10_000).contains(&self.redis.timeout_ms) {
            return Err(ConfigError::key("redis.timeout_ms", "must be between 1 and 10000"));
        }
        self.outbound.ssrf_guard()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_validate() {
        let settings = Settings::for_test(&[DEFAULT_CONFIG], &[]);
        let cfg = KernelConfig::from_settings(&settings).unwrap();
        assert!(cfg.server.runs("identity"));
        assert_eq!(cfg.database.effective_url(&cfg.data), "sqlite://./tessera-data/tessera.db");
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let settings = Settings::for_test(&[DEFAULT_CONFIG], &[("server.bind", serde_json::json!("not an address"))]);
        let err = KernelConfig::from_settings(&settings).unwrap_err().to_string();
        assert!(err.contains("`server.bind`"), "{err}");
        let settings = Settings::for_test(&[DEFAULT_CONFIG], &[("database.url", serde_json::json!("oracle://x"))]);
        let err = KernelConfig::from_settings(&settings).unwrap_err().to_string();
        assert!(err.contains("`database.url`"), "{err}");
    }

    #[test]
    fn passwords_are_redacted() {
        let settings = Settings::for_test(
            &[DEFAULT_CONFIG],
            &[("database.url", serde_json::json!("postgres://app:hunter2@db/x"))],
        );
        let shown = settings.redacted().unwrap().to_string();
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("postgres://app:***@db/x"));
    }

    #[test]
    fn the_public_url_follows_the_bind_address_unless_set() {
        let cfg = |overrides: &[(&str, serde_json::Value)]| {
            KernelConfig::from_settings(&Settings::for_test(&[DEFAULT_CONFIG], overrides)).unwrap().server
        };
        assert_eq!(cfg(&[]).link("/docs"), "http://localhost:8080/docs");
        let bound = cfg(&[("server.bind", serde_json::json!("127.0.0.1:3981"))]);
        assert_eq!(bound.link("/docs"), "http://localhost:3981/docs");
        let other = cfg(&[("server.bind", serde_json::json!("10.1.2.3:80"))]);
        assert_eq!(other.link("/docs"), "http://10.1.2.3/docs");
        let any = cfg(&[("server.bind", serde_json::json!("0.0.0.0:3981"))]);
        assert_eq!(any.link("/docs"), "http://localhost:3981/docs");
        let set = cfg(&[
            ("server.bind", serde_json::json!("0.0.0.0:3981")),
            ("server.public_url", serde_json::json!("https://id.example.com")),
        ]);
        assert_eq!(set.link("/docs"), "https://id.example.com/docs");
    }

    #[test]
    fn modules_accept_a_comma_list() {
        let settings =
            Settings::for_test(&[DEFAULT_CONFIG], &[("server.modules", serde_json::json!("identity, orgs"))]);
        let cfg = KernelConfig::from_settings(&settings).unwrap();
        assert_eq!(cfg.server.modules, vec!["identity", "orgs"]);
        assert!(!cfg.server.runs("webhooks"));
    }

    #[test]
    fn the_ssrf_allowlist_is_parsed_and_checked() {
        let cfg = KernelConfig::from_settings(&Settings::for_test(&[DEFAULT_CONFIG], &[])).unwrap();
        assert!(cfg.outbound.ssrf_allow.is_empty());
        assert!(cfg.outbound.ssrf_guard().unwrap().check_url("http://127.0.0.1/").is_err());

        let allow = serde_json::json!("127.0.0.0/8, ::1/128, hooks.internal");
        let settings = Settings::for_test(&[DEFAULT_CONFIG], &[("outbound.ssrf_allow", allow)]);
        let cfg = KernelConfig::from_settings(&settings).unwrap();
        assert_eq!(cfg.outbound.ssrf_allow, vec!["127.0.0.0/8", "::1/128", "hooks.internal"]);
        let guard = cfg.outbound.ssrf_guard().unwrap();
        assert!(guard.check_url("http://127.0.0.1:9000/").is_ok());
        assert!(guard.allows_host("hooks.internal"));

        let bad = serde_json::json!("10.0.0.0/33");
        let settings = Settings::for_test(&[DEFAULT_CONFIG], &[("outbound.ssrf_allow", bad)]);
        let err = KernelConfig::from_settings(&settings).unwrap_err().to_string();
        assert!(err.contains("`outbound.ssrf_allow`") && err.contains("10.0.0.0/33"), "{err}");
    }

    #[test]
    fn the_short_ssrf_allow_variable_sets_the_key() {
        assert!(ENV_ALIASES.contains(&("SSRF_ALLOW", "outbound.ssrf_allow")));
    }

    #[test]
    fn redis_is_off_unless_a_url_is_set_and_a_bad_one_names_its_key() {
        assert!(ENV_ALIASES.contains(&("REDIS_URL", "redis.url")));
        let cfg = KernelConfig::from_settings(&Settings::for_test(&[DEFAULT_CONFIG], &[])).unwrap();
        assert_eq!(cfg.redis.url(), None);
        let set =
            Settings::for_test(&[DEFAULT_CONFIG], &[("redis.url", serde_json::json!("redis://127.0.0.1:6379/2"))]);
        assert_eq!(KernelConfig::from_settings(&set).unwrap().redis.url(), Some("redis://127.0.0.1:6379/2"));
        let bad = Settings::for_test(&[DEFAULT_CONFIG], &[("redis.url", serde_json::json!("http://nope"))]);
        let err = KernelConfig::from_settings(&bad).unwrap_err().to_string();
        assert!(err.contains("`redis.url`"), "{err}");
    }
}
