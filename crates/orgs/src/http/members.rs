//! `/orgs/{orgId}/members`: list, change roles, remove; leave; transfer ownership.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tessera_kernel::ids::{OrgId, UserId};
use tessera_kernel::permission as perm;
use tessera_kernel::{ApiError, ApiResult, Data, Done, FieldErrors, Json, NoContent, OrgScope, Page, Path, Query};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OrgsState;
use crate::model::RoleKey;
use crate::service::members::is_self;
use crate::service::members::{MemberFilter, MemberView};
use tessera_kernel::PageQuery;

pub fn routes() -> OpenApiRouter<OrgsState> {
    OpenApiRouter::new()
        .routes(routes!(list_members))
        .routes(routes!(change_member_role, remove_member))
        .routes(routes!(leave_org))
        .routes(routes!(transfer_ownership))
}

/// A member of an organization.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberOut {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    /// A built-in role name or a custom role's id.
    pub role: RoleKey,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub joined_at: i64,
}

impl From<MemberView> for MemberOut {
    fn from(v: MemberView) -> Self {
        Self { user_id: v.user_id, email: v.email, name: v.name, role: v.role, joined_at: v.joined_at }
    }
}

/// Query of the member list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListMembersQuery {
    /// 1-based page number.
    pub page: Option<u64>,
    /// Page size, 1..=100 (default 20).
    pub limit: Option<u64>,
    /// Text searched in e-mail and name.
    pub q: Option<String>,
    /// Only members with this role.
    pub role: Option<String>,
}

/// The organization's members, oldest first (needs `members:read`).
#[utoipa::path(get, path = "/orgs/{orgId}/members", tag = "members", operation_id = "orgs.member.list",
    params(("orgId" = OrgId, Path), ListMembersQuery),
    responses((status = 200, body = Page<MemberOut>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn list_members(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Query(q): Query<ListMembersQuery>,
) -> ApiResult<Page<MemberOut>> {
    scope.require(&s.app, perm::MEMBERS_READ).await?;
    let page = PageQuery { page: q.page, limit: q.limit }.parse()?;
    let mut errors = FieldErrors::new();
    let role = q.role.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let role = role.and_then(|r| errors.check(RoleKey::parse("role", r)));
    errors.finish()?;
    let filter = MemberFilter { role, q: q.q.map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()), page };
    let (views, total) = s.orgs.list_members(scope.org_id, &filter).await?;
    Ok(Page::new(views.into_iter().map(MemberOut::from).collect(), page.meta(total)))
}

/// A member's new role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberPatch {
    /// A built-in role name or a custom role's id; you can give only roles whose permissions you hold.
    pub role: String,
}

/// Changes a member's role (needs `members:manage`, and the power to give both their old and new role:
/// changing an owner needs an owner).
#[utoipa::path(patch, path = "/orgs/{orgId}/members/{userId}", tag = "members", operation_id = "orgs.member.update",
    params(("orgId" = OrgId, Path), ("userId" = UserId, Path)), request_body = MemberPatch,
    responses((status = 200, body = Data<MemberOut>), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn change_member_role(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Path((_, user)): Path<(OrgId, UserId)>,
    Json(input): Json<MemberPatch>,
) -> ApiResult<Data<MemberOut>> {
    scope.require(&s.app, perm::MEMBERS_MANAGE).await?;
    let role = RoleKey::parse("role", &input.role).map_err(|e| ApiError::validation(vec![e]))?;
    Ok(Data::new(s.orgs.change_role(&scope.actor, scope.org_id, user, role).await?.into()))
}

/// Removes a member and their team seats (needs `members:manage` and the power to give their role, or is
/// yourself).
#[utoipa::path(delete, path = "/orgs/{orgId}/members/{userId}", tag = "members", operation_id = "orgs.member.remove",
    params(("orgId" = OrgId, Path), ("userId" = UserId, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn remove_member(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Path((_, user)): Path<(OrgId, UserId)>,
) -> ApiResult<NoContent> {
    if !is_self(&scope.actor, user) {
        scope.require(&s.app, perm::MEMBERS_MANAGE).await?;
    }
    s.orgs.remove_member(&scope.actor, scope.org_id, user).await?;
    Ok(NoContent)
}

/// Leaves the organization (its last owner cannot).
#[utoipa::path(post, path = "/orgs/{orgId}/leave", tag = "members", operation_id = "orgs.member.leave",
    params(("orgId" = OrgId, Path)),
    responses((status = 200, body = Data<Done>), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
async fn leave_org(State(s): State<OrgsState>, scope: OrgScope) -> ApiResult<Data<Done>> {
    s.orgs.leave(&scope.actor, scope.org_id).await?;
    Ok(Done::ok())
}

/// Who becomes the owner.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransferIn {
    pub user_id: UserId,
}

/// Hands ownership to another member (owners only): they become owner, you become admin.
#[utoipa::path(post, path = "/orgs/{orgId}/transfer-ownership", tag = "members", operation_id = "orgs.member.transfer",
    params(("orgId" = OrgId, Path)), request_body = TransferIn,
    responses((status = 200, body = Data<Done>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn transfer_ownership(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Json(input): Json<TransferIn>,
) -> ApiResult<Data<Done>> {
    s.orgs.transfer_ownership(&scope.actor, scope.org_id, input.user_id).await?;
    Ok(Done::ok())
}
