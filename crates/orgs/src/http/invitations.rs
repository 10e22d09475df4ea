//! `/orgs/{orgId}/invitations`: invite by e-mail (one, or up to 1,000 at
//! once), list, revoke, resend. All need `members:invite`.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tessera_kernel::ids::{InvitationId, OrgId, TeamId, UserId};
use tessera_kernel::permission as perm;
use tessera_kernel::{ApiError, ApiResult, Created, Data, FieldError, FieldErrors, Json, OrgScope, Page, Path, Query};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OrgsState;
use crate::entity::invitations::Model;
use crate::model::{InvitationStatus, InvitationTtl, RoleKey};
use crate::service::invitations::{BulkEntry, NewInvitation, Outcome, team_ids_of};
use tessera_kernel::PageQuery;

/// Addresses in one bulk invitation, at most.
pub const BULK_MAX: usize = 1000;

pub fn routes() -> OpenApiRouter<OrgsState> {
    OpenApiRouter::new()
        .routes(routes!(create_invitation, list_invitations))
        .routes(routes!(bulk_invite))
        .routes(routes!(revoke_invitation))
        .routes(routes!(resend_invitation))
}

/// An invitation (never its token: that travels only by e-mail).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationOut {
    pub id: InvitationId,
    pub org_id: OrgId,
    pub email: String,
    pub role: RoleKey,
    pub team_ids: Vec<TeamId>,
    pub status: InvitationStatus,
    pub invited_by: Option<UserId>,
    pub accepted_by: Option<UserId>,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: i64,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    #[serde(with = "tessera_kernel::clock::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub responded_at: Option<i64>,
}

impl InvitationOut {
    pub(crate) fn at(row: Model, now: i64) -> Self {
        Self {
            status: InvitationStatus::of(row.status, row.expires_at, now),
            team_ids: team_ids_of(&row),
            id: row.id,
            org_id: row.org_id,
            email: row.email,
            role: row.role,
            invited_by: row.invited_by,
            accepted_by: row.accepted_by,
            expires_at: row.expires_at,
            created_at: row.created_at,
            responded_at: row.responded_at,
        }
    }
}

/// A new invitation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvitationIn {
    pub email: String,
    /// A built-in role name or a custom role's id; you can give only roles whose permissions you hold.
    pub role: String,
    /// Teams the person joins (as a member) on acceptance.
    pub team_ids: Option<Vec<TeamId>>,
    /// 1..=30 (default 7).
    pub expires_in_days: Option<i64>,
}

impl InvitationIn {
    fn parse(self) -> Result<NewInvitation, ApiError> {
        let mut errors = FieldErrors::new();
        let email = errors.check(tessera_identity::api::Email::parse("email", &self.email));
        let role = errors.check(RoleKey::parse("role", &self.role));
        let ttl = errors.check(InvitationTtl::parse("expiresInDays", self.expires_in_days));
        let mut team_ids = self.team_ids.unwrap_or_default();
        team_ids.sort();
        team_ids.dedup();
        if team_ids.len() > 100 {
            errors.push(FieldError::new("teamIds", "TOO_MANY", "at most 100 teams"));
        }
        errors.finish()?;
        match (email, role, ttl) {
            (Some(email), Some(role), Some(ttl)) => {
                Ok(NewInvitation { email: email.into_inner(), role, team_ids, ttl })
            }
            _ => Err(ApiError::bad_request("invalid invitation")),
        }
    }
}

/// Invites a person by e-mail (needs `members:invite`; the role must be yours to give).
#[utoipa::path(post, path = "/orgs/{orgId}/invitations", tag = "invitations", operation_id = "orgs.invitation.create",
    params(("orgId" = OrgId, Path)), request_body = InvitationIn,
    responses((status = 201, body = Data<InvitationOut>), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn create_invitation(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Json(input): Json<InvitationIn>,
) -> ApiResult<Created<InvitationOut>> {
    scope.require(&s.app, perm::MEMBERS_INVITE).await?;
    let new = input.parse()?;
    let row = s.orgs.create_invitation(&scope.actor, scope.org_id, new).await?;
    Ok(Created(InvitationOut::at(row, s.app.clock.now_ms())))
}

/// Up to 1,000 invitations.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkIn {
    pub invitations: Vec<serde_json::Value>,
}

/// What happened to one address.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkResult {
    /// Position in the request.
    pub index: usize,
    pub email: String,
    /// `created`, `already_member`, `already_invited` or `invalid`.
    pub outcome: &'static str,
    pub invitation: Option<InvitationOut>,
    /// Why it is invalid: `{code, message, details}`.
    pub error: Option<serde_json::Value>,
}

/// Counts per outcome.
#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkSummary {
    pub created: usize,
    pub already_member: usize,
    pub already_invited: usize,
    pub invalid: usize,
}

/// The outcome of every address of a bulk invitation.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkOut {
    pub results: Vec<BulkResult>,
    pub summary: BulkSummary,
}

/// Parses one entry of a bulk invitation, keeping its address for the report.
fn bulk_entry(value: serde_json::Value) -> BulkEntry {
    let email = value.get("email").and_then(|e| e.as_str()).unwrap_or_default().trim().to_lowercase();
    let parsed =
        tessera_kernel::extract::parse_json::<InvitationIn>(value.to_string().as_bytes()).and_then(InvitationIn::parse);
    BulkEntry { email, parsed }
}

/// Invites up to 1,000 addresses at once, reporting each one's outcome
/// (`created`, `already_member`, `already_invited`, `invalid`).
#[utoipa::path(post, path = "/orgs/{orgId}/invitations/bulk", tag = "invitations", operation_id = "orgs.invitation.bulk",
    params(("orgId" = OrgId, Path)), request_body = BulkIn,
    responses((status = 200, body = Data<BulkOut>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn bulk_invite(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Json(input): Json<BulkIn>,
) -> ApiResult<Data<BulkOut>> {
    scope.require(&s.app, perm::MEMBERS_INVITE).await?;
    if input.invitations.is_empty() || input.invitations.len() > BULK_MAX {
        return Err(FieldError::new("invitations", "OUT_OF_RANGE", "must hold 1 to 1000 invitations").into());
    }
    let entries: Vec<BulkEntry> = input.invitations.into_iter().map(bulk_entry).collect();
    let emails: Vec<String> = entries.iter().map(|e| e.email.clone()).collect();
    let outcomes = s.orgs.invite_many(&scope.actor, scope.org_id, entries).await?;
    let now = s.app.clock.now_ms();
    let mut summary = BulkSummary::default();
    let results = outcomes
        .into_iter()
        .zip(emails)
        .enumerate()
        .map(|(index, (outcome, email))| {
            let (label, invitation, error) = match outcome {
                Outcome::Created(row) => {
                    summary.created += 1;
                    ("created", Some(InvitationOut::at(*row, now)), None)
                }
                Outcome::AlreadyMember => {
                    summary.already_member += 1;
                    ("already_member", None, None)
                }
                Outcome::AlreadyInvited => {
                    summary.already_invited += 1;
                    ("already_invited", None, None)
                }
                Outcome::Invalid(err) => {
                    summary.invalid += 1;
                    let error = serde_json::json!({ "code": err.code, "message": err.message, "details": err.details });
                    ("invalid", None, Some(error))
                }
            };
            BulkResult { index, email, outcome: label, invitation, error }
        })
        .collect();
    Ok(Data::new(BulkOut { results, summary }))
}

/// Query of the invitation list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListInvitationsQuery {
    pub page: Option<u64>,
    pub limit: Option<u64>,
    pub status: Option<InvitationStatus>,
}

/// The organization's invitations, newest first (needs `members:invite`).
#[utoipa::path(get, path = "/orgs/{orgId}/invitations", tag = "invitations", operation_id = "orgs.invitation.list",
    params(("orgId" = OrgId, Path), ListInvitationsQuery),
    responses((status = 200, body = Page<InvitationOut>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn list_invitations(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Query(q): Query<ListInvitationsQuery>,
) -> ApiResult<Page<InvitationOut>> {
    scope.require(&s.app, perm::MEMBERS_INVITE).await?;
    let page = PageQuery { page: q.page, limit: q.limit }.parse()?;
    let (rows, total) = s.orgs.list_invitations(scope.org_id, q.status, page).await?;
    let now = s.app.clock.now_ms();
    Ok(Page::new(rows.into_iter().map(|r| InvitationOut::at(r, now)).collect(), page.meta(total)))
}

/// Revokes a pending invitation; its link stops working (needs `members:invite`).
#[utoipa::path(delete, path = "/orgs/{orgId}/invitations/{invitationId}", tag = "invitations",
    operation_id = "orgs.invitation.revoke",
    params(("orgId" = OrgId, Path), ("invitationId" = InvitationId, Path)),
    responses((status = 200, body = Data<InvitationOut>), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
async fn revoke_invitation(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Path((_, id)): Path<(OrgId, InvitationId)>,
) -> ApiResult<Data<InvitationOut>> {
    scope.require(&s.app, perm::MEMBERS_INVITE).await?;
    let row = s.orgs.revoke_invitation(&scope.actor, scope.org_id, id).await?;
    Ok(Data::new(InvitationOut::at(row, s.app.clock.now_ms())))
}

/// Sends an invitation again with a new link and expiry; the old link stops working (needs `members:invite`).
#[utoipa::path(post, path = "/orgs/{orgId}/invitations/{invitationId}/resend", tag = "invitations",
    operation_id = "orgs.invitation.resend",
    params(("orgId" = OrgId, Path), ("invitationId" = InvitationId, Path)),
    responses((status = 200, body = Data<InvitationOut>), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
async fn resend_invitation(
    State(s): State<OrgsState>,
    scope: OrgScope,
    Path((_, id)): Path<(OrgId, InvitationId)>,
) -> ApiResult<Data<InvitationOut>> {
    scope.require(&s.app, perm::MEMBERS_INVITE).await?;
    let row = s.orgs.resend_invitation(&scope.actor, scope.org_id, id).await?;
    Ok(Data::new(InvitationOut::at(row, s.app.clock.now_ms())))
}
