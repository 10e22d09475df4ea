//! `/orgs/{orgId}/roles`: built-in and custom roles of an organization.

use crate::model::ROLES_MANAGE;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tessera_kernel::ids::OrgId;
use tessera_kernel::{ApiError, ApiResult, Created, Data, FieldErrors, Json, NoContent, OrgScope, Path};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AccessState, push_all};
use crate::model;
use crate::service::roles::{NewRole, RolePatch, RoleView};

pub fn routes() -> OpenApiRouter<AccessState> {
    OpenApiRouter::new().routes(routes!(list_roles, create_role)).routes(routes!(get_role, update_role, delete_role))
}

/// A role: built-in (`id` is its name) or custom (`id` is a UUID).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleOut {
    /// What memberships store and `PATCH …/members/{userId}` takes as `role`.
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub built_in: bool,
    pub permissions: Vec<String>,
    #[serde(with = "tessera_kernel::clock::rfc3339::option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_at: Option<i64>,
    #[serde(with = "tessera_kernel::clock::rfc3339::option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<i64>,
}

impl From<RoleView> for RoleOut {
    fn from(r: RoleView) -> Self {
        Self {
            id: r.key,
            name: r.name,
            description: r.description,
            built_in: r.built_in,
            permissions: r.permissions,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A custom role to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleIn {
    pub name: String,
    pub description: Option<String>,
    /// Keys from the catalogue; the caller must hold each.
    pub permissions: Vec<String>,
}

/// Changes to a custom role; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RolePatchIn {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "tessera_kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub permissions: Option<Vec<String>>,
}

/// The organization's roles: the four built-in ones, then custom roles by name.
#[utoipa::path(get, path = "/orgs/{orgId}/roles", tag = "access", operation_id = "access.roles.list",
    params(("orgId" = OrgId, Path)),
    responses((status = 200, body = Data<Vec<RoleOut>>), (status = 401), (status = 404)), security(("bearer" = [])))]
async fn list_roles(State(s): State<AccessState>, scope: OrgScope) -> ApiResult<Data<Vec<RoleOut>>> {
    let roles = s.access.list_roles(scope.org_id).await?;
    Ok(Data::new(roles.into_iter().map(RoleOut::from).collect()))
}

/// One role, by built-in name or custom role id.
#[utoipa::path(get, path = "/orgs/{orgId}/roles/{roleId}", tag = "access", operation_id = "access.roles.get",
    params(("orgId" = OrgId, Path), ("roleId" = String, Path)),
    responses((status = 200, body = Data<RoleOut>), (status = 401), (status = 404)), security(("bearer" = [])))]
async fn get_role(
    State(s): State<AccessState>,
    scope: OrgScope,
    Path((_, role_id)): Path<(OrgId, String)>,
) -> ApiResult<Data<RoleOut>> {
    Ok(Data::new(s.access.get_role(scope.org_id, &role_id).await?.into()))
}

/// Creates a custom role (needs `roles:manage`, and every permission it carries); emits `role.created`.
#[utoipa::path(post, path = "/orgs/{orgId}/roles", tag = "access", operation_id = "access.roles.create",
    params(("orgId" = OrgId, Path)), request_body = RoleIn,
    responses((status = 201, body = Data<RoleOut>), (status = 401), (status = 403), (status = 404), (status = 409),
        (status = 422)), security(("bearer" = [])))]
async fn create_role(
    State(s): State<AccessState>,
    scope: OrgScope,
    Json(input): Json<RoleIn>,
) -> ApiResult<Created<RoleOut>> {
    scope.require(&s.app, ROLES_MANAGE).await?;
    let mut errors = FieldErrors::new();
    let name = errors.check(model::parse_role_name("name", &input.name));
    let description = match input.description {
        Some(d) => errors.check(model::parse_description("description", &d)).unwrap_or_default(),
        None => None,
    };
    let permissions = s.access.catalogue.parse_permissions("permissions", &input.permissions);
    let permissions = permissions.map_err(|e| push_all(&mut errors, e)).ok();
    errors.finish()?;
    let (Some(name), Some(permissions)) = (name, permissions) else {
        return Err(ApiError::bad_request("invalid role"));
    };
    let role = s.access.create_role(&scope.actor, scope.org_id, NewRole { name, description, permissions }).await?;
    Ok(Created(role.into()))
}

/// Changes a custom role (needs `roles:manage`; added permissions must be the caller's); emits `role.updated`.
#[utoipa::path(patch, path = "/orgs/{orgId}/roles/{roleId}", tag = "access", operation_id = "access.roles.update",
    params(("orgId" = OrgId, Path), ("roleId" = String, Path)), request_body = RolePatchIn,
    responses((status = 200, body = Data<RoleOut>), (status = 401), (status = 403), (status = 404), (status = 409),
        (status = 422)), security(("bearer" = [])))]
async fn update_role(
    State(s): State<AccessState>,
    scope: OrgScope,
    Path((_, role_id)): Path<(OrgId, String)>,
    Json(input): Json<RolePatchIn>,
) -> ApiResult<Data<RoleOut>> {
    scope.require(&s.app, ROLES_MANAGE).await?;
    let mut errors = FieldErrors::new();
    let name = input.name.and_then(|n| errors.check(model::parse_role_name("name", &n)));
    let description = match input.description {
        Some(Some(d)) => errors.check(model::parse_description("description", &d)),
        Some(None) => Some(None),
        None => None,
    };
    let permissions = match input.permissions {
        Some(list) => {
            s.access.catalogue.parse_permissions("permissions", &list).map_err(|e| push_all(&mut errors, e)).ok()
        }
        None => None,
    };
    errors.finish()?;
    let patch = RolePatch { name, description, permissions };
    Ok(Data::new(s.access.update_role(&scope.actor, scope.org_id, &role_id, patch).await?.into()))
}

/// Deletes a custom role no member holds (409 `ROLE_IN_USE` otherwise; give them another role first); emits `role.deleted`.
#[utoipa::path(delete, path = "/orgs/{orgId}/roles/{roleId}", tag = "access", operation_id = "access.roles.delete",
    params(("orgId" = OrgId, Path), ("roleId" = String, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn delete_role(
    State(s): State<AccessState>,
    scope: OrgScope,
    Path((_, role_id)): Path<(OrgId, String)>,
) -> ApiResult<NoContent> {
    scope.require(&s.app, ROLES_MANAGE).await?;
    s.access.delete_role(&scope.actor, scope.org_id, &role_id).await?;
    Ok(NoContent)
}
