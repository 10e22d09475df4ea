//! Domain values parsed at the edge: slugs, names, team roles, invitation
//! statuses and lifetimes. Raw strings stop at the DTOs; services take these.

use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};
use tessera_kernel::{FieldError, Millis};
use utoipa::ToSchema;

pub use tessera_kernel::roles::{BuiltInRole, RoleKey, TeamRole};

/// An organization's URL name: 3–48 of `a-z`, `0-9`, `-`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgSlug(String);

impl OrgSlug {
    pub const MIN: usize = 3;
    pub const MAX: usize = 48;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
        if (Self::MIN..=Self::MAX).contains(&raw.len()) && raw.bytes().all(allowed) {
            return Ok(Self(raw.to_owned()));
        }
        Err(FieldError::new(field, "INVALID_SLUG", "must be 3 to 48 characters of a-z, 0-9 and -"))
    }

    /// A slug made from a name: lower-case letters and digits, other runs become
    /// one `-`; short results are padded, long ones cut (leaving room for a suffix).
    pub fn derive(name: &str) -> Self {
        let mut out = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        let mut out: String = out.trim_matches('-').chars().take(Self::MAX - 8).collect();
        out = out.trim_end_matches('-').to_owned();
        if out.len() < Self::MIN {
            out = if out.is_empty() { "org".to_owned() } else { format!("org-{out}") };
        }
        Self(out)
    }

    /// This slug with `-n` appended (for collisions of derived slugs).
    pub fn with_suffix(&self, n: u32) -> Self {
        Self(format!("{}-{n}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A team description: at most 1,000 characters.
pub fn parse_description(field: &'static str, raw: &str) -> Result<String, FieldError> {
    if raw.chars().count() > 1000 {
        return Err(FieldError::new(field, "TOO_LONG", "must be at most 1000 characters"));
    }
    Ok(raw.trim().to_owned())
}

/// A JSON object of at most 16 KiB (settings, metadata).
pub fn parse_json_object(field: &'static str, value: serde_json::Value) -> Result<serde_json::Value, FieldError> {
    if !value.is_object() {
        return Err(FieldError::new(field, "INVALID_TYPE", "must be a JSON object"));
    }
    if value.to_string().len() > 16 * 1024 {
        return Err(FieldError::new(field, "TOO_LARGE", "must be at most 16 KiB"));
    }
    Ok(value)
}

/// Where an invitation stands. `expired` is stored once someone has observed it;
/// before that it is computed from `expires_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "lowercase")]
pub enum InvitationStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "accepted")]
    Accepted,
    #[sea_orm(string_value = "declined")]
    Declined,
    #[sea_orm(string_value = "revoked")]
    Revoked,
    #[sea_orm(string_value = "expired")]
    Expired,
}

impl InvitationStatus {
    /// The status of a row stored as `stored` at `now`.
    pub fn of(stored: Self, expires_at: Millis, now: Millis) -> Self {
        if stored == Self::Pending && expires_at <= now { Self::Expired } else { stored }
    }
}

/// How long an invitation stays valid: 1..=30 days (default 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvitationTtl(i32);

impl InvitationTtl {
    pub const DEFAULT_DAYS: i32 = 7;

    pub fn parse(field: &'static str, days: Option<i64>) -> Result<Self, FieldError> {
        match days {
            None => Ok(Self(Self::DEFAULT_DAYS)),
            Some(d @ 1..=30) => Ok(Self(i32::try_from(d).unwrap_or(Self::DEFAULT_DAYS))),
            Some(_) => Err(FieldError::new(field, "OUT_OF_RANGE", "must be 1..=30 days")),
        }
    }

    pub fn from_days(days: i32) -> Self {
        Self(days.clamp(1, 30))
    }

    pub fn days(self) -> i32 {
        self.0
    }

    /// When an invitation sent at `now` expires.
    pub fn expires_at(self, now: Millis) -> Millis {
        now + i64::from(self.0) * 86_400_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_checked_and_derived() {
        assert!(OrgSlug::parse("s", "acme-inc").is_ok());
        for bad in ["ab", "Acme", "acme_inc", "a b c", &"a".repeat(49)] {
            assert!(OrgSlug::parse("s", bad).is_err(), "{bad}");
        }
        assert_eq!(OrgSlug::derive("Acme, Inc.").as_str(), "acme-inc");
        assert_eq!(OrgSlug::derive("  Ünïcode  ").as_str(), "n-code");
        assert_eq!(OrgSlug::derive("!!").as_str(), "org");
        assert_eq!(OrgSlug::derive("X").as_str(), "org-x");
        assert!(OrgSlug::derive(&"long name ".repeat(20)).as_str().len() <= OrgSlug::MAX - 8);
        assert_eq!(OrgSlug::derive("acme").with_suffix(2).as_str(), "acme-2");
    }

    #[test]
    fn invitation_status_is_computed_from_expiry() {
        assert_eq!(InvitationStatus::of(InvitationStatus::Pending, 10, 5), InvitationStatus::Pending);
        assert_eq!(InvitationStatus::of(InvitationStatus::Pending, 10, 10), InvitationStatus::Expired);
        assert_eq!(InvitationStatus::of(InvitationStatus::Accepted, 10, 20), InvitationStatus::Accepted);
    }

    #[test]
    fn invitation_lifetimes_are_bounded() {
        assert_eq!(InvitationTtl::parse("d", None).unwrap().days(), 7);
        assert!(InvitationTtl::parse("d", Some(0)).is_err() && InvitationTtl::parse("d", Some(31)).is_err());
        assert_eq!(InvitationTtl::parse("d", Some(30)).unwrap().expires_at(0), 30 * 86_400_000);
    }
}
