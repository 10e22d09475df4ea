//! HTTP routes of the orgs module, one file per resource. Handlers check the
//! permission first (`scope.require`), then parse the body, then call a service.

pub mod invitations;
pub mod members;
pub mod orgs;
pub mod public;
pub mod teams;

use std::sync::Arc;

use axum::extract::FromRef;
use serde::Deserialize;
use tessera_kernel::{ApiResult, AppState, FieldError, FieldErrors};
use utoipa::IntoParams;
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

/// Page and page size of a list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page number.
    pub page: Option<u64>,
    /// Page size, 1..=100 (default 20).
    pub limit: Option<u64>,
}

impl PageQuery {
    /// `(page, limit)`, recording range errors.
    pub(crate) fn check(&self, errors: &mut FieldErrors) -> (u64, u64) {
        let limit = self.limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            errors.push(FieldError::new("limit", "OUT_OF_RANGE", "must be 1..=100"));
        }
        let page = self.page.unwrap_or(1);
        if page == 0 {
            errors.push(FieldError::new("page", "OUT_OF_RANGE", "must be at least 1"));
        }
        (page, limit)
    }

    pub fn parse(&self) -> ApiResult<(u64, u64)> {
        let mut errors = FieldErrors::new();
        let out = self.check(&mut errors);
        errors.finish()?;
        Ok(out)
    }
}
