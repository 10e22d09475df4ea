//! Domain values of the access module: the permissions it declares, the built-in
//! organization and team roles, and the parsers that turn raw input into them.

use std::collections::BTreeSet;
use std::sync::Arc;

use tessera_kernel::FieldError;
use tessera_kernel::authz::PermissionInfo;
use tessera_kernel::roles::{BuiltInRole, TeamRole};

/// Permissions this module declares and checks.
pub const PERMISSIONS: &[PermissionInfo] = &[
    PermissionInfo {
        key: "roles:manage",
        description: "Create, change and delete the organization's custom roles",
        module: "access",
    },
    PermissionInfo {
        key: "grants:manage",
        description: "Grant and withdraw permissions on single resources",
        module: "access",
    },
    PermissionInfo {
        key: "api_keys:manage",
        description: "Create, list, rotate and revoke the organization's API keys",
        module: "access",
    },
    PermissionInfo {
        key: "authz:check",
        description: "Ask /authz/check whether other users and keys hold a permission",
        module: "access",
    },
];

/// The permission only owners hold: no admin, custom role or grant carries it.
pub const OWNER_ONLY: &str = "org:delete";

/// In a personal key's permissions: whatever its user may do.
pub const ALL: &str = "*";

/// The longest grace period of a rotated key's old secret.
pub const MAX_GRACE_HOURS: u32 = 720;

const MEMBER: &[&str] = &["members:read", "teams:read", "teams:create"];
const VIEWER: &[&str] = &["members:read", "teams:read"];

/// What a team role allows on that team.
pub fn team_role_permissions(role: TeamRole) -> &'static [&'static str] {
    match role {
        TeamRole::Admin => &["teams:manage", "teams:read", "members:read"],
        TeamRole::Member => &["teams:read", "members:read"],
        TeamRole::Viewer => &["teams:read"],
    }
}

/// A set of permission keys.
pub type PermissionSet = Arc<BTreeSet<String>>;

/// A role, built-in or custom, resolved for a check.
#[derive(Clone, Debug)]
pub struct ResolvedRole {
    pub name: String,
    pub permissions: PermissionSet,
}

/// The catalogue of every module's permissions and the built-in roles derived from it.
#[derive(Debug)]
pub struct Catalogue {
    pub all: Arc<Vec<PermissionInfo>>,
    owner: PermissionSet,
    admin: PermissionSet,
    member: PermissionSet,
    viewer: PermissionSet,
}

impl Catalogue {
    /// Owners get every permission, admins every one but `org:delete`.
    pub fn new(all: Arc<Vec<PermissionInfo>>) -> Self {
        let keys = || all.iter().map(|p| p.key.to_owned());
        let owner: BTreeSet<String> = keys().collect();
        let admin: BTreeSet<String> = keys().filter(|k| k != OWNER_ONLY).collect();
        let set = |list: &[&str]| Arc::new(list.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>());
        Self { owner: Arc::new(owner), admin: Arc::new(admin), member: set(MEMBER), viewer: set(VIEWER), all }
    }

    pub fn contains(&self, permission: &str) -> bool {
        self.all.iter().any(|p| p.key == permission)
    }

    /// The permissions of a built-in role.
    pub fn built_in(&self, role: BuiltInRole) -> PermissionSet {
        match role {
            BuiltInRole::Owner => self.owner.clone(),
            BuiltInRole::Admin => self.admin.clone(),
            BuiltInRole::Member => self.member.clone(),
            BuiltInRole::Viewer => self.viewer.clone(),
        }
    }

    /// A built-in role, resolved.
    pub fn built_in_role(&self, role: BuiltInRole) -> ResolvedRole {
        ResolvedRole { name: role.as_str().to_owned(), permissions: self.built_in(role) }
    }

    /// Parses a list of permissions: each must be in the catalogue (duplicates collapse).
    /// `allow_all` accepts `*` (personal keys); `allow_owner_only` accepts `org:delete`.
    pub fn parse_permissions(
        &self,
        field: &'static str,
        raw: &[String],
        allow_all: bool,
        allow_owner_only: bool,
    ) -> Result<BTreeSet<String>, Vec<FieldError>> {
        let mut errors = Vec::new();
        if raw.len() > 200 {
            errors.push(FieldError::new(field, "TOO_MANY", "at most 200 permissions"));
            return Err(errors);
        }
        let mut set = BTreeSet::new();
        for (i, p) in raw.iter().enumerate() {
            let name = format!("{field}[{i}]");
            if p == ALL && allow_all {
                set.insert(p.clone());
            } else if !self.contains(p) {
                errors.push(FieldError::new(name, "UNKNOWN_PERMISSION", format!("{p} is not in the catalogue")));
            } else if p == OWNER_ONLY && !allow_owner_only {
                errors.push(FieldError::new(name, "OWNER_ONLY", "org:delete belongs to owners alone"));
            } else {
                set.insert(p.clone());
            }
        }
        if errors.is_empty() { Ok(set) } else { Err(errors) }
    }
}

/// A custom role's name: 1 to 64 printable characters, not a built-in name.
pub fn parse_role_name(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(FieldError::new(field, "INVALID_NAME", "must be 1 to 64 printable characters"));
    }
    if BuiltInRole::ALL.iter().any(|b| b.as_str().eq_ignore_ascii_case(name)) {
        return Err(FieldError::new(field, "RESERVED_NAME", "is the name of a built-in role"));
    }
    Ok(name.to_owned())
}

/// A description: at most 500 characters (empty means none).
pub fn parse_description(field: &'static str, raw: &str) -> Result<Option<String>, FieldError> {
    let text = raw.trim();
    if text.chars().count() > 500 {
        return Err(FieldError::new(field, "TOO_LONG", "must be at most 500 characters"));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// An API key's name: 1 to 100 printable characters.
pub fn parse_key_name(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(FieldError::new(field, "INVALID_NAME", "must be 1 to 100 printable characters"));
    }
    Ok(name.to_owned())
}

/// A resource type: 1 to 64 of `a-z`, `0-9`, `_`.
pub fn parse_resource_type(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
    if (1..=64).contains(&raw.len()) && raw.bytes().all(ok) {
        return Ok(raw.to_owned());
    }
    Err(FieldError::new(field, "INVALID_RESOURCE_TYPE", "must be 1 to 64 of a-z, 0-9 and _"))
}

/// A resource id: 1 to 191 printable characters.
pub fn parse_resource_id(field: &'static str, raw: &str) -> Result<String, FieldError> {
    if raw.is_empty() || raw.chars().count() > 191 || raw.chars().any(char::is_control) {
        return Err(FieldError::new(field, "INVALID_RESOURCE_ID", "must be 1 to 191 printable characters"));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        let info = |key| PermissionInfo { key, description: "", module: "t" };
        Catalogue::new(Arc::new(vec![
            info("org:delete"),
            info("org:update"),
            info("members:read"),
            info("roles:manage"),
        ]))
    }

    #[test]
    fn admins_hold_everything_but_deleting_the_organization() {
        let c = catalogue();
        let admin = c.built_in(BuiltInRole::Admin);
        assert!(admin.contains("org:update") && admin.contains("roles:manage"));
        assert!(!admin.contains("org:delete"));
        assert!(c.built_in(BuiltInRole::Owner).contains("org:delete"));
        assert!(c.built_in(BuiltInRole::Viewer).contains("members:read"));
    }

    #[test]
    fn permissions_must_come_from_the_catalogue() {
        let c = catalogue();
        let raw = vec!["org:update".to_owned(), "nope:x".to_owned(), "org:update".to_owned(), "*".to_owned()];
        let errors = c.parse_permissions("permissions", &raw, false, false).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].field, "permissions[1]");
        let ok = c.parse_permissions("permissions", &raw[..1], false, false).unwrap();
        assert_eq!(ok.len(), 1);
        assert!(c.parse_permissions("p", &["*".to_owned()], true, false).is_ok());
        assert!(c.parse_permissions("p", &["org:delete".to_owned()], false, false).is_err());
    }

    #[test]
    fn custom_roles_cannot_take_built_in_names() {
        assert!(parse_role_name("name", "Admin").is_err());
        assert!(parse_role_name("name", " ").is_err());
        assert_eq!(parse_role_name("name", " Billing ").unwrap(), "Billing");
    }

    #[test]
    fn team_roles_grant_on_their_team() {
        assert!(team_role_permissions(TeamRole::Admin).contains(&"teams:manage"));
        assert!(!team_role_permissions(TeamRole::Member).contains(&"teams:manage"));
    }
}
