//! `/orgs`: create an organization, list mine, read, change and delete one.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tessera_kernel::fields::{parse_json_object, parse_name};
use tessera_kernel::ids::OrgId;
use tessera_kernel::permission as perm;
use tessera_kernel::{Actor, ApiError, ApiResult, Created, Data, FieldErrors, Json, NoContent, OrgScope, Page, Query};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OrgsState;
use crate::model::{OrgSlug, RoleKey};
use crate::service::orgs::{NewOrg, OrgPatch, OrgView};
use tessera_kernel::PageQuery;

pub fn routes() -> OpenApiRouter<OrgsState> {
    OpenApiRouter::new().routes(routes!(create_org, list_orgs)).routes(routes!(get_org, update_org, delete_org))
}

/// An organization, with the caller's role in it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgOut {
    pub id: OrgId,
    pub name: String,
    pub slug: String,
    pub settings: serde_json::Value,
    pub metadata: serde_json::Value,
    /// The caller's role (`owner`, `admin`, …, or a custom role's id); none for an organization's key.
    pub role: Option<RoleKey>,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: i64,
}

impl From<OrgView> for OrgOut {
    fn from(v: OrgView) -> Self {
        let o = v.org;
        Self {
            id: o.id,
            name: o.name,
            slug: o.slug,
            settings: o.settings,
            metadata: o.metadata,
            role: v.role,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// A new organization.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrgIn {
    pub name: String,
    /// 3–48 of `a-z0-9-`, unique; derived from the name when absent.
    pub slug: Option<String>,
}

/// Creates an organization; the caller becomes its owner.
#[utoipa::path(post, path = "/orgs", tag = "orgs", operation_id = "orgs.org.create", request_body = OrgIn,
    responses((status = 201, body = Data<OrgOut>), (status = 401), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn create_org(State(s): State<OrgsState>, actor: Actor, Json(input): Json<OrgIn>) -> ApiResult<Created<OrgOut>> {
    let mut errors = FieldErrors::new();
    let name = errors.check(parse_name("name", &input.name));
    let slug = input.slug.map(|s| errors.check(OrgSlug::parse("slug", &s)));
    errors.finish()?;
    let name = name.ok_or_else(|| ApiError::bad_request("invalid name"))?;
    let view = s.orgs.create_org(&actor, NewOrg { name, slug: slug.flatten() }).await?;
    Ok(Created(view.into()))
}

/// The organizations the caller belongs to, with the caller's role in each.
#[utoipa::path(get, path = "/orgs", tag = "orgs", operation_id = "orgs.org.list", params(PageQuery),
    responses((status = 200, body = Page<OrgOut>), (status = 401), (status = 422)), security(("bearer" = [])))]
async fn list_orgs(State(s): State<OrgsState>, actor: Actor, Query(q): Query<PageQuery>) -> ApiResult<Page<OrgOut>> {
    let page = q.parse()?;
    let (views, total) = s.orgs.my_orgs(&actor, page).await?;
    Ok(Page::new(views.into_iter().map(OrgOut::from).collect(), page.meta(total)))
}

/// One organization the caller belongs to.
#[utoipa::path(get, path = "/orgs/{orgId}", tag = "orgs", operation_id = "orgs.org.get", params(("orgId" = OrgId, Path)),
    responses((status = 200, body = Data<OrgOut>), (status = 401), (status = 404)), security(("bearer" = [])))]
async fn get_org(State(s): State<OrgsState>, scope: OrgScope) -> ApiResult<Data<OrgOut>> {
    Ok(Data::new(s.orgs.get_org(&scope.actor, scope.org_id).await?.into()))
}

/// Changes to an organization; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrgPatchIn {
    pub name: Option<String>,
    pub slug: Option<String>,
    /// A JSON object (at most 16 KiB) that replaces the stored settings.
    pub settings: Option<serde_json::Value>,
    /// A JSON object (at most 16 KiB) that replaces the stored metadata.
    pub metadata: Option<serde_json::Value>,
}

/// Changes an organization (needs `org:update`).
#[utoipa::path(patch, path = "/orgs/{orgId}", tag = "orgs", operation_id = "orgs.org.update",
    params(("orgId" = OrgId, Path)), request_body = OrgPatchIn,
    responses((status = 200, body = Data<OrgOut>), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn update_org(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Json(input): Json<OrgPatchIn>,
) -> ApiResult<Data<OrgOut>> {
    scope.require(&s.app, perm::ORG_UPDATE).await?;
    let mut errors = FieldErrors::new();
    let patch = OrgPatch {
        name: input.name.and_then(|n| errors.check(parse_name("name", &n))),
        slug: input.slug.and_then(|v| errors.check(OrgSlug::parse("slug", &v))),
        settings: input.settings.and_then(|v| errors.check(parse_json_object("settings", v))),
        metadata: input.metadata.and_then(|v| errors.check(parse_json_object("metadata", v))),
    };
    errors.finish()?;
    Ok(Data::new(s.orgs.update_org(&scope.actor, scope.org_id, patch).await?.into()))
}

/// Deletes an organization with its members, teams, invitations and keys (needs `org:delete`: owners).
#[utoipa::path(delete, path = "/orgs/{orgId}", tag = "orgs", operation_id = "orgs.org.delete",
    params(("orgId" = OrgId, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_org(State(s): State<OrgsState>, scope: OrgScope) -> ApiResult<NoContent> {
    scope.require(&s.app, perm::ORG_DELETE).await?;
    s.orgs.delete_org(&scope.actor, scope.org_id).await?;
    Ok(NoContent)
}
