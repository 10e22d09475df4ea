//! HTTP routes of the access module, one file per resource.

pub mod api_keys;
pub mod checks;
pub mod grants;
pub mod permissions;
pub mod roles;

use std::sync::Arc;

use axum::extract::FromRef;
use tessera_kernel::{AppState, FieldError, FieldErrors};
use utoipa_axum::router::OpenApiRouter;

use crate::service::Access;

/// Router state: the application plus the access services.
#[derive(Clone)]
pub struct AccessState {
    pub app: AppState,
    pub access: Arc<Access>,
}

impl FromRef<AccessState> for AppState {
    fn from_ref(s: &AccessState) -> AppState {
        s.app.clone()
    }
}

/// Routes under `/api/v1`.
pub fn api_routes(state: AccessState) -> OpenApiRouter {
    OpenApiRouter::new()
        .merge(permissions::routes())
        .merge(roles::routes())
        .merge(grants::routes())
        .merge(checks::routes())
        .merge(api_keys::routes())
        .with_state(state)
}

/// Turns the per-field errors of a permission list into the error list.
pub(crate) fn push_all(errors: &mut FieldErrors, list: Vec<FieldError>) {
    for e in list {
        errors.push(e);
    }
}
