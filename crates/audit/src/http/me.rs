//! `GET /users/me/export`: everything tessera holds about the caller, one JSON
//! document with a section per module (GDPR right of access).

use axum::extract::State;
use serde_json::Value;
use tessera_kernel::{Actor, ApiResult, Data};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AuditState;

pub fn routes() -> OpenApiRouter<AuditState> {
    OpenApiRouter::new().routes(routes!(export_me))
}

/// Everything tessera holds about the caller: profile, sessions, memberships,
/// teams, invitations, API key metadata, audit entries they acted in, and what
/// later modules add. Only the person may ask, not an API key.
#[utoipa::path(get, path = "/users/me/export", tag = "users", operation_id = "audit.me.export",
    responses((status = 200, body = Data<serde_json::Value>), (status = 401), (status = 403)), security(("bearer" = [])))]
async fn export_me(State(s): State<AuditState>, actor: Actor) -> ApiResult<Data<Value>> {
    let user = actor.session_user()?;
    Ok(Data::new(s.app.personal.export(user.user_id).await?))
}
