//! The provider catalogue: data, not code. The embedded `providers.toml` holds
//! the seed providers and their quirks (renamed parameters, Basic client
//! authentication, comma scopes, nested token answers, per-shop hosts);
//! operators add or override providers in `[connect.providers.<key>]`, merged
//! over the embedded entry field by field, and any OIDC issuer is a provider by
//! its discovery document. The catalogue is checked whole at start-up: a
//! provider with a bad URL, a placeholder no input declares or an unknown field
//! stops the node with the provider and field named.

mod template;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use template::{InputError, InputKind, Inputs, check_inputs, fill};

/// The embedded catalogue.
const EMBEDDED: &str = include_str!("../../providers.toml");

/// How a provider grants access.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// The OAuth 2.0 authorization-code flow.
    #[default]
    Oauth2,
    /// OAuth 2.0 plus OpenID Connect: discovery, ID tokens checked by the issuer's keys.
    Oidc,
    /// A secret the user pastes (SendGrid): stored sealed, never refreshed.
    ApiKey,
    /// A key and secret pair (WooCommerce's consumer key and secret).
    Basic,
}

/// How the client authenticates at the token URL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body.
    #[default]
    Body,
    /// HTTP Basic with the client id and secret.
    Basic,
}

/// Where fields sit in a provider's token answer: dotted paths into its JSON.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenShape {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: String,
    pub scope: String,
    pub id_token: String,
    /// The provider's id of the connected account (`team.id`, `open_id`).
    pub account_id: Option<String>,
    /// Fields copied into the connection's metadata (`instance_url`, `hub_id`).
    pub metadata: Vec<String>,
    /// A boolean that is `false` when the answer is an error despite its `200` (Slack's `ok`).
    pub error_flag: Option<String>,
}

impl Default for TokenShape {
    fn default() -> Self {
        Self {
            access_token: "access_token".into(),
            refresh_token: "refresh_token".into(),
            expires_in: "expires_in".into(),
            scope: "scope".into(),
            id_token: "id_token".into(),
            account_id: None,
            metadata: Vec::new(),
            error_flag: None,
        }
    }
}

/// One provider of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Its key in the catalogue (`google`, `tiktok_ads`).
    #[serde(skip_deserializing)]
    pub key: String,
    pub name: String,
    /// The icon a login page shows (defaults to the key).
    #[serde(default)]
    pub icon: Option<String>,
    /// Offered for social login once the platform configures a client for it.
    #[serde(default)]
    pub login: bool,
    #[serde(default)]
    pub auth_mode: AuthMode,
    /// The OIDC issuer; its discovery document fills the endpoints not given here.
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub authorization_url: Option<String>,
    #[serde(default)]
    pub token_url: Option<String>,
    /// Where refresh grants go (the token URL unless said).
    #[serde(default)]
    pub refresh_url: Option<String>,
    #[serde(default)]
    pub userinfo_url: Option<String>,
    #[serde(default)]
    pub revoke_url: Option<String>,
    /// RP-initiated logout.
    #[serde(default)]
    pub end_session_url: Option<String>,
    #[serde(default = "space")]
    pub scope_separator: String,
    #[serde(default)]
    pub default_scopes: Vec<String>,
    #[serde(default = "yes")]
    pub pkce: bool,
    #[serde(default)]
    pub client_auth: ClientAuth,
    #[serde(default = "client_id")]
    pub client_id_param: String,
    #[serde(default = "client_secret")]
    pub client_secret_param: String,
    #[serde(default)]
    pub authorization_params: BTreeMap<String, String>,
    #[serde(default)]
    pub token_params: BTreeMap<String, String>,
    #[serde(default)]
    pub refresh_params: BTreeMap<String, String>,
    #[serde(default)]
    pub token_response: TokenShape,
    /// Each refresh answers a new refresh token and the old one stops working.
    #[serde(default)]
    pub refresh_rotates: bool,
    /// Values each connection supplies, used in the URLs' `{placeholders}`.
    #[serde(default)]
    pub inputs: BTreeMap<String, InputKind>,
}

fn space() -> String {
    " ".into()
}
fn yes() -> bool {
    true
}
fn client_id() -> String {
    "client_id".into()
}
fn client_secret() -> String {
    "client_secret".into()
}

impl Provider {
    /// Whether connecting goes through a browser and the provider's consent page.
    pub fn is_oauth(&self) -> bool {
        matches!(self.auth_mode, AuthMode::Oauth2 | AuthMode::Oidc)
    }

    /// The scopes joined the way the provider expects.
    pub fn scope_string(&self, scopes: &[String]) -> String {
        scopes.join(&self.scope_separator)
    }

    /// The URLs this entry names, with what each is for.
    fn urls(&self) -> impl Iterator<Item = (&'static str, &String)> {
        [
            ("authorization_url", &self.authorization_url),
            ("token_url", &self.token_url),
            ("refresh_url", &self.refresh_url),
            ("userinfo_url", &self.userinfo_url),
            ("revoke_url", &self.revoke_url),
            ("end_session_url", &self.end_session_url),
            ("issuer", &self.issuer),
        ]
        .into_iter()
        .filter_map(|(field, url)| url.as_ref().map(|u| (field, u)))
    }

    /// Checks what the types alone cannot.
    fn validate(&self) -> Result<(), CatalogueError> {
        let bad =
            |field: &str, why: String| CatalogueError::Invalid { provider: self.key.clone(), field: field.into(), why };
        if !valid_key(&self.key) {
            return Err(bad("key", "lower-case letters, digits and `_`, starting with a letter".into()));
        }
        for (field, url) in self.urls() {
            template::check(url, &self.inputs).map_err(|why| bad(field, why))?;
        }
        match self.auth_mode {
            AuthMode::Oauth2 if self.authorization_url.is_none() || self.token_url.is_none() => {
                Err(bad("auth_mode", "oauth2 needs authorization_url and token_url".into()))
            }
            AuthMode::Oidc if self.issuer.is_none() => Err(bad("issuer", "oidc needs the issuer".into())),
            AuthMode::ApiKey | AuthMode::Basic if self.login => {
                Err(bad("login", "only oauth2 and oidc providers sign people in".into()))
            }
            _ => Ok(()),
        }
    }
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && key.len() <= 64
}

/// Why the catalogue could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CatalogueError {
    #[error("provider `{provider}`: {why}")]
    Parse { provider: String, why: String },
    #[error("provider `{provider}`, `{field}`: {why}")]
    Invalid { provider: String, field: String, why: String },
}

/// Every provider tessera knows, by key.
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    providers: BTreeMap<String, Provider>,
}

impl Catalogue {
    /// The embedded catalogue with `overrides` (the `[connect.providers]` tables)
    /// merged over it.
    pub fn load(overrides: &toml::Table) -> Result<Self, CatalogueError> {
        let mut tables: toml::Table = EMBEDDED.parse().map_err(|e: toml::de::Error| CatalogueError::Parse {
            provider: "(embedded)".into(),
            why: e.to_string(),
        })?;
        for (key, table) in overrides {
            let Some(over) = table.as_table() else {
                return Err(CatalogueError::Parse { provider: key.clone(), why: "not a table".into() });
            };
            let entry = tables.entry(key.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let Some(entry) = entry.as_table_mut() {
                merge(entry, over);
            }
        }
        let mut providers = BTreeMap::new();
        for (key, table) in tables {
            let mut provider: Provider = table.try_into().map_err(|e: toml::de::Error| CatalogueError::Parse {
                provider: key.clone(),
                why: e.message().to_owned(),
            })?;
            provider.key = key.clone();
            provider.validate()?;
            providers.insert(key, provider);
        }
        Ok(Self { providers })
    }

    /// The provider `name` names: its key, or seed 001's upper-case enum name (`META_ADS`).
    pub fn get(&self, name: &str) -> Option<&Provider> {
        self.providers.get(name).or_else(|| self.providers.get(&name.to_ascii_lowercase()))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Provider> {
        self.providers.values()
    }
}

/// Merges `over` into `base`: tables field by field, anything else replaced.
fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (key, value) in over {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(base)), toml::Value::Table(over)) => merge(base, over),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests;
