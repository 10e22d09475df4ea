//! `/orgs/{orgId}/grants`: permissions given directly on single resources.

use crate::model::GRANTS_MANAGE;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tessera_kernel::authz::ResourceRef;
use tessera_kernel::ids::{GrantId, OrgId, UserId};
use tessera_kernel::{
    ApiError, ApiResult, Created, FieldErrors, Json, NoContent, OrgScope, Page, PageMeta, Path, Query,
};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AccessState;
use crate::entity::grants::Model;
use crate::model;
use crate::service::grants::NewGrant;
use crate::store::grants::GrantFilter;
use tessera_kernel::PageQuery;

pub fn routes() -> OpenApiRouter<AccessState> {
    OpenApiRouter::new().routes(routes!(list_grants, create_grant)).routes(routes!(delete_grant))
}

/// A grant.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GrantOut {
    pub id: GrantId,
    /// A user id or an API key id.
    pub subject: Uuid,
    /// `user` or `apikey`.
    pub subject_type: String,
    pub permission: String,
    pub resource_type: String,
    pub resource_id: String,
    pub created_by: UserId,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
}

impl From<&Model> for GrantOut {
    fn from(g: &Model) -> Self {
        Self {
            id: g.id,
            subject: g.subject_id,
            subject_type: g.subject_type.clone(),
            permission: g.permission.clone(),
            resource_type: g.resource_type.clone(),
            resource_id: g.resource_id.clone(),
            created_by: g.created_by,
            created_at: g.created_at,
        }
    }
}

/// A grant to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrantIn {
    /// A member's user id, or the id of one of the organization's API keys.
    pub subject: Uuid,
    pub permission: String,
    pub resource_type: String,
    pub resource_id: String,
}

/// Query of the grant list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListGrantsQuery {
    pub page: Option<u64>,
    pub limit: Option<u64>,
    pub subject: Option<Uuid>,
    pub permission: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
}

/// The organization's grants, oldest first (needs `grants:manage`).
#[utoipa::path(get, path = "/orgs/{orgId}/grants", tag = "access", operation_id = "access.grants.list",
    params(("orgId" = OrgId, Path), ListGrantsQuery),
    responses((status = 200, body = Page<GrantOut>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn list_grants(
    State(s): State<AccessState>,
    scope: OrgScope,
    Query(q): Query<ListGrantsQuery>,
) -> ApiResult<Page<GrantOut>> {
    scope.require(&s.app, GRANTS_MANAGE).await?;
    let page = PageQuery { page: q.page, limit: q.limit }.parse()?;
    let filter = GrantFilter {
        subject: q.subject,
        permission: q.permission,
        resource_type: q.resource_type,
        resource_id: q.resource_id,
    };
    let (rows, total) = s.access.list_grants(scope.org_id, &filter, page).await?;
    let meta = PageMeta { page: page.page, limit: page.limit, total };
    Ok(Page::new(rows.iter().map(GrantOut::from).collect(), meta))
}

/// Grants a permission on one resource (needs `grants:manage` and that permission on that resource).
#[utoipa::path(post, path = "/orgs/{orgId}/grants", tag = "access", operation_id = "access.grants.create",
    params(("orgId" = OrgId, Path)), request_body = GrantIn,
    responses((status = 201, body = tessera_kernel::Data<GrantOut>), (status = 401), (status = 403), (status = 404),
        (status = 409), (status = 422)), security(("bearer" = [])))]
async fn create_grant(
    State(s): State<AccessState>,
    scope: OrgScope,
    Json(input): Json<GrantIn>,
) -> ApiResult<Created<GrantOut>> {
    scope.require(&s.app, GRANTS_MANAGE).await?;
    let mut errors = FieldErrors::new();
    let permission = errors.check(s.access.catalogue.parse_grantable("permission", &input.permission));
    let resource_type = errors.check(model::parse_resource_type("resourceType", &input.resource_type));
    let resource_id = errors.check(model::parse_resource_id("resourceId", &input.resource_id));
    errors.finish()?;
    let (Some(permission), Some(resource_type), Some(id)) = (permission, resource_type, resource_id) else {
        return Err(ApiError::bad_request("invalid grant"));
    };
    let new = NewGrant { subject: input.subject, permission, resource: ResourceRef { resource_type, id } };
    let grant = s.access.create_grant(&scope.actor, scope.org_id, new).await?;
    Ok(Created(GrantOut::from(&grant)))
}

/// Withdraws a grant (needs `grants:manage`).
#[utoipa::path(delete, path = "/orgs/{orgId}/grants/{grantId}", tag = "access", operation_id = "access.grants.delete",
    params(("orgId" = OrgId, Path), ("grantId" = GrantId, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_grant(
    State(s): State<AccessState>,
    scope: OrgScope,
    Path((_, grant_id)): Path<(OrgId, GrantId)>,
) -> ApiResult<NoContent> {
    scope.require(&s.app, GRANTS_MANAGE).await?;
    s.access.delete_grant(&scope.actor, scope.org_id, grant_id).await?;
    Ok(NoContent)
}
