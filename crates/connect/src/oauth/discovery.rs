//! OpenID Connect discovery and the issuer's signing keys, fetched through the
//! SSRF guard (every URL checked before the request, host names resolved by the
//! guard, no redirects followed). The document must name the issuer it was fetched for
//! (Discovery 1.0 §4.3), or a document served elsewhere could redirect logins.
//! Keys are cached and fetched again when a token names a key id the cache does
//! not hold (providers rotate), at most once a minute per issuer.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;
use tessera_kernel::ssrf::SsrfGuard;

/// How long a discovery document or key set is kept.
const KEEP: Duration = Duration::from_secs(3600);
/// The least time between two fetches of an issuer's keys for an unknown key id.
const REFETCH_GAP: Duration = Duration::from_secs(60);
/// The most bytes read of a document.
const MAX_BODY: usize = 512 * 1024;
/// The longest a provider may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Requests to providers: the guard and its client.
#[derive(Clone, Debug)]
pub struct Outbound {
    guard: SsrfGuard,
    http: reqwest::Client,
}

impl Outbound {
    pub fn new(guard: SsrfGuard) -> Result<Self, reqwest::Error> {
        let http = guard.http_client(TIMEOUT, concat!("tessera/", env!("CARGO_PKG_VERSION")))?;
        Ok(Self { guard, http })
    }
}

/// The parts of a discovery document tessera uses.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
}

/// Why a provider's document could not be had.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: {why}")]
    Unreachable { url: String, why: String },
    #[error("{url}: refused by the SSRF guard ({why})")]
    Refused { url: String, why: String },
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: not a document of the expected shape ({why})")]
    Malformed { url: String, why: String },
    #[error("the discovery document names issuer {found}, not {expected}")]
    IssuerMismatch { expected: String, found: String },
}

/// `<issuer>/.well-known/openid-configuration`.
pub fn discovery_url(issuer: &str) -> String {
    format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'))
}

async fn get_json<T: serde::de::DeserializeOwned>(out: &Outbound, url: &str) -> Result<T, FetchError> {
    let checked =
        out.guard.check_url(url).map_err(|e| FetchError::Refused { url: url.to_owned(), why: e.to_string() })?;
    let unreachable = |e: reqwest::Error| FetchError::Unreachable { url: url.to_owned(), why: e.to_string() };
    let res = out.http.get(checked).header("accept", "application/json").send().await.map_err(unreachable)?;
    let status = res.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(FetchError::Status { url: url.to_owned(), status });
    }
    if res.content_length().is_some_and(|n| n > MAX_BODY as u64) {
        return Err(FetchError::Malformed { url: url.to_owned(), why: "too large".into() });
    }
    let body = res.bytes().await.map_err(unreachable)?;
    if body.len() > MAX_BODY {
        return Err(FetchError::Malformed { url: url.to_owned(), why: "too large".into() });
    }
    serde_json::from_slice(&body).map_err(|e| FetchError::Malformed { url: url.to_owned(), why: e.to_string() })
}

/// Fetches and checks `issuer`'s discovery document.
pub async fn discover(out: &Outbound, issuer: &str) -> Result<Discovery, FetchError> {
    let doc: Discovery = get_json(out, &discovery_url(issuer)).await?;
    if doc.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(FetchError::IssuerMismatch { expected: issuer.to_owned(), found: doc.issuer });
    }
    Ok(doc)
}

/// Discovery documents and key sets by issuer, shared by every flow of a node.
pub struct Issuers {
    out: Outbound,
    documents: moka::future::Cache<String, Arc<Discovery>>,
    keys: moka::future::Cache<String, Arc<JwkSet>>,
    /// Issuers whose keys were fetched again lately for an unknown key id.
    refetched: moka::sync::Cache<String, ()>,
}

impl Issuers {
    pub fn new(out: Outbound) -> Self {
        fn cache<V: Clone + Send + Sync + 'static>() -> moka::future::Cache<String, V> {
            moka::future::Cache::builder().max_capacity(1_000).time_to_live(KEEP).build()
        }
        let refetched = moka::sync::Cache::builder().max_capacity(1_000).time_to_live(REFETCH_GAP).build();
        Self { out, documents: cache(), keys: cache(), refetched }
    }

    /// `issuer`'s discovery document (cached).
    pub async fn discovery(&self, issuer: &str) -> Result<Arc<Discovery>, FetchError> {
        let out = self.out.clone();
        self.documents
            .try_get_with(issuer.to_owned(), async move { discover(&out, issuer).await.map(Arc::new) })
            .await
            .map_err(|e| (*e).clone())
    }

    /// `issuer`'s keys, holding `kid` when the issuer publishes it: a key id the
    /// cached set lacks makes one fresh fetch (at most one a minute per issuer).
    pub async fn keys(&self, issuer: &str, kid: Option<&str>) -> Result<Arc<JwkSet>, FetchError> {
        let doc = self.discovery(issuer).await?;
        let fetch = |out: Outbound, uri: String| async move { get_json::<JwkSet>(&out, &uri).await.map(Arc::new) };
        let cached = self
            .keys
            .try_get_with(issuer.to_owned(), fetch(self.out.clone(), doc.jwks_uri.clone()))
            .await
            .map_err(|e| (*e).clone())?;
        let missing = kid.is_some_and(|kid| cached.find(kid).is_none());
        if !missing || self.refetched.contains_key(issuer) {
            return Ok(cached);
        }
        self.refetched.insert(issuer.to_owned(), ());
        let fresh = fetch(self.out.clone(), doc.jwks_uri.clone()).await?;
        self.keys.insert(issuer.to_owned(), fresh.clone()).await;
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests;
