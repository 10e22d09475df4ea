//! The one check every handler of every module asks, through the kernel's
//! [`Authorizer`]. A user holds a permission through their organization role
//! (built-in or custom), their team role when the resource is a team, or a direct
//! grant on the resource. An API key holds what it was given *and* what its
//! creator holds at the time of the check, so a key never outlives its creator's
//! rights. An allowed check costs one membership lookup; a refused one adds at
//! most a team lookup and a grant probe.

use std::collections::BTreeSet;
use std::sync::Arc;

use sea_orm::DbErr;
use tessera_kernel::authz::{Authorizer, Decision, ResourceRef};
use tessera_kernel::ids::{OrgId, RoleId, TeamId, UserId};
use tessera_kernel::permission::{KeyPermissions, Permission};
use tessera_kernel::roles::{BuiltInRole, RoleKey};
use tessera_kernel::{Actor, ApiError, KeyActor};
use uuid::Uuid;

use super::{Access, CustomRole, Subject};
use crate::error::AccessError;
use crate::model::{ResolvedRole, team_role_permissions};
use crate::store;

pub const NOT_A_MEMBER: &str = "not a member";
pub const MISSING_PERMISSION: &str = "missing permission";
pub const GRANT: &str = "grant";

fn allow(reason: impl Into<String>) -> Decision {
    Decision { allowed: true, reason: reason.into() }
}

fn deny(reason: impl Into<String>) -> Decision {
    Decision { allowed: false, reason: reason.into() }
}

/// What a subject may do across an organization (grants on single resources aside).
#[derive(Clone, Debug)]
pub struct Effective {
    /// The role key of the user (for a key: of its creator).
    pub role: RoleKey,
    pub permissions: BTreeSet<Permission>,
}

impl Access {
    /// A role of `org` by the key memberships store: a built-in name or a custom role's id.
    pub(crate) async fn resolve_role(&self, org: OrgId, key: &RoleKey) -> Result<Option<ResolvedRole>, ApiError> {
        if let Some(role) = key.built_in() {
            return Ok(Some(self.catalogue.built_in_role(role)));
        }
        let Ok(id) = key.as_str().parse::<RoleId>() else { return Ok(None) };
        let role = self.custom_role(id).await?.filter(|r| r.org_id == org);
        Ok(role.map(|r| ResolvedRole { name: r.name.clone(), permissions: r.permissions.clone() }))
    }

    /// A custom role, from this node's cache when it read it recently.
    pub(crate) async fn custom_role(&self, id: RoleId) -> Result<Option<Arc<CustomRole>>, ApiError> {
        let (db, catalogue) = (&self.core.db.conn, &self.catalogue);
        let load = async move {
            let row = store::roles::find(db, id).await?;
            Ok::<_, DbErr>(row.map(|r| {
                let permissions = Arc::new(catalogue.stored(&r.permissions));
                Arc::new(CustomRole { org_id: r.org_id, name: r.name, permissions })
            }))
        };
        self.roles.try_get_with(id, load).await.map_err(ApiError::internal)
    }

    /// Whether `subject` was granted `permission` on `resource` in `org`: one
    /// index probe, skipped for a subject this node knows holds no grant there.
    async fn granted(
        &self,
        org: OrgId,
        subject: Uuid,
        permission: Permission,
        resource: &ResourceRef,
    ) -> Result<bool, ApiError> {
        let holds = match self.holds_grants.get(&(org, subject)) {
            Some(holds) => holds,
            None => {
                let holds = store::grants::any_for(&self.core.db.conn, org, subject).await?;
                self.holds_grants.insert((org, subject), holds);
                holds
            }
        };
        Ok(holds && store::grants::exists(&self.core.db.conn, org, subject, permission.as_str(), resource).await?)
    }

    /// Whether `subject` holds `permission` in `org` (on `resource`, when given).
    pub async fn decide(
        &self,
        subject: &Subject,
        org: OrgId,
        permission: Permission,
        resource: Option<&ResourceRef>,
    ) -> Result<Decision, ApiError> {
        match subject {
            Subject::User(user) => self.user_decision(org, *user, permission, resource).await,
            Subject::Key(key) => self.key_decision(key, org, permission, resource).await,
        }
    }

    async fn user_decision(
        &self,
        org: OrgId,
        user: UserId,
        permission: Permission,
        resource: Option<&ResourceRef>,
    ) -> Result<Decision, ApiError> {
        let Some(role_key) = self.directory.org_role(org, user).await? else { return Ok(deny(NOT_A_MEMBER)) };
        if let Some(role) = self.resolve_role(org, &role_key).await?
            && role.permissions.contains(&permission)
        {
            return Ok(allow(format!("role:{}", role.name)));
        }
        let Some(resource) = resource else { return Ok(deny(MISSING_PERMISSION)) };
        if resource.resource_type == "team"
            && let Ok(team) = resource.id.parse::<TeamId>()
            && let Some(team_role) = self.directory.team_role(org, team, user).await?
            && team_role_permissions(team_role).contains(&permission)
        {
            return Ok(allow(format!("team_role:{team_role}")));
        }
        if self.granted(org, user.as_uuid(), permission, resource).await? {
            return Ok(allow(GRANT));
        }
        Ok(deny(MISSING_PERMISSION))
    }

    async fn key_decision(
        &self,
        key: &KeyActor,
        org: OrgId,
        permission: Permission,
        resource: Option<&ResourceRef>,
    ) -> Result<Decision, ApiError> {
        if key.org_id.is_some_and(|o| o != org) {
            return Ok(deny(NOT_A_MEMBER));
        }
        let given = key.permissions.allows(permission);
        let granted = !given
            && match resource {
                Some(r) => self.granted(org, key.key_id.as_uuid(), permission, r).await?,
                None => false,
            };
        if !given && !granted {
            return Ok(deny(MISSING_PERMISSION));
        }
        // The key's creator must hold the permission too, now.
        let owner = self.user_decision(org, key.owner, permission, resource).await?;
        if !owner.allowed {
            return Ok(match key.org_id {
                Some(_) => deny(format!("creator: {}", owner.reason)),
                None => owner,
            });
        }
        Ok(if granted { allow(GRANT) } else { owner })
    }

    /// Whether `subject` may see that `org` exists: a member, an organization key of
    /// it whose creator is still a member, or a personal key of a member.
    pub async fn visible(&self, subject: &Subject, org: OrgId) -> Result<bool, ApiError> {
        let user = match subject {
            Subject::User(user) => *user,
            Subject::Key(key) if key.org_id.is_some_and(|o| o != org) => return Ok(false),
            Subject::Key(key) => key.owner,
        };
        Ok(self.directory.org_role(org, user).await?.is_some())
    }

    /// The role and organization-wide permissions of `subject` in `org`; `None`
    /// when it cannot see the organization.
    pub async fn effective(&self, subject: &Subject, org: OrgId) -> Result<Option<Effective>, ApiError> {
        let (user, key) = match subject {
            Subject::User(user) => (*user, None),
            Subject::Key(key) if key.org_id.is_some_and(|o| o != org) => return Ok(None),
            Subject::Key(key) => (key.owner, Some(key)),
        };
        let Some(role_key) = self.directory.org_role(org, user).await? else { return Ok(None) };
        let held = self.resolve_role(org, &role_key).await?.map(|r| (*r.permissions).clone()).unwrap_or_default();
        let permissions = match key {
            Some(KeyActor { permissions: KeyPermissions::Only(given), .. }) => {
                held.into_iter().filter(|p| given.contains(p)).collect()
            }
            _ => held,
        };
        Ok(Some(Effective { role: role_key, permissions }))
    }

    /// Fails with 403 unless `actor` holds every one of `permissions` across `org`
    /// (nobody hands out what they do not hold).
    pub(crate) async fn require_all<'a>(
        &self,
        actor: &Actor,
        org: OrgId,
        permissions: impl IntoIterator<Item = &'a Permission>,
    ) -> Result<(), ApiError> {
        let held = self.effective(&Subject::from(actor), org).await?.map(|e| e.permissions).unwrap_or_default();
        let missing: Vec<String> =
            permissions.into_iter().filter(|p| !held.contains(*p)).map(ToString::to_string).collect();
        if missing.is_empty() { Ok(()) } else { Err(AccessError::Escalation { missing }.into()) }
    }
}

#[async_trait::async_trait]
impl Authorizer for Access {
    async fn check(
        &self,
        actor: &Actor,
        org: OrgId,
        permission: Permission,
        resource: Option<&ResourceRef>,
    ) -> Result<Decision, ApiError> {
        self.decide(&Subject::from(actor), org, permission, resource).await
    }

    async fn can_see(&self, actor: &Actor, org: OrgId) -> Result<bool, ApiError> {
        self.visible(&Subject::from(actor), org).await
    }

    async fn role_exists(&self, org: OrgId, role: &RoleKey) -> Result<bool, ApiError> {
        Ok(self.resolve_role(org, role).await?.is_some())
    }

    /// Only an owner (a person, not a key) gives `owner`; anyone else may give a
    /// role only when they hold every permission it carries.
    async fn can_assign_role(&self, actor: &Actor, org: OrgId, role: &RoleKey) -> Result<bool, ApiError> {
        if role.is(BuiltInRole::Owner) {
            return Ok(match actor {
                Actor::User(u) => {
                    self.directory.org_role(org, u.user_id).await?.is_some_and(|r| r.is(BuiltInRole::Owner))
                }
                Actor::ApiKey(_) => false,
            });
        }
        let Some(target) = self.resolve_role(org, role).await? else { return Ok(false) };
        let Some(held) = self.effective(&Subject::from(actor), org).await? else { return Ok(false) };
        Ok(target.permissions.is_subset(&held.permissions))
    }
}
