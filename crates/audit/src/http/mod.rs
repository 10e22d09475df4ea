//! HTTP routes of the audit module: organization and platform listings, exports
//! and verification, and the caller's personal-data export.

pub mod logs;
pub mod me;
pub mod query;
pub mod verify;

use std::sync::Arc;

use axum::extract::FromRef;
use tessera_kernel::AppState;
use utoipa_axum::router::OpenApiRouter;

use crate::service::Audit;

/// Router state: the application plus the audit services.
#[derive(Clone)]
pub struct AuditState {
    pub app: AppState,
    pub audit: Arc<Audit>,
}

impl FromRef<AuditState> for AppState {
    fn from_ref(s: &AuditState) -> AppState {
        s.app.clone()
    }
}

/// Routes under `/api/v1`.
pub fn api_routes(state: AuditState) -> OpenApiRouter {
    OpenApiRouter::new().merge(logs::routes()).merge(verify::routes()).merge(me::routes()).with_state(state)
}
