//! The orgs module: organizations (tenants), memberships, teams and invitations.
//! (Skeleton: the module is being built; see issue 4.)

use std::sync::Arc;

use tessera_kernel::authz::{Directory, PermissionInfo};
use tessera_kernel::ids::{OrgId, TeamId, UserId};
use tessera_kernel::{ApiError, AppState, Core};
use utoipa_axum::router::OpenApiRouter;

/// Permissions this module declares and checks.
pub const PERMISSIONS: &[PermissionInfo] = &[];

/// Migrations owned by the orgs module, in order.
pub fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
    Vec::new()
}

/// The orgs module's services.
pub struct Orgs {
    #[allow(dead_code)]
    core: Core,
}

impl Orgs {
    pub fn new(core: Core) -> Arc<Self> {
        Arc::new(Self { core })
    }
}

#[async_trait::async_trait]
impl Directory for Orgs {
    async fn org_role(&self, _org: OrgId, _user: UserId) -> Result<Option<String>, ApiError> {
        Ok(None)
    }
    async fn team_role(&self, _org: OrgId, _team: TeamId, _user: UserId) -> Result<Option<String>, ApiError> {
        Ok(None)
    }
    async fn members_with_role(&self, _org: OrgId, _role: &str) -> Result<u64, ApiError> {
        Ok(0)
    }
}

/// Routes under `/api/v1`.
pub fn routes(_app: AppState, _orgs: Arc<Orgs>) -> OpenApiRouter {
    OpenApiRouter::new()
}
