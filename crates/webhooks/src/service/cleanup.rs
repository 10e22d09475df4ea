//! An organization deleted takes its endpoints (sealed secrets, custom headers)
//! and their delivery history with it, in the deleting transaction.

use std::sync::{Arc, Weak};

use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use tessera_kernel::ApiError;
use tessera_kernel::authz::OrgCleanup;
use tessera_kernel::ids::OrgId;

use super::Webhooks;
use crate::entity::{attempts, deliveries, endpoints};

/// Registers the part; it holds the module weakly, so the core does not keep it alive in a cycle.
pub(crate) fn register(hooks: &Arc<Webhooks>) {
    hooks.core.org_cleanup.register(Arc::new(Cleanup(Arc::downgrade(hooks))));
}

struct Cleanup(Weak<Webhooks>);

#[async_trait::async_trait]
impl OrgCleanup for Cleanup {
    async fn org_deleted(&self, txn: &DatabaseTransaction, org: OrgId) -> Result<(), ApiError> {
        let hooks = self.0.upgrade().ok_or_else(|| ApiError::unavailable("the webhooks module is shutting down"))?;
        let ids: Vec<_> = endpoints::Entity::find()
            .filter(endpoints::Column::OrgId.eq(org))
            .all(txn)
            .await?
            .into_iter()
            .map(|e| e.id)
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        attempts::Entity::delete_many().filter(attempts::Column::EndpointId.is_in(ids.clone())).exec(txn).await?;
        deliveries::Entity::delete_many().filter(deliveries::Column::OrgId.eq(org)).exec(txn).await?;
        endpoints::Entity::delete_many().filter(endpoints::Column::OrgId.eq(org)).exec(txn).await?;
        for id in &ids {
            hooks.endpoints.invalidate(id);
        }
        Ok(())
    }
}
