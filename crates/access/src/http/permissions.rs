//! `/permissions` (the catalogue) and `/users/me/permissions` (what the caller may do in an organization).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tessera_kernel::authz::PermissionInfo;
use tessera_kernel::ids::OrgId;
use tessera_kernel::{Actor, ApiError, ApiResult, Data, Query};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AccessState;
use crate::service::Subject;

pub fn routes() -> OpenApiRouter<AccessState> {
    OpenApiRouter::new().routes(routes!(list_permissions)).routes(routes!(my_permissions))
}

/// Every permission every module declares.
#[utoipa::path(get, path = "/permissions", tag = "access", operation_id = "access.permissions.list",
    responses((status = 200, body = Data<Vec<PermissionInfo>>), (status = 401)), security(("bearer" = [])))]
async fn list_permissions(State(s): State<AccessState>, _actor: Actor) -> ApiResult<Data<Vec<PermissionInfo>>> {
    Ok(Data::new(s.access.catalogue.all.to_vec()))
}

/// Query of `/users/me/permissions`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MyPermissionsQuery {
    pub org_id: OrgId,
}

/// What the caller may do across an organization.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MyPermissionsOut {
    pub org_id: OrgId,
    /// The caller's role (for an API key: its creator's), a built-in name or a custom role id.
    pub role: tessera_kernel::roles::RoleKey,
    /// Organization-wide permissions (for a key: its own and its creator's, intersected).
    pub permissions: Vec<String>,
}

/// The caller's effective permissions in an organization (404 for one it cannot see).
#[utoipa::path(get, path = "/users/me/permissions", tag = "access", operation_id = "access.me.permissions",
    params(MyPermissionsQuery),
    responses((status = 200, body = Data<MyPermissionsOut>), (status = 401), (status = 404)), security(("bearer" = [])))]
async fn my_permissions(
    State(s): State<AccessState>,
    actor: Actor,
    Query(q): Query<MyPermissionsQuery>,
) -> ApiResult<Data<MyPermissionsOut>> {
    let effective = s.access.effective(&Subject::from(&actor), q.org_id).await?;
    let effective = effective.ok_or_else(|| ApiError::not_found("organization"))?;
    Ok(Data::new(MyPermissionsOut {
        org_id: q.org_id,
        role: effective.role,
        permissions: effective.permissions.iter().map(ToString::to_string).collect(),
    }))
}
