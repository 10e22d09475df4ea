//! The audit module: a tamper-evident audit log every module writes through one
//! path, with per-organization hash chains, queries, exports, verification,
//! retention, and the GDPR export of everything tessera holds about a user.

mod chain;
mod commitments;
mod config;
mod entity;
mod http;
mod migration;
mod model;
mod service;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;
use tessera_kernel::Permission;

use tessera_kernel::authz::PermissionInfo;
use tessera_kernel::module::{Routes, Running, Stop, Wiring};
use tessera_kernel::{ApiError, AppState, Module};

pub use config::AuditConfig;
use service::Audit;

/// The permission `audit:read`.
pub const AUDIT_READ: Permission = Permission::declare("audit:read");
/// The permission `audit:export`.
pub const AUDIT_EXPORT: Permission = Permission::declare("audit:export");

/// The audit module: it keeps the log every other module records into.
pub struct AuditModule;

#[async_trait::async_trait]
impl Module for AuditModule {
    const NAME: &'static str = "audit";
    const DEFAULT_CONFIG: &'static str = include_str!("../audit.default.toml");
    const PERMISSIONS: &'static [PermissionInfo] = &[
        PermissionInfo::new("audit", AUDIT_READ, "Read and verify the organization's audit log"),
        PermissionInfo::new("audit", AUDIT_EXPORT, "Export the organization's audit log"),
    ];
    type Config = AuditConfig;

    fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        migration::migrations()
    }

    async fn build(config: AuditConfig, wiring: &mut Wiring) -> Result<Arc<dyn Running>, ApiError> {
        let core = wiring.core.clone();
        if core.audit.set(Arc::new(chain::AuditLog::new(core.clock.clone()))).is_err() {
            return Err(ApiError::internal("two modules keep the audit log"));
        }
        Ok(Audit::new(core, config))
    }
}

#[async_trait::async_trait]
impl Running for Audit {
    fn routes(self: Arc<Self>, app: &AppState) -> Routes {
        Routes::api(http::api_routes(http::AuditState { app: app.clone(), audit: self }))
    }

    fn start(self: Arc<Self>, stop: &Stop) -> Vec<tokio::task::JoinHandle<()>> {
        self.start_retention(stop.clone()).into_iter().collect()
    }
}
