//! The OAuth 2.0 client core every flow shares (login, SSO, integrations): the
//! authorization URL with `state`, PKCE S256 and `nonce`; the token request in
//! the provider's dialect (renamed client parameters, Basic or body client
//! authentication, extra parameters); and the token answer read through the
//! provider's [`TokenShape`], including errors sent with `200` (Slack's
//! `ok:false`, GitHub's `error`). Pure functions: the HTTP call is the caller's,
//! through the SSRF guard.

pub mod discovery;
pub mod id_token;
mod token;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use url::Url;
use zeroize::Zeroizing;

use crate::catalogue::{ClientAuth, InputError, Inputs, Provider, fill};

pub use token::{TokenError, TokenSet, read_token_answer};

/// A client of one provider: what the platform or an organization configured.
#[derive(Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Zeroizing<String>,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

/// A PKCE verifier and its S256 challenge (RFC 7636).
#[derive(Clone, Debug)]
pub struct Pkce {
    pub verifier: Zeroizing<String>,
    pub challenge: String,
}

impl Pkce {
    /// A fresh verifier of 43 characters (32 random bytes).
    pub fn generate() -> Self {
        Self::from_verifier(tessera_kernel::crypto::random_token("", 32))
    }

    pub fn from_verifier(verifier: String) -> Self {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self { verifier: Zeroizing::new(verifier), challenge }
    }
}

/// What an authorization request carries besides the provider's own parameters.
#[derive(Clone, Debug)]
pub struct AuthorizeRequest<'a> {
    pub redirect_uri: &'a str,
    pub scopes: &'a [String],
    pub state: &'a str,
    /// Sent when the provider takes PKCE.
    pub pkce: Option<&'a Pkce>,
    /// Sent to OIDC providers.
    pub nonce: Option<&'a str>,
    pub inputs: &'a Inputs,
}

/// The URL that sends the browser to the provider's consent page.
pub fn authorization_url(
    provider: &Provider,
    authorization_endpoint: &str,
    client: &ClientCredentials,
    req: &AuthorizeRequest<'_>,
) -> Result<Url, InputError> {
    let mut url = fill(authorization_endpoint, &provider.inputs, req.inputs)?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code");
        q.append_pair(&provider.client_id_param, &client.client_id);
        q.append_pair("redirect_uri", req.redirect_uri);
        if !req.scopes.is_empty() {
            q.append_pair("scope", &provider.scope_string(req.scopes));
        }
        q.append_pair("state", req.state);
        if let (true, Some(pkce)) = (provider.pkce, req.pkce) {
            q.append_pair("code_challenge", &pkce.challenge);
            q.append_pair("code_challenge_method", "S256");
        }
        if let Some(nonce) = req.nonce {
            q.append_pair("nonce", nonce);
        }
        for (k, v) in &provider.authorization_params {
            q.append_pair(k, v);
        }
    }
    Ok(url)
}

/// What is exchanged at the token endpoint.
#[derive(Clone, Debug)]
pub enum Grant<'a> {
    Code { code: &'a str, redirect_uri: &'a str, verifier: Option<&'a str> },
    Refresh { refresh_token: &'a str },
}

/// A token request ready to send: `POST url` with `form` as
/// `application/x-www-form-urlencoded`, and `authorization` when the client
/// authenticates with HTTP Basic.
#[derive(Clone)]
pub struct TokenRequest {
    pub url: Url,
    pub form: Vec<(String, Zeroizing<String>)>,
    pub authorization: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.form.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("TokenRequest").field("url", &self.url.as_str()).field("form", &names).finish_non_exhaustive()
    }
}

impl TokenRequest {
    /// The value of form field `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// The token request for `grant` in the provider's dialect.
pub fn token_request(
    provider: &Provider,
    token_endpoint: &str,
    client: &ClientCredentials,
    grant: &Grant<'_>,
    inputs: &Inputs,
) -> Result<TokenRequest, InputError> {
    let url = fill(token_endpoint, &provider.inputs, inputs)?;
    let mut form: Vec<(String, Zeroizing<String>)> = Vec::new();
    let mut put = |k: &str, v: &str| form.push((k.to_owned(), Zeroizing::new(v.to_owned())));
    let extra = match grant {
        Grant::Code { code, redirect_uri, verifier } => {
            put("grant_type", "authorization_code");
            put("code", code);
            put("redirect_uri", redirect_uri);
            if let (true, Some(v)) = (provider.pkce, verifier) {
                put("code_verifier", v);
            }
            &provider.token_params
        }
        Grant::Refresh { refresh_token } => {
            put("grant_type", "refresh_token");
            put("refresh_token", refresh_token);
            &provider.refresh_params
        }
    };
    for (k, v) in extra {
        put(k, v);
    }
    let authorization = match provider.client_auth {
        ClientAuth::Basic => {
            // RFC 6749 §2.3.1: both parts form-urlencoded before Base64.
            let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let pair = Zeroizing::new(format!("{}:{}", enc(&client.client_id), enc(&client.client_secret)));
            Some(Zeroizing::new(format!("Basic {}", STANDARD.encode(pair.as_bytes()))))
        }
        ClientAuth::Body => {
            put(&provider.client_id_param, &client.client_id);
            put(&provider.client_secret_param, &client.client_secret);
            None
        }
    };
    Ok(TokenRequest { url, form, authorization })
}

#[cfg(test)]
mod tests;
