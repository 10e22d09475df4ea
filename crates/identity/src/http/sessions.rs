//! `/sessions`: the caller's sign-ins, and revoking one.

use axum::extract::State;
use serde::Serialize;
use tessera_kernel::ids::SessionId;
use tessera_kernel::{Actor, ApiResult, Data, NoContent, Path};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::IdentityState;
use crate::entity::sessions::Model;

/// A session of the caller.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionOut {
    pub id: SessionId,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_used_at: i64,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: i64,
    /// Whether this is the session of the token making the request.
    pub current: bool,
}

impl SessionOut {
    fn new(s: &Model, current: SessionId) -> Self {
        Self {
            id: s.id,
            user_agent: s.user_agent.clone(),
            ip: s.ip.clone(),
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
            current: s.id == current,
        }
    }
}

pub fn routes() -> OpenApiRouter<IdentityState> {
    OpenApiRouter::new().routes(routes!(list_sessions)).routes(routes!(revoke_session))
}

/// The caller's live sessions, newest first.
#[utoipa::path(get, path = "/sessions", tag = "sessions", operation_id = "identity.sessions.list",
    responses((status = 200, body = Data<Vec<SessionOut>>), (status = 401), (status = 403, description = "FORBIDDEN: an API key cannot; sign in")),
    security(("bearer" = [])))]
async fn list_sessions(State(s): State<IdentityState>, actor: Actor) -> ApiResult<Data<Vec<SessionOut>>> {
    let me = actor.session_user()?;
    let sessions = s.id.my_sessions(&actor).await?;
    Ok(Data::new(sessions.iter().map(|x| SessionOut::new(x, me.session_id)).collect()))
}

/// Revokes one of the caller's sessions.
#[utoipa::path(delete, path = "/sessions/{sessionId}", tag = "sessions", operation_id = "identity.sessions.revoke",
    params(("sessionId" = SessionId, Path)),
    responses((status = 204), (status = 401), (status = 403, description = "FORBIDDEN: an API key cannot; sign in"), (status = 404)),
    security(("bearer" = [])))]
async fn revoke_session(
    State(s): State<IdentityState>,
    actor: Actor,
    Path(id): Path<SessionId>,
) -> ApiResult<NoContent> {
    s.id.revoke_my_session(&actor, id).await?;
    Ok(NoContent)
}
