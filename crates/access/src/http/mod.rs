//! HTTP routes of the access module, one file per resource.

pub mod api_keys;
pub mod checks;
pub mod grants;
pub mod permissions;
pub mod roles;

use std::sync::Arc;

use axum::extract::FromRef;
use serde::Deserialize;
use tessera_kernel::{ApiError, AppState, FieldError, FieldErrors};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;

use crate::service::Access;
use crate::store::PageReq;

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

/// Page of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page number.
    pub page: Option<u64>,
    /// Page size, 1..=100 (default 20).
    pub limit: Option<u64>,
}

impl PageQuery {
    pub(crate) fn parse(page: Option<u64>, limit: Option<u64>, errors: &mut FieldErrors) -> PageReq {
        let limit = limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            errors.push(FieldError::new("limit", "OUT_OF_RANGE", "must be 1..=100"));
        }
        let page = page.unwrap_or(1);
        if page == 0 {
            errors.push(FieldError::new("page", "OUT_OF_RANGE", "must be at least 1"));
        }
        PageReq { page, limit }
    }

    pub(crate) fn into_req(self) -> Result<PageReq, ApiError> {
        let mut errors = FieldErrors::new();
        let req = Self::parse(self.page, self.limit, &mut errors);
        errors.finish()?;
        Ok(req)
    }
}

/// Turns the per-field errors of a permission list into the error list.
pub(crate) fn push_all(errors: &mut FieldErrors, list: Vec<FieldError>) {
    for e in list {
        errors.push(e);
    }
}
