//! OpenID Connect ID-token validation (Core 1.0 §3.1.3.7): the signature by a
//! key of the issuer's JWKS (asymmetric algorithms only: never `none`, never a
//! shared secret, so a public key cannot be replayed as an HMAC secret), `iss`,
//! `aud` (and `azp` when several audiences), `exp` and `iat` against the
//! application clock, and the `nonce` of the flow, compared in constant time.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Algorithms an ID token may be signed with.
const ALLOWED: [Algorithm; 7] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// How far a provider's clock may be from ours.
pub const LEEWAY_SECS: i64 = 60;

/// What the token must say.
#[derive(Clone, Debug)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Now, in seconds since the epoch (the application clock).
    pub now_secs: i64,
}

/// The claims a sign-in uses; the rest stay in `claims`.
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    pub subject: String,
    pub email: Option<String>,
    /// Only `true` when the provider says so (as a boolean or, like Cognito, the string `"true"`).
    pub email_verified: bool,
    pub name: Option<String>,
    pub picture: Option<String>,
    pub claims: Map<String, Value>,
}

/// Why an ID token was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("the ID token is malformed")]
    Malformed,
    #[error("the ID token's algorithm is not accepted")]
    Algorithm,
    #[error("the ID token names no key of the issuer")]
    UnknownKey,
    #[error("the ID token's signature does not verify")]
    Signature,
    #[error("the ID token's `{0}` is wrong")]
    Claim(&'static str),
    #[error("the ID token has expired")]
    Expired,
}

#[derive(Deserialize)]
struct Raw {
    iss: String,
    sub: String,
    aud: Audience,
    exp: i64,
    iat: i64,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Validates `token` against the issuer's `keys` and what the flow expects.
pub fn validate(token: &str, keys: &JwkSet, expected: &Expected<'_>) -> Result<Identity, IdTokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| IdTokenError::Malformed)?;
    if !ALLOWED.contains(&header.alg) {
        return Err(IdTokenError::Algorithm);
    }
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        // Without a kid, only an issuer with a single key is unambiguous.
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or(IdTokenError::UnknownKey)?;
    // A key published for one algorithm verifies nothing else.
    if jwk.common.key_algorithm.is_some_and(|alg| format!("{alg:?}") != format!("{:?}", header.alg)) {
        return Err(IdTokenError::Algorithm);
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| IdTokenError::UnknownKey)?;
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.set_required_spec_claims::<&str>(&[]);
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::InvalidSignature => IdTokenError::Signature,
        jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => IdTokenError::Algorithm,
        _ => IdTokenError::Malformed,
    })?;
    let claims = data.claims;
    let raw: Raw = serde_json::from_value(Value::Object(claims.clone())).map_err(|_| IdTokenError::Malformed)?;
    if raw.iss != expected.issuer {
        return Err(IdTokenError::Claim("iss"));
    }
    let audiences = match &raw.aud {
        Audience::One(one) => vec![one.as_str()],
        Audience::Many(many) => many.iter().map(String::as_str).collect(),
    };
    if !audiences.contains(&expected.client_id) {
        return Err(IdTokenError::Claim("aud"));
    }
    if audiences.len() > 1 && raw.azp.as_deref() != Some(expected.client_id) {
        return Err(IdTokenError::Claim("azp"));
    }
    if raw.exp + LEEWAY_SECS <= expected.now_secs {
        return Err(IdTokenError::Expired);
    }
    if raw.iat - LEEWAY_SECS > expected.now_secs {
        return Err(IdTokenError::Claim("iat"));
    }
    let nonce_ok =
        raw.nonce.as_deref().is_some_and(|n| tessera_kernel::crypto::ct_eq(n.as_bytes(), expected.nonce.as_bytes()));
    if !nonce_ok {
        return Err(IdTokenError::Claim("nonce"));
    }
    let text = |key: &str| claims.get(key).and_then(Value::as_str).map(str::to_owned);
    let email_verified = match claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    };
    Ok(Identity {
        subject: raw.sub,
        email: text("email"),
        email_verified,
        name: text("name"),
        picture: text("picture"),
        claims,
    })
}

#[cfg(test)]
mod tests;
