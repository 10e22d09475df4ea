//! `/orgs/{orgId}/teams`: teams and their seats. Managing a team takes
//! `teams:manage` on it: organization admins and owners, or the team's admins.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tessera_kernel::authz::ResourceRef;
use tessera_kernel::fields::parse_name;
use tessera_kernel::ids::{OrgId, TeamId, UserId};
use tessera_kernel::permission as perm;
use tessera_kernel::{Actor, ApiResult, Created, Data, FieldErrors, Json, NoContent, OrgScope, Page, Path, Query};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OrgsState;
use crate::entity::teams::Model;
use crate::model::{self, TeamRole};
use crate::service::teams::{NewTeam, SeatView, TeamPatch};
use tessera_kernel::PageQuery;

pub fn routes() -> OpenApiRouter<OrgsState> {
    OpenApiRouter::new()
        .routes(routes!(create_team, list_teams))
        .routes(routes!(get_team, update_team, delete_team))
        .routes(routes!(add_team_member, list_team_members))
        .routes(routes!(change_team_member, remove_team_member))
}

/// A team.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamOut {
    pub id: TeamId,
    pub org_id: OrgId,
    pub name: String,
    pub description: Option<String>,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: i64,
}

impl From<Model> for TeamOut {
    fn from(t: Model) -> Self {
        Self {
            id: t.id,
            org_id: t.org_id,
            name: t.name,
            description: t.description,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// A seat in a team.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamMemberOut {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    /// `admin`, `member` or `viewer`.
    pub role: TeamRole,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub added_at: i64,
}

impl From<SeatView> for TeamMemberOut {
    fn from(v: SeatView) -> Self {
        Self { user_id: v.user_id, email: v.email, name: v.name, role: v.role, added_at: v.added_at }
    }
}

/// A new team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeamIn {
    /// Unique within the organization.
    pub name: String,
    pub description: Option<String>,
}

/// Creates a team (needs `teams:create`); you become its admin.
#[utoipa::path(post, path = "/orgs/{orgId}/teams", tag = "teams", operation_id = "orgs.team.create",
    params(("orgId" = OrgId, Path)), request_body = TeamIn,
    responses((status = 201, body = Data<TeamOut>), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn create_team(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Json(input): Json<TeamIn>,
) -> ApiResult<Created<TeamOut>> {
    scope.require(&s.app, perm::TEAMS_CREATE).await?;
    let mut errors = FieldErrors::new();
    let name = errors.check(parse_name("name", &input.name));
    let description = input.description.and_then(|d| errors.check(model::parse_description("description", &d)));
    errors.finish()?;
    let new = NewTeam { name: name.unwrap_or_default(), description: description.filter(|d| !d.is_empty()) };
    Ok(Created(s.orgs.create_team(&scope.actor, scope.org_id, new).await?.into()))
}

/// The organization's teams, by name (needs `teams:read`).
#[utoipa::path(get, path = "/orgs/{orgId}/teams", tag = "teams", operation_id = "orgs.team.list",
    params(("orgId" = OrgId, Path), PageQuery),
    responses((status = 200, body = Page<TeamOut>), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn list_teams(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Query(q): Query<PageQuery>,
) -> ApiResult<Page<TeamOut>> {
    scope.require(&s.app, perm::TEAMS_READ).await?;
    let page = q.parse()?;
    let (rows, total) = s.orgs.list_teams(scope.org_id, page).await?;
    Ok(Page::new(rows.into_iter().map(TeamOut::from).collect(), page.meta(total)))
}

/// One team (needs `teams:read` on it).
#[utoipa::path(get, path = "/orgs/{orgId}/teams/{teamId}", tag = "teams", operation_id = "orgs.team.get",
    params(("orgId" = OrgId, Path), ("teamId" = TeamId, Path)),
    responses((status = 200, body = Data<TeamOut>), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_team(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Path((_, team)): Path<(OrgId, TeamId)>,
) -> ApiResult<Data<TeamOut>> {
    scope.require_on(&s.app, perm::TEAMS_READ, &ResourceRef::team(team)).await?;
    Ok(Data::new(s.orgs.get_team(scope.org_id, team).await?.into()))
}

/// Changes to a team; absent fields stay, a null description clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeamPatchIn {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "tessera_kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
}

/// Changes a team (needs `teams:manage` on it).
#[utoipa::path(patch, path = "/orgs/{orgId}/teams/{teamId}", tag = "teams", operation_id = "orgs.team.update",
    params(("orgId" = OrgId, Path), ("teamId" = TeamId, Path)), request_body = TeamPatchIn,
    responses((status = 200, body = Data<TeamOut>), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn update_team(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Path((_, team)): Path<(OrgId, TeamId)>,
    Json(input): Json<TeamPatchIn>,
) -> ApiResult<Data<TeamOut>> {
    scope.require_on(&s.app, perm::TEAMS_MANAGE, &ResourceRef::team(team)).await?;
    let mut errors = FieldErrors::new();
    let name = input.name.and_then(|n| errors.check(parse_name("name", &n)));
    let description = match input.description {
        Some(Some(d)) => errors
            .check(model::parse_description("description", &d))
            .map(|d| Some(d).filter(|d: &String| !d.is_empty())),
        Some(None) => Some(None),
        None => None,
    };
    errors.finish()?;
    Ok(Data::new(s.orgs.update_team(&scope.actor, scope.org_id, team, TeamPatch { name, description }).await?.into()))
}

/// Deletes a team and its seats (needs `teams:manage` on it).
#[utoipa::path(delete, path = "/orgs/{orgId}/teams/{teamId}", tag = "teams", operation_id = "orgs.team.delete",
    params(("orgId" = OrgId, Path), ("teamId" = TeamId, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_team(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Path((_, team)): Path<(OrgId, TeamId)>,
) -> ApiResult<NoContent> {
    scope.require_on(&s.app, perm::TEAMS_MANAGE, &ResourceRef::team(team)).await?;
    s.orgs.delete_team(&scope.actor, scope.org_id, team).await?;
    Ok(NoContent)
}

/// A seat to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeamMemberIn {
    /// A member of the organization.
    pub user_id: UserId,
    /// `admin`, `member` (default) or `viewer`.
    pub role: Option<TeamRole>,
}

/// Adds a member of the organization to the team (needs `teams:manage` on it).
#[utoipa::path(post, path = "/orgs/{orgId}/teams/{teamId}/members", tag = "teams", operation_id = "orgs.team.member.add",
    params(("orgId" = OrgId, Path), ("teamId" = TeamId, Path)), request_body = TeamMemberIn,
    responses((status = 201, body = Data<TeamMemberOut>), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn add_team_member(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Path((_, team)): Path<(OrgId, TeamId)>,
    Json(input): Json<TeamMemberIn>,
) -> ApiResult<Created<TeamMemberOut>> {
    scope.require_on(&s.app, perm::TEAMS_MANAGE, &ResourceRef::team(team)).await?;
    let role = input.role.unwrap_or(TeamRole::Member);
    Ok(Created(s.orgs.add_team_member(&scope.actor, scope.org_id, team, input.user_id, role).await?.into()))
}

/// The team's seats, oldest first (needs `teams:read` on it).
#[utoipa::path(get, path = "/orgs/{orgId}/teams/{teamId}/members", tag = "teams", operation_id = "orgs.team.member.list",
    params(("orgId" = OrgId, Path), ("teamId" = TeamId, Path), PageQuery),
    responses((status = 200, body = Page<TeamMemberOut>), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn list_team_members(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Path((_, team)): Path<(OrgId, TeamId)>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Page<TeamMemberOut>> {
    scope.require_on(&s.app, perm::TEAMS_READ, &ResourceRef::team(team)).await?;
    let page = q.parse()?;
    let (rows, total) = s.orgs.list_team_members(scope.org_id, team, page).await?;
    Ok(Page::new(rows.into_iter().map(TeamMemberOut::from).collect(), page.meta(total)))
}

/// A seat's new role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeamMemberPatch {
    pub role: TeamRole,
}

/// Changes a seat's role (needs `teams:manage` on the team).
#[utoipa::path(patch, path = "/orgs/{orgId}/teams/{teamId}/members/{userId}", tag = "teams",
    operation_id = "orgs.team.member.update",
    params(("orgId" = OrgId, Path), ("teamId" = TeamId, Path), ("userId" = UserId, Path)), request_body = TeamMemberPatch,
    responses((status = 200, body = Data<TeamMemberOut>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn change_team_member(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Path((_, team, user)): Path<(OrgId, TeamId, UserId)>,
    Json(input): Json<TeamMemberPatch>,
) -> ApiResult<Data<TeamMemberOut>> {
    scope.require_on(&s.app, perm::TEAMS_MANAGE, &ResourceRef::team(team)).await?;
    Ok(Data::new(s.orgs.change_team_role(&scope.actor, scope.org_id, team, user, input.role).await?.into()))
}

/// Removes a seat (needs `teams:manage` on the team, or is yourself leaving it).
#[utoipa::path(delete, path = "/orgs/{orgId}/teams/{teamId}/members/{userId}", tag = "teams",
    operation_id = "orgs.team.member.remove",
    params(("orgId" = OrgId, Path), ("teamId" = TeamId, Path), ("userId" = UserId, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn remove_team_member(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Path((_, team, user)): Path<(OrgId, TeamId, UserId)>,
) -> ApiResult<NoContent> {
    let leaving = matches!(&scope.actor, Actor::User(u) if u.user_id == user);
    if !leaving {
        scope.require_on(&s.app, perm::TEAMS_MANAGE, &ResourceRef::team(team)).await?;
    }
    s.orgs.remove_team_member(&scope.actor, scope.org_id, team, user).await?;
    Ok(NoContent)
}
