//! The access module: the permission catalogue, built-in and custom roles, the
//! one check every handler asks (the kernel's `Authorizer`), direct grants on
//! single resources, `/authz/check` for other services, and API keys
//! (organization and personal), which it also authenticates.

pub mod config;
pub mod entity;
pub mod error;
pub mod events;
pub mod http;
pub mod migration;
pub mod model;
pub mod service;
pub mod store;

use std::sync::Arc;

pub use config::{AccessConfig, DEFAULT_CONFIG};
pub use events::EVENT_TYPES;
pub use http::AccessState;
pub use migration::migrations;
pub use model::PERMISSIONS;
pub use service::{Access, Subject};
use tessera_kernel::AppState;
use utoipa_axum::router::OpenApiRouter;

/// Routes under `/api/v1`.
pub fn routes(app: AppState, access: Arc<Access>) -> OpenApiRouter {
    http::api_routes(AccessState { app, access })
}
