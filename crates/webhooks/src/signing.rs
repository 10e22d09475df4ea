//! Standard Webhooks signing (<https://www.standardwebhooks.com/>, spec 1.0.0). Every delivery
//! carries `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`: a
//! space-separated list of `v1,<base64 HMAC-SHA256>` and `v1a,<base64 Ed25519>` signatures over
//! `{webhook-id}.{webhook-timestamp}.{body}`. Several signatures let an endpoint rotate its
//! secret without dropping deliveries. Secrets and keys use the reference libraries' string
//! forms: `whsec_` (HMAC key), `whsk_` (Ed25519 32-byte seed) and `whpk_` (Ed25519 public key),
//! each followed by standard base64.

#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::RangeInclusive;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_PAD_INDIFFERENT};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

/// The header with the message id, the same on every attempt (the consumer's idempotency key).
pub const HEADER_ID: &str = "webhook-id";
/// The header with the attempt's time in Unix seconds.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// The header with the space-separated signatures.
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// How far a timestamp may lie from now, either way, before [`verify`] refuses it.
pub const DEFAULT_TOLERANCE: Duration = Duration::minutes(5);

/// Prefix of an HMAC secret's string form.
pub const HMAC_SECRET_PREFIX: &str = "whsec_";
/// Prefix of an Ed25519 secret key's string form.
pub const ED25519_SECRET_PREFIX: &str = "whsk_";
/// Prefix of an Ed25519 public key's string form.
pub const ED25519_PUBLIC_PREFIX: &str = "whpk_";

/// Accepted HMAC key sizes: the spec asks for 192 to 512 bits.
pub const HMAC_SECRET_LEN: RangeInclusive<usize> = 24..=64;
/// Size of a generated HMAC key.
const GENERATED_HMAC_LEN: usize = 32;

const SYMMETRIC_VERSION: &str = "v1";
const ASYMMETRIC_VERSION: &str = "v1a";

type HmacSha256 = Hmac<Sha256>;

/// Why a secret or key string was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the key is not valid standard base64")]
    Base64,
    #[error("an HMAC secret must be 24 to 64 bytes, this one has {0}")]
    HmacLength(usize),
    #[error("an Ed25519 key must be 32 bytes, this one has {0}")]
    Ed25519Length(usize),
    #[error("a whpk_ public key can verify signatures but not make them")]
    PublicKeyCannotSign,
    #[error("the whpk_ public key is not a usable Ed25519 point")]
    InvalidPublicKey,
}

/// Why [`verify`] refused a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the webhook timestamp is too old")]
    TimestampTooOld,
    #[error("the webhook timestamp is too far in the future")]
    TimestampTooNew,
    #[error("no signature matches a known key")]
    NoMatchingSignature,
}

/// A key that signs deliveries; its bytes are wiped when it is dropped.
#[derive(Clone)]
pub enum SigningSecret {
    /// A shared HMAC-SHA256 key (`v1` signatures).
    Hmac(Zeroizing<Vec<u8>>),
    /// An Ed25519 key pair (`v1a` signatures); consumers hold only the public half.
    Ed25519(SigningKey),
}

impl SigningSecret {
    /// A new random 256-bit HMAC key.
    pub fn generate_hmac() -> Self {
        let mut key = Zeroizing::new(vec![0u8; GENERATED_HMAC_LEN]);
        rand::fill(&mut key[..]);
        Self::Hmac(key)
    }

    /// A new random Ed25519 key pair.
    pub fn generate_ed25519() -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rand::fill(&mut seed[..]);
        Self::Ed25519(SigningKey::from_bytes(&seed))
    }

    /// Reads `whsk_<base64 seed>` as Ed25519 and `whsec_<base64>` as HMAC; like the reference
    /// libraries, a secret without prefix is HMAC and padding is optional.
    pub fn parse(raw: &str) -> Result<Self, KeyError> {
        if let Some(encoded) = raw.strip_prefix(ED25519_SECRET_PREFIX) {
            let seed = decode(encoded)?;
            let seed = <&[u8; 32]>::try_from(seed.as_slice()).map_err(|_| KeyError::Ed25519Length(seed.len()))?;
            return Ok(Self::Ed25519(SigningKey::from_bytes(seed)));
        }
        if raw.starts_with(ED25519_PUBLIC_PREFIX) {
            return Err(KeyError::PublicKeyCannotSign);
        }
        let key = decode(raw.strip_prefix(HMAC_SECRET_PREFIX).unwrap_or(raw))?;
        if !HMAC_SECRET_LEN.contains(&key.len()) {
            return Err(KeyError::HmacLength(key.len()));
        }
        Ok(Self::Hmac(key))
    }

    /// The string form to show once: `whsec_…` or `whsk_…`, padded standard base64.
    pub fn to_secret_string(&self) -> Zeroizing<String> {
        match self {
            Self::Hmac(key) => encode_prefixed(HMAC_SECRET_PREFIX, key),
            Self::Ed25519(key) => encode_prefixed(ED25519_SECRET_PREFIX, key.as_bytes()),
        }
    }

    /// `whpk_…` for an Ed25519 key, the form consumers verify with; `None` for HMAC.
    pub fn public_key_string(&self) -> Option<String> {
        match self {
            Self::Hmac(_) => None,
            Self::Ed25519(key) => Some(public_key_string(&key.verifying_key())),
        }
    }

    /// The key that checks this secret's signatures.
    pub fn verify_key(&self) -> VerifyKey {
        match self {
            Self::Hmac(key) => VerifyKey::Hmac(key.clone()),
            Self::Ed25519(key) => VerifyKey::Ed25519(key.verifying_key()),
        }
    }

    /// `v1,<base64 HMAC>` or `v1a,<base64 Ed25519>` over `{msg_id}.{timestamp}.{body}`.
    /// `msg_id` must not contain `.` (the spec's rule: a dot would move the field boundaries).
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        let content = signed_content(msg_id, timestamp, body);
        match self {
            Self::Hmac(key) => {
                let tag = hmac_of(key, &content).finalize().into_bytes();
                format!("{SYMMETRIC_VERSION},{}", STANDARD.encode(tag))
            }
            Self::Ed25519(key) => {
                let signature = key.sign(&content).to_bytes();
                format!("{ASYMMETRIC_VERSION},{}", STANDARD.encode(signature))
            }
        }
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hmac(_) => f.write_str("SigningSecret::Hmac(<redacted>)"),
            Self::Ed25519(key) => {
                let public = public_key_string(&key.verifying_key());
                write!(f, "SigningSecret::Ed25519(<redacted>, {public})")
            }
        }
    }
}

/// A key that checks signatures: an HMAC secret or an Ed25519 public key.
#[derive(Clone)]
pub enum VerifyKey {
    /// Checks `v1` signatures.
    Hmac(Zeroizing<Vec<u8>>),
    /// Checks `v1a` signatures.
    Ed25519(VerifyingKey),
}

impl VerifyKey {
    /// Reads `whpk_<base64>` as an Ed25519 public key, anything else as [`SigningSecret::parse`].
    pub fn parse(raw: &str) -> Result<Self, KeyError> {
        let Some(encoded) = raw.strip_prefix(ED25519_PUBLIC_PREFIX) else {
            return SigningSecret::parse(raw).map(|secret| secret.verify_key());
        };
        let bytes = decode(encoded)?;
        let bytes = <&[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| KeyError::Ed25519Length(bytes.len()))?;
        match VerifyingKey::from_bytes(bytes) {
            // A small-order key would accept forged signatures.
            Ok(key) if !key.is_weak() => Ok(Self::Ed25519(key)),
            _ => Err(KeyError::InvalidPublicKey),
        }
    }

    /// Whether `signature` (already base64-decoded) of `version` is this key's over `content`.
    fn accepts(&self, version: &str, content: &[u8], signature: &[u8]) -> bool {
        match self {
            // verify_slice compares in constant time.
            Self::Hmac(key) if version == SYMMETRIC_VERSION => hmac_of(key, content).verify_slice(signature).is_ok(),
            Self::Ed25519(key) if version == ASYMMETRIC_VERSION => {
                Signature::from_slice(signature).is_ok_and(|signature| key.verify_strict(content, &signature).is_ok())
            }
            _ => false,
        }
    }
}

impl fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hmac(_) => f.write_str("VerifyKey::Hmac(<redacted>)"),
            Self::Ed25519(key) => write!(f, "VerifyKey::Ed25519({})", public_key_string(key)),
        }
    }
}

/// The `webhook-signature` value: one signature per secret, space-separated. During a rotation
/// pass both the old and the new secret so consumers holding either accept the delivery.
pub fn signature_header(secrets: &[&SigningSecret], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let signatures: Vec<String> = secrets.iter().map(|secret| secret.sign(msg_id, timestamp, body)).collect();
    signatures.join(" ")
}

/// Checks a delivery as a consumer would: the timestamp lies within `tolerance` of `now` (use
/// [`DEFAULT_TOLERANCE`]) and at least one signature in `header_sig` belongs to one of `keys`.
/// Signatures of unknown versions or malformed entries are skipped, as the spec asks.
pub fn verify(
    header_sig: &str,
    keys: &[VerifyKey],
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
    now: OffsetDateTime,
    tolerance: Duration,
) -> Result<(), VerifyError> {
    // Nanoseconds in i128 cannot overflow for any i64 timestamp.
    let age = now.unix_timestamp_nanos() - i128::from(timestamp) * 1_000_000_000;
    let tolerance = tolerance.whole_nanoseconds();
    if age > tolerance {
        return Err(VerifyError::TimestampTooOld);
    }
    if -age > tolerance {
        return Err(VerifyError::TimestampTooNew);
    }
    let content = signed_content(msg_id, timestamp, body);
    let matched = header_sig
        .split(' ')
        .filter_map(|entry| entry.split_once(','))
        .filter_map(|(version, encoded)| Some((version, STANDARD.decode(encoded).ok()?)))
        .any(|(version, signature)| keys.iter().any(|key| key.accepts(version, &content, &signature)));
    if matched { Ok(()) } else { Err(VerifyError::NoMatchingSignature) }
}

/// `{msg_id}.{timestamp}.{body}`, the bytes every scheme signs.
fn signed_content(msg_id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(msg_id.len() + body.len() + 22);
    content.extend_from_slice(msg_id.as_bytes());
    content.push(b'.');
    content.extend_from_slice(timestamp.to_string().as_bytes());
    content.push(b'.');
    content.extend_from_slice(body);
    content
}

fn hmac_of(key: &[u8], content: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(content);
    mac
}

fn decode(encoded: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    STANDARD_PAD_INDIFFERENT.decode(encoded).map(Zeroizing::new).map_err(|_| KeyError::Base64)
}

/// `prefix` + base64 of `bytes`, built in place so no unwiped copy of the secret remains.
fn encode_prefixed(prefix: &str, bytes: &[u8]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(prefix.len() + bytes.len().div_ceil(3) * 4));
    out.push_str(prefix);
    STANDARD.encode_string(bytes, &mut out);
    out
}

fn public_key_string(key: &VerifyingKey) -> String {
    format!("{ED25519_PUBLIC_PREFIX}{}", STANDARD.encode(key.as_bytes()))
}
