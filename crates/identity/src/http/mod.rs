//! HTTP routes of the identity module, one file per resource.

pub mod admin;
pub mod auth;
pub mod pages;
pub mod sessions;
pub mod users;
pub mod wellknown;

use std::sync::Arc;

use axum::extract::FromRef;
use tessera_kernel::AppState;
use utoipa_axum::router::OpenApiRouter;

use crate::service::Identity;

/// Router state: the application plus the identity services.
#[derive(Clone)]
pub struct IdentityState {
    pub app: AppState,
    pub id: Arc<Identity>,
}

impl FromRef<IdentityState> for AppState {
    fn from_ref(s: &IdentityState) -> AppState {
        s.app.clone()
    }
}

/// Routes under `/api/v1`.
pub fn api_routes(state: IdentityState) -> OpenApiRouter {
    OpenApiRouter::new()
        .merge(auth::routes())
        .merge(sessions::routes())
        .merge(users::routes())
        .merge(admin::routes())
        .with_state(state)
}

/// Routes at the root (`/.well-known/…`).
pub fn root_routes(state: IdentityState) -> OpenApiRouter {
    wellknown::routes().with_state(state)
}
