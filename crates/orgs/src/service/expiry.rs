//! Invitations expire on time, not only when someone next looks at them: each
//! one schedules a job at its expiry (a resend schedules another), which marks
//! it expired with its `invitation.expired` event if it is still pending and due.

use std::sync::{Arc, Weak};

use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_kernel::ApiError;
use tessera_kernel::ids::{InvitationId, OrgId};
use tessera_kernel::jobs::{JobError, JobHandler};

use super::Orgs;
use crate::entity::invitations::Model;
use crate::model::InvitationStatus;
use crate::store;

/// The job kind.
pub(crate) const JOB_KIND: &str = "orgs.invitation.expire";

#[derive(Serialize, Deserialize)]
struct Payload {
    org: OrgId,
    id: InvitationId,
}

/// Runs the expiry jobs (holding the module weakly: the core keeps the handler).
pub(crate) struct ExpireInvitation(pub(crate) Weak<Orgs>);

#[async_trait::async_trait]
impl JobHandler for ExpireInvitation {
    async fn run(&self, payload: Value) -> Result<(), JobError> {
        let p: Payload = serde_json::from_value(payload).map_err(|e| JobError::Permanent(e.to_string()))?;
        let orgs = self.0.upgrade().ok_or_else(|| JobError::Retry("the orgs module is shutting down".into()))?;
        orgs.expire_if_due(p.org, p.id).await.map_err(|e| JobError::Retry(e.message.to_string()))
    }
}

pub(crate) fn register(orgs: &Arc<Orgs>) {
    orgs.core.jobs.register(JOB_KIND, Arc::new(ExpireInvitation(Arc::downgrade(orgs))));
}

impl Orgs {
    /// Schedules the expiry of `row` at its `expires_at`, in the transaction that set it.
    pub(crate) async fn schedule_expiry(&self, txn: &DatabaseTransaction, row: &Model) -> Result<(), ApiError> {
        let payload = Payload { org: row.org_id, id: row.id };
        self.core.jobs.enqueue_at(txn, JOB_KIND, payload, 5, row.expires_at).await?;
        Ok(())
    }

    async fn expire_if_due(&self, org: OrgId, id: InvitationId) -> Result<(), ApiError> {
        let now = self.now();
        let (txn, _) = self.begin_invitations(org).await?;
        // Gone (revoked and deleted with its org) or answered: nothing to do.
        if let Some(row) = store::invitations::find(&*txn, org, id).await?
            && row.status == InvitationStatus::Pending
            && row.expires_at <= now
        {
            self.expire_one(&txn, &row, now).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}
