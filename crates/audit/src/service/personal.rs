//! The audit module's part of a user's personal data: the entries they are the
//! actor of (directly or through a key they own) go into their export; erasure
//! pseudonymizes entries and never deletes them. The chain covers only salted
//! commitments to the personal fields, so it still verifies afterwards.
//!
//! The audit module registers its part after every other module's, so the
//! entries those parts (and the account deletion itself) record during the
//! erasure are pseudonymized too.

use sea_orm::DatabaseTransaction;
use serde_json::Value;
use tessera_kernel::audit::RequestInfo;
use tessera_kernel::clock::Clock;
use tessera_kernel::db::Db;
use tessera_kernel::ids::UserId;
use tessera_kernel::personal::PersonalData;
use tessera_kernel::{ApiError, Core};

use crate::model::EntryOut;
use crate::store;

/// The `auditEntries` section.
pub struct AuditEntries {
    db: Db,
    clock: Clock,
}

impl AuditEntries {
    pub fn new(core: &Core) -> Self {
        Self { db: core.db.clone(), clock: core.clock.clone() }
    }
}

#[async_trait::async_trait]
impl PersonalData for AuditEntries {
    fn section(&self) -> &'static str {
        "auditEntries"
    }

    async fn export(&self, user: UserId) -> Result<Value, ApiError> {
        let rows = store::by_actor(&self.db.conn, user).await?;
        let entries: Vec<EntryOut> = rows.into_iter().map(EntryOut::from).collect();
        serde_json::to_value(entries).map_err(ApiError::internal)
    }

    async fn erase(&self, txn: &DatabaseTransaction, user: UserId) -> Result<(), ApiError> {
        let now = self.clock.now_ms();
        let mut changed = store::erase_person(txn, user, now).await?;
        // What the system records in this request on the person's behalf (the
        // cascade of an account deletion) carries the address of whoever asked.
        let info = RequestInfo::current();
        if let (Some(request_id), Some(ip)) = (&info.request_id, &info.ip) {
            changed += store::erase_request_client(txn, request_id, ip, info.user_agent.as_deref(), now).await?;
        }
        tracing::info!(user = %user, entries = changed, "audit entries pseudonymized");
        Ok(())
    }
}
