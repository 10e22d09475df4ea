//! HTTP routes under `/orgs/{orgId}/webhooks`: endpoints, their deliveries and
//! statistics. Reading takes `webhooks:read`, everything else `webhooks:manage`.

pub mod deliveries;
pub mod endpoints;

use std::sync::Arc;

use axum::extract::FromRef;
use tessera_kernel::AppState;
use utoipa_axum::router::OpenApiRouter;

use crate::service::Webhooks;

/// Router state: the application plus the webhooks service.
#[derive(Clone)]
pub struct HooksState {
    pub app: AppState,
    pub hooks: Arc<Webhooks>,
}

impl FromRef<HooksState> for AppState {
    fn from_ref(s: &HooksState) -> AppState {
        s.app.clone()
    }
}

pub fn routes(state: HooksState) -> OpenApiRouter {
    OpenApiRouter::new().merge(endpoints::routes()).merge(deliveries::routes()).with_state(state)
}
