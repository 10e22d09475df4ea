//! `/invitations/{token}`: what whoever holds an invitation's link may do. See
//! what it is for (organization, inviter, role; nothing else), accept it, or
//! decline it. Accepting needs either a session whose verified address is the
//! invited one, or `{name, password}` to create that account in the same call.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tessera_identity::api::Secret;
use tessera_kernel::ids::{OrgId, TeamId, UserId};
use tessera_kernel::roles::RoleKey;
use tessera_kernel::{Actor, ApiError, ApiResult, Data, FieldError, Json, Path};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OrgsState;
use crate::service::public::Accepted;

pub fn routes() -> OpenApiRouter<OrgsState> {
    OpenApiRouter::new()
        .routes(routes!(preview_invitation))
        .routes(routes!(accept_invitation))
        .routes(routes!(decline_invitation))
}

/// What an invitation is for.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationPreviewOut {
    pub organization_name: String,
    /// The inviter's name (absent when the inviter's account is gone).
    pub inviter_name: Option<String>,
    pub role: RoleKey,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: i64,
}

/// Registration with acceptance: the new account's name and password (its
/// address is the invited one, proven by the link). Signed in, send no body (or `{}`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptIn {
    pub name: Option<String>,
    #[schema(value_type = Option<String>, format = Password)]
    pub password: Option<Secret>,
}

/// The membership an accepted invitation made.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcceptedOut {
    pub org_id: OrgId,
    pub organization_name: String,
    pub user_id: UserId,
    pub role: RoleKey,
    pub team_ids: Vec<TeamId>,
}

impl From<Accepted> for AcceptedOut {
    fn from(a: Accepted) -> Self {
        Self { org_id: a.org.id, organization_name: a.org.name, user_id: a.user_id, role: a.role, team_ids: a.teams }
    }
}

/// Result of a decline.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeclinedOut {
    pub declined: bool,
}

/// What an invitation is for: organization name, inviter and role.
#[utoipa::path(get, path = "/invitations/{token}", tag = "invitations", operation_id = "orgs.invitation.preview",
    params(("token" = String, Path)),
    responses((status = 200, body = Data<InvitationPreviewOut>), (status = 404), (status = 410)))]
async fn preview_invitation(
    State(s): State<OrgsState>,
    Path(token): Path<String>,
) -> ApiResult<Data<InvitationPreviewOut>> {
    let p = s.orgs.preview_invitation(&token).await?;
    Ok(Data::new(InvitationPreviewOut {
        organization_name: p.org_name,
        inviter_name: p.inviter_name,
        role: p.role,
        expires_at: p.expires_at,
    }))
}

/// Accepts an invitation: signed in with the invited, verified address (no
/// body), or with `{name, password}` to create that account and join at once.
#[utoipa::path(post, path = "/invitations/{token}/accept", tag = "invitations", operation_id = "orgs.invitation.accept",
    params(("token" = String, Path)), request_body(content = Option<AcceptIn>),
    responses((status = 200, body = Data<AcceptedOut>), (status = 401), (status = 403), (status = 404), (status = 409),
        (status = 410), (status = 422)),
    security((), ("bearer" = [])))]
async fn accept_invitation(
    State(s): State<OrgsState>,
    actor: Option<Actor>,
    Path(token): Path<String>,
    body: Option<Json<AcceptIn>>,
) -> ApiResult<Data<AcceptedOut>> {
    // `{}` is no registration, as no body is.
    let registration = body.map(|Json(b)| b).filter(|b| b.name.is_some() || b.password.is_some());
    let accepted = match (actor, registration) {
        (Some(actor), None) => s.orgs.accept_signed_in(&actor, &token).await?,
        (None, Some(AcceptIn { name: Some(name), password: Some(password) })) => {
            s.orgs.accept_registering(&token, &name, &password).await?
        }
        (None, Some(partial)) => {
            let missing = if partial.name.is_none() { "name" } else { "password" };
            return Err(FieldError::new(missing, "REQUIRED", "registering needs a name and a password").into());
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request("signed in: accept without a body (registration is for new accounts)"));
        }
        (None, None) => {
            return Err(ApiError::unauthorized(
                "sign in with the invited address, or send {name, password} to create that account",
            ));
        }
    };
    Ok(Data::new(accepted.into()))
}

/// Declines an invitation; its link stops working.
#[utoipa::path(post, path = "/invitations/{token}/decline", tag = "invitations", operation_id = "orgs.invitation.decline",
    params(("token" = String, Path)),
    responses((status = 200, body = Data<DeclinedOut>), (status = 404), (status = 410)),
    security((), ("bearer" = [])))]
async fn decline_invitation(
    State(s): State<OrgsState>,
    actor: Option<Actor>,
    Path(token): Path<String>,
) -> ApiResult<Data<DeclinedOut>> {
    s.orgs.decline_invitation(actor.as_ref(), &token).await?;
    Ok(Data::new(DeclinedOut { declined: true }))
}
