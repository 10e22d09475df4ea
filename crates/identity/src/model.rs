//! Domain values parsed at the edge: e-mail addresses, passwords, profile fields,
//! statuses. Raw strings stop at the DTOs; services take these types.

use std::sync::LazyLock;

use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};
use tessera_kernel::ids::UserId;
use tessera_kernel::{FieldError, PlatformRole};
use utoipa::ToSchema;
use zeroize::Zeroizing;

use crate::config::PasswordConfig;

/// An e-mail address, trimmed and lower-cased so uniqueness is case-insensitive.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let normalized = raw.trim().to_lowercase();
        if normalized.len() > 254 || normalized.parse::<lettre::Address>().is_err() || !normalized.contains('.') {
            return Err(FieldError::new(field, "INVALID_EMAIL", "must be a valid e-mail address"));
        }
        Ok(Self(normalized))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A password as typed; never logged, wiped from memory when dropped.
#[derive(Clone, ToSchema)]
#[schema(value_type = String, format = Password)]
pub struct Secret(Zeroizing<String>);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        String::deserialize(de).map(Secret::new)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(Zeroizing::new(s.into()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The bundled list of common and breached passwords (lower-cased).
static COMMON: LazyLock<std::collections::HashSet<String>> = LazyLock::new(|| {
    use std::io::Read;
    let gz: &[u8] = include_bytes!("../data/common-passwords.txt.gz");
    let mut text = String::new();
    let _ = flate2::read::GzDecoder::new(gz).read_to_string(&mut text);
    text.lines().map(str::to_owned).collect()
});

/// Forces the common-password list to load (at start-up, not on the first request).
pub fn preload_common_passwords() -> usize {
    COMMON.len()
}

/// A new password that passed the policy.
#[derive(Clone, Debug)]
pub struct NewPassword(pub Secret);

impl NewPassword {
    pub fn parse(field: &'static str, raw: &Secret, policy: &PasswordConfig) -> Result<Self, FieldError> {
        let pw = raw.expose();
        let chars = pw.chars().count();
        if chars < policy.min_length {
            return Err(FieldError::new(
                field,
                "PASSWORD_TOO_SHORT",
                format!("must be at least {} characters", policy.min_length),
            ));
        }
        if pw.len() > policy.max_length {
            return Err(FieldError::new(
                field,
                "PASSWORD_TOO_LONG",
                format!("must be at most {} bytes", policy.max_length),
            ));
        }
        if policy.reject_common && COMMON.contains(&pw.to_lowercase()) {
            return Err(FieldError::new(
                field,
                "PASSWORD_TOO_COMMON",
                "this password appears in lists of common or breached passwords; choose another",
            ));
        }
        Ok(Self(raw.clone()))
    }
}

/// Lifecycle of an account; stored as its snake_case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    #[sea_orm(string_value = "pending_verification")]
    PendingVerification,
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "disabled")]
    Disabled,
}

/// An avatar URL: http(s), at most 2048 characters.
pub fn parse_avatar_url(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let ok = raw.len() <= 2048
        && url::Url::parse(raw).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !ok {
        return Err(FieldError::new(field, "INVALID_URL", "must be an http or https URL"));
    }
    Ok(raw.to_owned())
}

/// A BCP 47 language tag such as `en` or `pt-BR`.
pub fn parse_locale(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let mut parts = raw.split('-');
    let lang_ok =
        parts.next().is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    let rest_ok = parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !(lang_ok && rest_ok) || raw.len() > 35 {
        return Err(FieldError::new(field, "INVALID_LOCALE", "must be a language tag such as en or pt-BR"));
    }
    Ok(raw.to_owned())
}

/// An IANA time-zone name such as `Europe/Paris`, or `UTC`.
pub fn parse_timezone(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let part_ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b));
    let parts: Vec<&str> = raw.split('/').collect();
    if raw.len() > 64 || parts.len() > 3 || !parts.iter().all(|p| part_ok(p)) || !raw.as_bytes()[0].is_ascii_uppercase()
    {
        return Err(FieldError::new(field, "INVALID_TIMEZONE", "must be an IANA time zone such as Europe/Paris"));
    }
    Ok(raw.to_owned())
}

/// A JSON object of at most 16 KiB (metadata, preferences).
pub fn parse_json_object(field: &'static str, value: serde_json::Value) -> Result<serde_json::Value, FieldError> {
    if !value.is_object() {
        return Err(FieldError::new(field, "INVALID_TYPE", "must be a JSON object"));
    }
    if value.to_string().len() > 16 * 1024 {
        return Err(FieldError::new(field, "TOO_LARGE", "must be at most 16 KiB"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordConfig {
        PasswordConfig {
            min_length: 8,
            max_length: 256,
            reject_common: true,
            argon2_memory_kib: 8,
            argon2_iterations: 1,
            argon2_parallelism: 1,
            hash_concurrency: 1,
            hash_queue: 1,
        }
    }

    #[test]
    fn emails_are_normalized() {
        assert_eq!(Email::parse("email", "  Alice@Example.COM ").unwrap().as_str(), "alice@example.com");
        for bad in ["", "alice", "alice@", "@example.com", "a b@example.com", "alice@localhost"] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_policy_rejects_short_long_and_common() {
        let p = policy();
        assert_eq!(NewPassword::parse("password", &Secret::new("short"), &p).unwrap_err().code, "PASSWORD_TOO_SHORT");
        assert_eq!(
            NewPassword::parse("password", &Secret::new("x".repeat(300)), &p).unwrap_err().code,
            "PASSWORD_TOO_LONG"
        );
        assert_eq!(
            NewPassword::parse("password", &Secret::new("Password1"), &p).unwrap_err().code,
            "PASSWORD_TOO_COMMON"
        );
        assert_eq!(
            NewPassword::parse("password", &Secret::new("qwertyuiop"), &p).unwrap_err().code,
            "PASSWORD_TOO_COMMON"
        );
        assert!(NewPassword::parse("password", &Secret::new("correct horse battery staple 9"), &p).is_ok());
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter22")), "Secret(***)");
    }

    #[test]
    fn profile_fields_are_checked() {
        assert!(parse_locale("l", "pt-BR").is_ok() && parse_locale("l", "english!").is_err());
        assert!(parse_timezone("t", "Europe/Paris").is_ok() && parse_timezone("t", "../etc").is_err());
        assert!(parse_avatar_url("a", "https://cdn.example.com/a.png").is_ok());
        assert!(parse_avatar_url("a", "javascript:alert(1)").is_err());
    }
}

/// A user as clients see it (no credentials, no counters).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserOut {
    pub id: UserId,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub avatar_url: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub status: UserStatus,
    pub role: PlatformRole,
    pub metadata: serde_json::Value,
    pub preferences: serde_json::Value,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: i64,
    #[serde(with = "tessera_kernel::clock::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_login_at: Option<i64>,
}

impl From<&crate::entity::users::Model> for UserOut {
    fn from(u: &crate::entity::users::Model) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            email_verified: u.email_verified_at.is_some(),
            name: u.name.clone(),
            avatar_url: u.avatar_url.clone(),
            locale: u.locale.clone(),
            timezone: u.timezone.clone(),
            status: u.status,
            role: u.role,
            metadata: u.metadata.clone(),
            preferences: u.preferences.clone(),
            created_at: u.created_at,
            updated_at: u.updated_at,
            last_login_at: u.last_login_at,
        }
    }
}
