//! The audit module: a tamper-evident audit log every module writes through one
//! path, with per-organization hash chains, queries, exports, verification,
//! retention, and the GDPR export of everything tessera holds about a user.

pub mod chain;
pub mod commitments;
pub mod config;
pub mod entity;
pub mod http;
pub mod migration;
pub mod model;
pub mod service;
pub mod store;

use std::sync::Arc;

pub use chain::AuditLog;
pub use config::{AuditConfig, DEFAULT_CONFIG};
pub use migration::migrations;
pub use service::Audit;
pub use service::retention::{self, RetentionReport};
use tessera_kernel::AppState;
use tessera_kernel::authz::PermissionInfo;
use utoipa_axum::router::OpenApiRouter;

/// Permissions this module declares and checks.
pub const PERMISSIONS: &[PermissionInfo] = &[
    PermissionInfo { key: "audit:read", description: "Read and verify the organization's audit log", module: "audit" },
    PermissionInfo { key: "audit:export", description: "Export the organization's audit log", module: "audit" },
];

/// Routes under `/api/v1`.
pub fn routes(app: AppState, audit: Arc<Audit>) -> OpenApiRouter {
    http::api_routes(http::AuditState { app, audit })
}
