//! The SSRF guard: every outbound URL a user supplies (webhook targets, callback
//! URLs, …) must point at a public address, never at this host, the private network
//! or a cloud metadata service.
//!
//! [`SsrfGuard`] holds the operators' allowlist (`outbound.ssrf_allow`, or
//! `TESSERA_SSRF_ALLOW`: CIDRs and exact host names) and checks in two places:
//!
//! - [`SsrfGuard::check_url`] parses a URL (WHATWG rules, so `http://2130706433/`,
//!   `http://0177.0.0.1/` and `http://0x7f.1/` all become `127.0.0.1`), allows only
//!   `http`/`https` without credentials, and refuses IP-literal hosts in blocked
//!   ranges and `localhost` names. **Call it before every attempt**: reqwest connects
//!   to IP-literal hosts without asking the resolver.
//! - The client from [`SsrfGuard::http_client`] resolves host names through
//!   [`SsrfResolver`], which refuses the name if any address it resolves to is
//!   blocked, at connect time on every attempt (a DNS answer that changes between the
//!   check and the request — rebinding — is caught). It follows no redirects and
//!   uses no proxy.
//!
//! ```ignore
//! let client = guard.http_client(Duration::from_secs(10), "tessera-webhooks/1")?;
//! // per attempt:
//! let url = guard.check_url(&endpoint.url)?;
//! let response = client.post(url).body(payload).send().await?;
//! ```

mod classify;

use std::borrow::Cow;
use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

pub use classify::blocked_reason;

use crate::error::{ApiError, FieldError};

/// The error code of every refusal.
pub const URL_NOT_ALLOWED: &str = "URL_NOT_ALLOWED";

/// Longest wait for a TCP (and TLS) connection, whatever the request timeout.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why an outbound URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsrfError {
    #[error("the URL is invalid: {0}")]
    InvalidUrl(String),
    #[error("only http and https URLs are allowed, not {0}")]
    UnsupportedScheme(String),
    #[error("the URL must not carry a user name or password")]
    Credentials,
    #[error("the URL has no host")]
    MissingHost,
    #[error("target address {addr} is {reason}")]
    BlockedAddress { addr: IpAddr, reason: &'static str },
    #[error("target host {host} is {reason}")]
    BlockedHost { host: String, reason: &'static str },
    #[error("target host {host} could not be resolved: {message}")]
    Unresolved { host: String, message: String },
}

impl SsrfError {
    /// The error code for clients: always [`URL_NOT_ALLOWED`].
    pub fn code(&self) -> &'static str {
        URL_NOT_ALLOWED
    }

    /// The refusal as a field error of the request body (`field` names the URL field).
    pub fn field_error(&self, field: impl Into<Cow<'static, str>>) -> FieldError {
        FieldError::new(field, self.code(), self.to_string())
    }

    /// The guard's refusal behind a failed request, if that is why it failed
    /// (reqwest wraps the resolver's error in its own).
    pub fn find_in<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a SsrfError> {
        let mut current = Some(err);
        while let Some(e) = current {
            if let Some(found) = e.downcast_ref::<SsrfError>() {
                return Some(found);
            }
            current = e.source();
        }
        None
    }
}

impl From<SsrfError> for ApiError {
    fn from(err: SsrfError) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, err.code(), err.to_string())
    }
}

/// Checks outbound URLs and resolved addresses against the blocked ranges and the
/// operators' allowlist. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct SsrfGuard {
    allow: Arc<Allowlist>,
}

#[derive(Debug, Default)]
struct Allowlist {
    nets: Vec<IpNet>,
    /// Lowercase ASCII (punycode) names without a trailing dot, matched exactly.
    hosts: Vec<String>,
}

impl SsrfGuard {
    /// A guard allowing the comma-separated CIDRs, addresses and host names of
    /// `allow_spec` (e.g. `"10.1.0.0/16, ::1/128, hooks.internal"`); empty allows
    /// nothing beyond public addresses. Errors name the entry that is neither.
    pub fn new(allow_spec: &str) -> Result<Self, String> {
        Self::from_entries(allow_spec.split(','))
    }

    /// Like [`SsrfGuard::new`], from entries already split (blank ones are skipped).
    pub fn from_entries<I, S>(entries: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut allow = Allowlist::default();
        for entry in entries {
            let entry = entry.as_ref().trim();
            if entry.is_empty() {
                continue;
            }
            if let Ok(net) = entry.parse::<IpNet>() {
                allow.nets.push(net.trunc());
                continue;
            }
            if let Ok(ip) = entry.parse::<IpAddr>() {
                allow.nets.push(IpNet::from(ip));
                continue;
            }
            let invalid = || format!("`{entry}` is neither a CIDR, an IP address nor a host name");
            if entry.contains('*') {
                return Err(format!("`{entry}`: wildcards are not supported, list each host name"));
            }
            match Host::parse(entry).map_err(|_| invalid())? {
                Host::Domain(name) => allow.hosts.push(normalize_host(&name)),
                Host::Ipv4(ip) => allow.nets.push(IpNet::from(IpAddr::V4(ip))),
                Host::Ipv6(ip) => allow.nets.push(IpNet::from(IpAddr::V6(ip))),
            }
        }
        Ok(Self { allow: Arc::new(allow) })
    }

    /// Whether an allowed CIDR contains `ip` (IPv4-mapped IPv6 matches IPv4 ranges).
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        let canonical = ip.to_canonical();
        self.allow.nets.iter().any(|net| net.contains(&ip) || net.contains(&canonical))
    }

    /// Whether `host` is an allowed host name (exact, case-insensitive match).
    pub fn allows_host(&self, host: &str) -> bool {
        let host = normalize_host(host);
        self.allow.hosts.contains(&host)
    }

    /// Refuses `ip` if it is in a blocked range and no allowed CIDR contains it.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), SsrfError> {
        match blocked_reason(ip) {
            Some(reason) if !self.allows_ip(ip) => Err(SsrfError::BlockedAddress { addr: ip, reason }),
            _ => Ok(()),
        }
    }

    /// Parses and checks an outbound URL; see [`SsrfGuard::check`]. Call it before
    /// every attempt, not only when the URL is stored.
    pub fn check_url(&self, url: &str) -> Result<Url, SsrfError> {
        let url = Url::parse(url).map_err(|e| SsrfError::InvalidUrl(e.to_string()))?;
        self.check(&url)?;
        Ok(url)
    }

    /// Checks a parsed URL: `http`/`https` only, no credentials, a host that is
    /// neither a blocked IP literal nor a `localhost` name. Host names are checked
    /// against their addresses when resolved ([`SsrfGuard::resolve`]).
    pub fn check(&self, url: &Url) -> Result<(), SsrfError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SsrfError::UnsupportedScheme(url.scheme().to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(SsrfError::Credentials);
        }
        match url.host() {
            None => Err(SsrfError::MissingHost),
            Some(Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)),
            Some(Host::Domain(name)) => self.check_host_name(name),
        }
    }

    /// Refuses `localhost` and `*.localhost` (loopback by definition, RFC 6761)
    /// unless the name or a loopback address is allowed.
    fn check_host_name(&self, host: &str) -> Result<(), SsrfError> {
        let name = normalize_host(host);
        let localhost = name == "localhost" || name.ends_with(".localhost");
        let loopback_allowed =
            self.allows_ip(IpAddr::V4(Ipv4Addr::LOCALHOST)) || self.allows_ip(IpAddr::V6(Ipv6Addr::LOCALHOST));
        if localhost && !loopback_allowed && !self.allows_host(&name) {
            return Err(SsrfError::BlockedHost { host: name, reason: "loopback" });
        }
        Ok(())
    }

    /// Resolves `host` (a name or an IP literal) and returns its addresses, refusing
    /// it if any of them is blocked and not allowed. An allowed host name may resolve
    /// to any address.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, SsrfError> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.check_host_name(host)?;
        let unresolved = |message: String| SsrfError::Unresolved { host: host.to_owned(), message };
        let addrs: Vec<SocketAddr> =
            tokio::net::lookup_host((host, port)).await.map_err(|e| unresolved(e.to_string()))?.collect();
        if addrs.is_empty() {
            return Err(unresolved("no address found".into()));
        }
        if !self.allows_host(host) {
            for addr in &addrs {
                self.check_ip(addr.ip())?;
            }
        }
        Ok(addrs)
    }

    /// Checks a URL and resolves its host now, for a check when the URL is stored.
    /// Requests still go through [`SsrfGuard::check_url`] and the guarded client.
    pub async fn check_url_resolved(&self, url: &str) -> Result<Url, SsrfError> {
        let url = self.check_url(url)?;
        if let Some(Host::Domain(name)) = url.host() {
            let port = url.port_or_known_default().unwrap_or(0);
            self.resolve(name, port).await?;
        }
        Ok(url)
    }

    /// A client builder for outbound requests: host names resolved through the guard,
    /// no redirects followed, no proxy, a total `timeout` (connecting gets at most 10 s
    /// of it). IP-literal URLs still need [`SsrfGuard::check_url`] before each request.
    pub fn client_builder(&self, timeout: Duration, user_agent: &str) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .dns_resolver(SsrfResolver::new(self.clone()))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout.min(MAX_CONNECT_TIMEOUT))
            .user_agent(user_agent)
    }

    /// The client of [`SsrfGuard::client_builder`]; build it once and share it.
    pub fn http_client(&self, timeout: Duration, user_agent: &str) -> Result<reqwest::Client, reqwest::Error> {
        self.client_builder(timeout, user_agent).build()
    }
}

/// Lowercase, without the trailing dot of a fully qualified name.
fn normalize_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// A reqwest resolver that resolves through [`SsrfGuard::resolve`], so each
/// connection goes only to addresses the guard has just checked.
#[derive(Clone, Debug)]
pub struct SsrfResolver {
    guard: SsrfGuard,
}

impl SsrfResolver {
    pub fn new(guard: SsrfGuard) -> Self {
        Self { guard }
    }
}

impl Resolve for SsrfResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard.clone();
        Box::pin(async move {
            // Port 0: reqwest puts in the URL's port.
            let addrs = guard.resolve(name.as_str(), 0).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests;
