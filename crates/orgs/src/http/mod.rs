//! HTTP routes of the orgs module, one file per resource. Handlers check the
//! permission first (`scope.require`), then parse the body, then call a service.

pub mod invitations;
pub mod members;
pub mod orgs;
pub mod public;
pub mod teams;

use std::sync::Arc;

use axum::extract::FromRef;
use tessera_kernel::AppState;
use utoipa_axum::router::OpenApiRouter;

use crate::service::Orgs;

/// Router state: the application plus the orgs services.
#[derive(Clone)]
pub struct OrgsState {
    pub app: AppState,
    pub orgs: Arc<Orgs>,
}

impl FromRef<OrgsState> for AppState {
    fn from_ref(s: &OrgsState) -> AppState {
        s.app.clone()
    }
}

/// Routes under `/api/v1`.
pub fn routes(state: OrgsState) -> OpenApiRouter {
    OpenApiRouter::new()
        .merge(orgs::routes())
        .merge(members::routes())
        .merge(teams::routes())
        .merge(invitations::routes())
        .merge(public::routes())
        .with_state(state)
}
