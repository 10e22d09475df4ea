//! The audit module: a tamper-evident audit log every module writes through one
//! path, with per-organization hash chains, queries, exports, verification,
//! retention, and the GDPR export of everything tessera holds about a user.

pub mod chain;
pub mod entity;
pub mod migration;

pub use chain::AuditLog;
pub use migration::migrations;

use tessera_kernel::AppState;
use tessera_kernel::authz::PermissionInfo;
use utoipa_axum::router::OpenApiRouter;

/// Permissions this module declares and checks.
pub const PERMISSIONS: &[PermissionInfo] = &[];

/// Routes under `/api/v1`.
pub fn routes(_app: AppState) -> OpenApiRouter {
    OpenApiRouter::new()
}
