//! Reading a token answer through the provider's [`TokenShape`].

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::catalogue::Provider;

/// What a token answer gave.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: Zeroizing<String>,
    /// `None` when the answer carried none: the caller keeps the one it holds.
    pub refresh_token: Option<Zeroizing<String>>,
    /// Seconds the access token lives; `None` when it does not expire (absent or `0`).
    pub expires_in: Option<u64>,
    pub scope: Option<String>,
    pub id_token: Option<String>,
    pub account_id: Option<String>,
    /// The fields the catalogue copies into the connection (`instance_url`, `team.name`).
    pub metadata: Map<String, Value>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "<set>"))
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

/// Why a token answer gave no token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The provider refused (`invalid_grant`, `invalid_client`, Slack's `ok:false`…).
    #[error("the provider refused: {error}{}", description.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Rejected { error: String, description: Option<String> },
    /// Worth trying again later: `429` or a `5xx`.
    #[error("the provider is unavailable (HTTP {status})")]
    Unavailable { status: u16, retry_after_secs: Option<u64> },
    /// Not an answer this provider's shape describes.
    #[error("the provider's answer is not understood: {0}")]
    Malformed(String),
}

impl TokenError {
    /// The grant is dead (RFC 6749 §5.2): the person must connect again.
    pub fn needs_reauth(&self) -> bool {
        matches!(self, Self::Rejected { error, .. } if error == "invalid_grant")
    }
}

/// The value at a dotted `path` (`authed_user.access_token`).
fn at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key)).filter(|v| !v.is_null())
}

/// A scalar as text: strings as they are, numbers and others as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The body as JSON, or as a form (`access_token=…&expires=…`, old Facebook and GitHub).
fn parse_body(body: &str) -> Option<Value> {
    if let Ok(value) = serde_json::from_str::<Value>(body) {
        return value.is_object().then_some(value);
    }
    let pairs: Map<String, Value> = url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    (!pairs.is_empty() && !body.trim_start().starts_with('<')).then_some(Value::Object(pairs))
}

/// Reads the answer of a token request: `status`, `Retry-After` (seconds) and body.
pub fn read_token_answer(
    provider: &Provider,
    status: u16,
    retry_after_secs: Option<u64>,
    body: &str,
) -> Result<TokenSet, TokenError> {
    if status == 429 || status >= 500 {
        return Err(TokenError::Unavailable { status, retry_after_secs });
    }
    let json = parse_body(body).ok_or_else(|| TokenError::Malformed(format!("HTTP {status}, not JSON")))?;
    let shape = &provider.token_response;
    let flagged =
        shape.error_flag.as_deref().and_then(|flag| at(&json, flag)).is_some_and(|ok| ok == &Value::Bool(false));
    let error = at(&json, "error").map(text);
    if flagged || error.is_some() || !(200..300).contains(&status) {
        return Err(TokenError::Rejected {
            error: error.unwrap_or_else(|| format!("http_{status}")),
            description: at(&json, "error_description").map(text),
        });
    }
    let access = at(&json, &shape.access_token)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| TokenError::Malformed(format!("no `{}`", shape.access_token)))?;
    let expires_in = at(&json, &shape.expires_in).and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
    let metadata = shape.metadata.iter().filter_map(|path| Some((path.clone(), at(&json, path)?.clone()))).collect();
    Ok(TokenSet {
        access_token: Zeroizing::new(access.to_owned()),
        refresh_token: at(&json, &shape.refresh_token)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| Zeroizing::new(s.to_owned())),
        expires_in: expires_in.filter(|secs| *secs > 0),
        scope: at(&json, &shape.scope).map(text),
        id_token: at(&json, &shape.id_token).and_then(Value::as_str).map(str::to_owned),
        account_id: shape.account_id.as_deref().and_then(|path| at(&json, path)).map(text),
        metadata,
    })
}
