//! Organization and team roles, spelled once for every module: the orgs module
//! stores who holds which, the access module says what each allows. Requests
//! name roles as strings; they are parsed here, once, at the edge.

use sea_orm::sea_query::StringLen;
use sea_orm::{DeriveActiveEnum, DeriveValueType, EnumIter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::ids::RoleId;

/// A built-in organization role, most powerful first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BuiltInRole {
    /// Every permission; an organization never loses its last one.
    Owner,
    /// Every permission but deleting the organization.
    Admin,
    Member,
    Viewer,
}

impl BuiltInRole {
    /// Every built-in role, most powerful first.
    pub const ALL: [Self; 4] = [Self::Owner, Self::Admin, Self::Member, Self::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
            Self::Viewer => "viewer",
        }
    }

    /// The built-in role named exactly `raw`.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// The role a member holds in an organization: a built-in role's name or a
/// custom role's id (whether that exists is the access module's answer).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, DeriveValueType, ToSchema)]
#[serde(transparent)]
pub struct RoleKey(String);

impl RoleKey {
    /// The longest key a request may name.
    pub const MAX: usize = 64;

    /// A role as a request names it: trimmed, 1–64 bytes.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let role = raw.trim();
        if role.is_empty() || role.len() > Self::MAX {
            return Err(FieldError::new(field, "INVALID_ROLE", "must name a role"));
        }
        Ok(Self(role.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The built-in role this key names, if it names one.
    pub fn built_in(&self) -> Option<BuiltInRole> {
        BuiltInRole::parse(&self.0)
    }

    /// Whether this key names the built-in role `role`.
    pub fn is(&self, role: BuiltInRole) -> bool {
        self.0 == role.as_str()
    }
}

impl From<BuiltInRole> for RoleKey {
    fn from(role: BuiltInRole) -> Self {
        Self(role.as_str().to_owned())
    }
}

/// A custom role, by its id.
impl From<RoleId> for RoleKey {
    fn from(id: RoleId) -> Self {
        Self(id.to_string())
    }
}

impl std::fmt::Display for RoleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A role inside a team; stored as its lower-case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "lowercase")]
pub enum TeamRole {
    #[sea_orm(string_value = "admin")]
    Admin,
    #[sea_orm(string_value = "member")]
    Member,
    #[sea_orm(string_value = "viewer")]
    Viewer,
}

impl std::fmt::Display for TeamRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&sea_orm::ActiveEnum::to_value(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_keys_are_trimmed_and_know_the_built_in_roles() {
        let owner = RoleKey::parse("role", " owner ").unwrap();
        assert_eq!((owner.as_str(), owner.built_in()), ("owner", Some(BuiltInRole::Owner)));
        assert!(owner.is(BuiltInRole::Owner) && owner == RoleKey::from(BuiltInRole::Owner));
        assert_eq!(RoleKey::parse("role", "0190a0a0-0000-7000-8000-000000000000").unwrap().built_in(), None);
        assert!(RoleKey::parse("role", "  ").is_err() && RoleKey::parse("role", &"r".repeat(65)).is_err());
        assert_eq!(serde_json::to_string(&owner).unwrap(), "\"owner\"");
        assert_eq!(serde_json::to_string(&TeamRole::Viewer).unwrap(), "\"viewer\"");
    }
}
