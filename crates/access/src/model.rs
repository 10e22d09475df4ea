//! Domain values of the access module: the permissions it declares, the built-in
//! organization and team roles, and the parsers that turn raw input into them.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::Value;
use tessera_kernel::FieldError;
use tessera_kernel::authz::PermissionInfo;
use tessera_kernel::permission::{self as perm, KeyPermissions, Permission};
use tessera_kernel::roles::{BuiltInRole, TeamRole};

pub const ROLES_MANAGE: Permission = Permission::declare("roles:manage");
pub const GRANTS_MANAGE: Permission = Permission::declare("grants:manage");
pub const API_KEYS_MANAGE: Permission = Permission::declare("api_keys:manage");
pub const AUTHZ_CHECK: Permission = Permission::declare("authz:check");

/// Permissions this module declares and checks.
pub const PERMISSIONS: &[PermissionInfo] = &[
    PermissionInfo::new("access", ROLES_MANAGE, "Create, change and delete the organization's custom roles"),
    PermissionInfo::new("access", GRANTS_MANAGE, "Grant and withdraw permissions on single resources"),
    PermissionInfo::new("access", API_KEYS_MANAGE, "Create, list, rotate and revoke the organization's API keys"),
    PermissionInfo::new("access", AUTHZ_CHECK, "Ask /authz/check whether other users and keys hold a permission"),
];

/// The permission only owners hold: no admin, custom role or grant carries it.
pub const OWNER_ONLY: Permission = perm::ORG_DELETE;

/// The longest grace period of a rotated key's old secret.
pub const MAX_GRACE_HOURS: u32 = 720;

const MEMBER: &[Permission] = &[perm::MEMBERS_READ, perm::TEAMS_READ, perm::TEAMS_CREATE];
const VIEWER: &[Permission] = &[perm::MEMBERS_READ, perm::TEAMS_READ];

/// What a team role allows on that team.
pub fn team_role_permissions(role: TeamRole) -> &'static [Permission] {
    match role {
        TeamRole::Admin => &[perm::TEAMS_MANAGE, perm::TEAMS_READ, perm::MEMBERS_READ],
        TeamRole::Member => &[perm::TEAMS_READ, perm::MEMBERS_READ],
        TeamRole::Viewer => &[perm::TEAMS_READ],
    }
}

/// A set of permissions.
pub type PermissionSet = Arc<BTreeSet<Permission>>;

/// A set of permissions as stored: a JSON list of keys.
pub fn json_of<'a>(set: impl IntoIterator<Item = &'a Permission>) -> Value {
    Value::Array(set.into_iter().map(|p| Value::String(p.as_str().to_owned())).collect())
}

/// A key's permissions as stored: `["*"]` or a list of keys.
pub fn key_json(permissions: &KeyPermissions) -> Value {
    match permissions {
        KeyPermissions::All => Value::Array(vec![Value::String(KeyPermissions::ALL.to_owned())]),
        KeyPermissions::Only(list) => json_of(list.iter()),
    }
}

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
        let keys = || all.iter().map(|p| p.key);
        let owner: BTreeSet<Permission> = keys().collect();
        let admin: BTreeSet<Permission> = keys().filter(|k| *k != OWNER_ONLY).collect();
        let set = |list: &[Permission]| Arc::new(list.iter().copied().collect::<BTreeSet<_>>());
        Self { owner: Arc::new(owner), admin: Arc::new(admin), member: set(MEMBER), viewer: set(VIEWER), all }
    }

    /// The catalogue's permission spelt `key`.
    pub fn lookup(&self, key: &str) -> Option<Permission> {
        self.all.iter().map(|p| p.key).find(|p| p == key)
    }

    /// A stored list of keys: those no composed module declares any more hold nothing.
    pub fn stored(&self, value: &Value) -> BTreeSet<Permission> {
        let keys = value.as_array().map(Vec::as_slice).unwrap_or_default();
        keys.iter().filter_map(Value::as_str).filter_map(|k| self.lookup(k)).collect()
    }

    /// A key's stored permissions.
    pub fn stored_key(&self, value: &Value) -> KeyPermissions {
        let all = value.as_array().is_some_and(|a| a.iter().any(|v| v.as_str() == Some(KeyPermissions::ALL)));
        if all { KeyPermissions::All } else { KeyPermissions::Only(self.stored(value).into_iter().collect()) }
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

    /// Parses one permission: it must be in the catalogue.
    pub fn parse(&self, field: impl Into<Cow<'static, str>>, raw: &str) -> Result<Permission, FieldError> {
        self.lookup(raw)
            .ok_or_else(|| FieldError::new(field, "UNKNOWN_PERMISSION", format!("{raw} is not in the catalogue")))
    }

    /// Parses a permission a role or grant may carry: in the catalogue, not owner-only.
    pub fn parse_grantable(&self, field: impl Into<Cow<'static, str>>, raw: &str) -> Result<Permission, FieldError> {
        let field = field.into();
        match self.parse(field.clone(), raw)? {
            OWNER_ONLY => Err(FieldError::new(field, "OWNER_ONLY", "org:delete belongs to owners alone")),
            found => Ok(found),
        }
    }

    /// Parses a custom role's list: each in the catalogue, none owner-only (duplicates collapse).
    pub fn parse_permissions(
        &self,
        field: &'static str,
        raw: &[String],
    ) -> Result<BTreeSet<Permission>, Vec<FieldError>> {
        self.parse_list(field, raw, false, false).map(|(set, _)| set)
    }

    /// Parses a key's list: `*` (everything its user may do) only for a personal key.
    pub fn parse_key_permissions(
        &self,
        field: &'static str,
        raw: &[String],
        personal: bool,
    ) -> Result<KeyPermissions, Vec<FieldError>> {
        let (set, all) = self.parse_list(field, raw, personal, true)?;
        Ok(if all { KeyPermissions::All } else { KeyPermissions::Only(set.into_iter().collect()) })
    }

    /// The permissions of `raw`, and whether it held `*` (accepted when `allow_all`);
    /// `org:delete` only when `allow_owner_only` (keys: their owner must hold it anyway).
    fn parse_list(
        &self,
        field: &'static str,
        raw: &[String],
        allow_all: bool,
        allow_owner_only: bool,
    ) -> Result<(BTreeSet<Permission>, bool), Vec<FieldError>> {
        if raw.len() > 200 {
            return Err(vec![FieldError::new(field, "TOO_MANY", "at most 200 permissions")]);
        }
        let (mut errors, mut set, mut all) = (Vec::new(), BTreeSet::new(), false);
        for (i, p) in raw.iter().enumerate() {
            let name = format!("{field}[{i}]");
            if p == KeyPermissions::ALL && allow_all {
                all = true;
                continue;
            }
            match if allow_owner_only { self.parse(name, p) } else { self.parse_grantable(name, p) } {
                Ok(found) => {
                    set.insert(found);
                }
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() { Ok((set, all)) } else { Err(errors) }
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
        let info = |key| PermissionInfo::new("t", key, "");
        Catalogue::new(Arc::new(vec![
            info(perm::ORG_DELETE),
            info(perm::ORG_UPDATE),
            info(perm::MEMBERS_READ),
            info(ROLES_MANAGE),
        ]))
    }

    #[test]
    fn admins_hold_everything_but_deleting_the_organization() {
        let c = catalogue();
        let admin = c.built_in(BuiltInRole::Admin);
        assert!(admin.contains(&perm::ORG_UPDATE) && admin.contains(&ROLES_MANAGE));
        assert!(!admin.contains(&perm::ORG_DELETE));
        assert!(c.built_in(BuiltInRole::Owner).contains(&perm::ORG_DELETE));
        assert!(c.built_in(BuiltInRole::Viewer).contains(&perm::MEMBERS_READ));
    }

    #[test]
    fn permissions_must_come_from_the_catalogue() {
        let c = catalogue();
        let raw = vec!["org:update".to_owned(), "nope:x".to_owned(), "org:update".to_owned(), "*".to_owned()];
        let errors = c.parse_permissions("permissions", &raw).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].field, "permissions[1]");
        let ok = c.parse_permissions("permissions", &raw[..1]).unwrap();
        assert_eq!(ok.into_iter().collect::<Vec<_>>(), [perm::ORG_UPDATE]);
        assert_eq!(
            c.parse_key_permissions("p", &raw[..1], false).unwrap(),
            KeyPermissions::Only(vec![perm::ORG_UPDATE].into())
        );
        assert_eq!(c.parse_key_permissions("p", &["*".to_owned()], true).unwrap(), KeyPermissions::All);
        assert!(c.parse_key_permissions("p", &["*".to_owned()], false).is_err());
        assert!(c.parse_key_permissions("p", &["org:delete".to_owned()], false).is_ok());
        assert!(c.parse_permissions("p", &["org:delete".to_owned()]).is_err());
    }

    #[test]
    fn stored_lists_keep_only_what_the_catalogue_declares() {
        let c = catalogue();
        let stored = serde_json::json!(["org:update", "gone:away"]);
        assert_eq!(c.stored(&stored).into_iter().collect::<Vec<_>>(), [perm::ORG_UPDATE]);
        assert_eq!(c.stored_key(&serde_json::json!(["*"])), KeyPermissions::All);
        assert_eq!(key_json(&KeyPermissions::All), serde_json::json!(["*"]));
        assert_eq!(json_of(&c.stored(&stored)), serde_json::json!(["org:update"]));
    }

    #[test]
    fn custom_roles_cannot_take_built_in_names() {
        assert!(parse_role_name("name", "Admin").is_err());
        assert!(parse_role_name("name", " ").is_err());
        assert_eq!(parse_role_name("name", " Billing ").unwrap(), "Billing");
    }

    #[test]
    fn team_roles_grant_on_their_team() {
        assert!(team_role_permissions(TeamRole::Admin).contains(&perm::TEAMS_MANAGE));
        assert!(!team_role_permissions(TeamRole::Member).contains(&perm::TEAMS_MANAGE));
    }
}
