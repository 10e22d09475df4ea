//! An organization deleted takes its endpoints (sealed secrets, custom headers)
//! and their delivery history with it, in the deleting transaction.

use std::sync::{Arc, Weak};

use sea_orm::DatabaseTransaction;
use tessera_kernel::ApiError;
use tessera_kernel::authz::OrgCleanup;
use tessera_kernel::ids::OrgId;

use super::Webhooks;
use crate::store;

/// Registers the part; it holds the module weakly, so the core does not keep it alive in a cycle.
pub(crate) fn register(hooks: &Arc<Webhooks>) {
    hooks.core.org_cleanup.register(Arc::new(Cleanup(Arc::downgrade(hooks))));
}

struct Cleanup(Weak<Webhooks>);

#[async_trait::async_trait]
impl OrgCleanup for Cleanup {
    async fn org_deleted(&self, txn: &DatabaseTransaction, org: OrgId) -> Result<(), ApiError> {
        let hooks = self.0.upgrade().ok_or_else(|| ApiError::unavailable("the webhooks module is shutting down"))?;
        let ids = store::endpoints::ids_of_org(txn, org).await?;
        if ids.is_empty() {
            return Ok(());
        }
        store::attempts::delete_of_endpoints(txn, ids.clone()).await?;
        store::deliveries::delete_of_org(txn, org).await?;
        store::endpoints::delete_of_org(txn, org).await?;
        for id in &ids {
            hooks.endpoints.invalidate(id);
        }
        Ok(())
    }
}
