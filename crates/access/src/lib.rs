//! The access module: roles, permissions, checks, direct grants and API keys.
//! (Skeleton: the module is being built; see issue 4.)

use std::sync::Arc;

use tessera_kernel::actor::Authenticator;
use tessera_kernel::authz::{Authorizer, Decision, Directory, PermissionInfo, ResourceRef};
use tessera_kernel::ids::OrgId;
use tessera_kernel::{Actor, ApiError, AppState, Core};
use utoipa_axum::router::OpenApiRouter;

/// Permissions this module declares and checks.
pub const PERMISSIONS: &[PermissionInfo] = &[];

/// Migrations owned by the access module, in order.
pub fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
    Vec::new()
}

/// The access module's services.
pub struct Access {
    #[allow(dead_code)]
    core: Core,
    #[allow(dead_code)]
    directory: Arc<dyn Directory>,
}

impl Access {
    pub fn new(core: Core, directory: Arc<dyn Directory>) -> Arc<Self> {
        Arc::new(Self { core, directory })
    }
}

#[async_trait::async_trait]
impl Authorizer for Access {
    async fn check(&self, _: &Actor, _: OrgId, _: &str, _: Option<&ResourceRef>) -> Result<Decision, ApiError> {
        Ok(Decision { allowed: false, reason: "not a member".into() })
    }
    async fn can_see(&self, _: &Actor, _: OrgId) -> Result<bool, ApiError> {
        Ok(false)
    }
    async fn role_exists(&self, _: OrgId, _: &str) -> Result<bool, ApiError> {
        Ok(false)
    }
    async fn can_assign_role(&self, _: &Actor, _: OrgId, _: &str) -> Result<bool, ApiError> {
        Ok(false)
    }
}

/// Authenticates `tsk_…` API keys.
#[async_trait::async_trait]
impl Authenticator for Access {
    async fn authenticate(&self, _credential: &str) -> Result<Actor, ApiError> {
        Err(ApiError::unauthorized("the API key is invalid, revoked or expired"))
    }
}

/// Routes under `/api/v1`.
pub fn routes(_app: AppState, _access: Arc<Access>) -> OpenApiRouter {
    OpenApiRouter::new()
}
