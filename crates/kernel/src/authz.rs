//! Authorization contracts shared by every module. Permissions are
//! `resource:action` strings that each module declares in a catalogue; every
//! handler asks the one [`Authorizer`] (the access module) whether an actor holds
//! one in an organization, and never compares role names itself. The orgs module
//! answers who belongs where through [`Directory`].

use axum::extract::{FromRef, FromRequestParts, RawPathParams};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actor::Actor;
use crate::error::ApiError;
use crate::ids::{OrgId, TeamId, UserId};
use crate::permission::Permission;
use crate::roles::{RoleKey, TeamRole};
use crate::state::AppState;

/// One permission of the catalogue, as `GET /permissions` lists it.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub struct PermissionInfo {
    /// `resource:action`, e.g. `members:invite`.
    #[schema(value_type = String)]
    pub key: Permission,
    pub description: &'static str,
    /// The module that declares and checks it.
    pub module: &'static str,
}

impl PermissionInfo {
    /// An entry of `module`'s catalogue (`Module::PERMISSIONS`).
    pub const fn new(module: &'static str, key: Permission, description: &'static str) -> Self {
        Self { key, description, module }
    }
}

/// The single resource a check is about, when narrower than the organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRef {
    /// `team`, `webhook`, … (`team` resources also follow team roles).
    #[serde(rename = "type")]
    pub resource_type: String,
    pub id: String,
}

impl ResourceRef {
    pub fn team(id: TeamId) -> Self {
        Self { resource_type: "team".into(), id: id.to_string() }
    }
}

/// The answer to a check, with the rule that decided it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Decision {
    pub allowed: bool,
    /// e.g. `role:admin`, `team_role:admin`, `grant`, `not a member`, `missing permission`.
    pub reason: String,
}

/// Decides what actors may do in organizations. Implemented by the access module.
#[async_trait::async_trait]
pub trait Authorizer: Send + Sync + 'static {
    /// Whether `actor` holds `permission` in `org` (on `resource`, when given).
    async fn check(
        &self,
        actor: &Actor,
        org: OrgId,
        permission: Permission,
        resource: Option<&ResourceRef>,
    ) -> Result<Decision, ApiError>;

    /// Whether `actor` may see that `org` exists at all: a member, or a key of it.
    async fn can_see(&self, actor: &Actor, org: OrgId) -> Result<bool, ApiError>;

    /// Whether `role` names a role of `org` (built-in, or one of its custom roles).
    async fn role_exists(&self, org: OrgId, role: &RoleKey) -> Result<bool, ApiError>;

    /// Whether `actor` may give `role` to someone in `org`: only an owner gives
    /// `owner`, and nobody gives a role holding a permission they lack.
    async fn can_assign_role(&self, actor: &Actor, org: OrgId, role: &RoleKey) -> Result<bool, ApiError>;
}

/// Who belongs where. Implemented by the orgs module; read by the access module.
#[async_trait::async_trait]
pub trait Directory: Send + Sync + 'static {
    /// The role key of `user` in `org` (`owner`, `admin`, …, or a custom role's id).
    async fn org_role(&self, org: OrgId, user: UserId) -> Result<Option<RoleKey>, ApiError>;
    /// The team role of `user` in `team` of `org` (`admin`, `member`, `viewer`).
    async fn team_role(&self, org: OrgId, team: TeamId, user: UserId) -> Result<Option<TeamRole>, ApiError>;
    /// How many members of `org` hold `role` (a custom role in use cannot be deleted).
    async fn members_with_role(&self, org: OrgId, role: &RoleKey) -> Result<u64, ApiError>;
}

/// Work other modules do, in the same transaction, when an organization is deleted
/// (the access module drops its keys, roles and grants) or loses a member (the
/// access module withdraws the grants made to that person there).
#[async_trait::async_trait]
pub trait OrgCleanup: Send + Sync + 'static {
    async fn org_deleted(&self, txn: &sea_orm::DatabaseTransaction, org: OrgId) -> Result<(), ApiError>;
    async fn member_removed(
        &self,
        _txn: &sea_orm::DatabaseTransaction,
        _org: OrgId,
        _user: UserId,
    ) -> Result<(), ApiError> {
        Ok(())
    }
}

/// The [`OrgCleanup`] parts modules registered at start-up.
#[derive(Default)]
pub struct OrgCleanupRegistry {
    parts: std::sync::RwLock<Vec<std::sync::Arc<dyn OrgCleanup>>>,
}

impl OrgCleanupRegistry {
    pub fn register(&self, part: std::sync::Arc<dyn OrgCleanup>) {
        if let Ok(mut parts) = self.parts.write() {
            parts.push(part);
        }
    }

    fn parts(&self) -> Vec<std::sync::Arc<dyn OrgCleanup>> {
        self.parts.read().map(|p| p.clone()).unwrap_or_default()
    }

    /// Runs every part in `txn`.
    pub async fn org_deleted(&self, txn: &sea_orm::DatabaseTransaction, org: OrgId) -> Result<(), ApiError> {
        for part in self.parts() {
            part.org_deleted(txn, org).await?;
        }
        Ok(())
    }

    /// Runs every part in `txn` (removal, leaving, or an account deleted).
    pub async fn member_removed(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        org: OrgId,
        user: UserId,
    ) -> Result<(), ApiError> {
        for part in self.parts() {
            part.member_removed(txn, org, user).await?;
        }
        Ok(())
    }
}

/// Fails with 403 unless `actor` holds `permission` in `org`. Handlers ask
/// through [`OrgScope::require`]; a service asks itself only where the resource
/// is known once it has looked (the teams an invitation names).
pub async fn require(
    authz: &dyn Authorizer,
    actor: &Actor,
    org: OrgId,
    permission: Permission,
    resource: Option<&ResourceRef>,
) -> Result<(), ApiError> {
    let decision = authz.check(actor, org, permission, resource).await?;
    if decision.allowed {
        return Ok(());
    }
    Err(ApiError::forbidden(format!("this needs the permission {permission}"))
        .with_details(serde_json::json!({ "permission": permission })))
}

/// The path parameter naming the organization of an org-scoped route
/// (`/orgs/{orgId}/…`), camelCase like the JSON's `orgId`.
pub const ORG_PATH_PARAM: &str = "orgId";

/// The organization named by the [`ORG_PATH_PARAM`] path parameter, once the caller is
/// known to belong to it. Anyone else gets 404, as if it did not exist.
#[derive(Clone, Debug)]
pub struct OrgScope {
    pub org_id: OrgId,
    pub actor: Actor,
}

impl<S> FromRequestParts<S> for OrgScope
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let actor = Actor::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("the path names no organization"))?;
        let raw = params
            .iter()
            .find(|(name, _)| *name == ORG_PATH_PARAM)
            .map(|(_, v)| v.to_owned())
            .ok_or_else(|| ApiError::bad_request("the path names no organization"))?;
        let org_id: OrgId = raw
            .parse()
            .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", "invalid path: orgId is not a UUID"))?;
        let app = AppState::from_ref(state);
        if !app.authz.can_see(&actor, org_id).await? {
            return Err(ApiError::not_found("organization"));
        }
        Ok(OrgScope { org_id, actor })
    }
}

impl OrgScope {
    /// Fails with 403 unless the caller holds `permission` here.
    pub async fn require(&self, app: &AppState, permission: Permission) -> Result<(), ApiError> {
        require(&*app.authz, &self.actor, self.org_id, permission, None).await
    }

    /// Fails with 403 unless the caller holds `permission` on `resource` here.
    pub async fn require_on(
        &self,
        app: &AppState,
        permission: Permission,
        resource: &ResourceRef,
    ) -> Result<(), ApiError> {
        require(&*app.authz, &self.actor, self.org_id, permission, Some(resource)).await
    }
}
