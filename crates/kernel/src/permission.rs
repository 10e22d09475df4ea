//! Permission names, typed. A module declares each permission it checks once, as a
//! [`Permission`] constant in its catalogue; handlers name the constant, so a
//! misspelt permission does not compile. What clients send (a custom role's list,
//! a key's list, `/authz/check`) is parsed against the composed catalogue, once, at
//! the edge.
//!
//! The organization model's permissions live here rather than in the orgs module:
//! the built-in and team roles ([`crate::roles`]) are defined by them, and the
//! access module, which decides, does not depend on orgs.

use std::fmt;

use serde::{Serialize, Serializer};

/// A `resource:action` key some module declares, e.g. `members:invite`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission(&'static str);

impl Permission {
    /// Declares a permission (for a module's catalogue; nothing else makes one).
    pub const fn declare(key: &'static str) -> Self {
        Self(key)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for Permission {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl PartialEq<str> for Permission {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

/// Changing the organization's name, slug, settings and metadata.
pub const ORG_UPDATE: Permission = Permission::declare("org:update");
/// Deleting the organization: owners alone hold it.
pub const ORG_DELETE: Permission = Permission::declare("org:delete");
pub const MEMBERS_READ: Permission = Permission::declare("members:read");
pub const MEMBERS_INVITE: Permission = Permission::declare("members:invite");
pub const MEMBERS_MANAGE: Permission = Permission::declare("members:manage");
pub const TEAMS_READ: Permission = Permission::declare("teams:read");
pub const TEAMS_CREATE: Permission = Permission::declare("teams:create");
pub const TEAMS_MANAGE: Permission = Permission::declare("teams:manage");

/// What an API key was given: everything its owner may do (personal keys only),
/// or a list from the catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyPermissions {
    /// `*`: whatever the key's user may do.
    All,
    Only(std::sync::Arc<[Permission]>),
}

impl KeyPermissions {
    /// How a key's list spells "everything its user may do".
    pub const ALL: &'static str = "*";

    pub fn allows(&self, permission: Permission) -> bool {
        match self {
            Self::All => true,
            Self::Only(list) => list.contains(&permission),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permission_reads_and_serializes_as_its_key() {
        assert_eq!(MEMBERS_INVITE.to_string(), "members:invite");
        assert_eq!(serde_json::to_value(TEAMS_READ).unwrap(), serde_json::json!("teams:read"));
        assert!(ORG_DELETE == *"org:delete");
    }

    #[test]
    fn a_key_holds_what_it_was_given() {
        let only = KeyPermissions::Only(vec![TEAMS_READ].into());
        assert!(only.allows(TEAMS_READ) && !only.allows(TEAMS_MANAGE));
        assert!(KeyPermissions::All.allows(ORG_DELETE));
    }
}
