//! The caller's sessions: list and revoke.

use tessera_kernel::ChangeCtx;

use crate::events;
use tessera_kernel::ids::SessionId;
use tessera_kernel::{Actor, ApiError};

use super::Identity;
use crate::entity::sessions::Model;
use crate::error::IdentityError;
use crate::store;

impl Identity {
    /// The caller's live sessions, newest first.
    pub(crate) async fn my_sessions(&self, actor: &Actor) -> Result<Vec<Model>, ApiError> {
        actor.session_user()?;
        Ok(store::sessions::active_for_user(&self.core.db.conn, actor.user_id(), self.now()).await?)
    }

    /// Revokes one of the caller's sessions; someone else's is "not found".
    pub(crate) async fn revoke_my_session(&self, actor: &Actor, id: SessionId) -> Result<(), ApiError> {
        actor.session_user()?;
        let txn = self.core.db.begin_write().await?;
        let session = store::sessions::find(&*txn, id).await?;
        let Some(session) = session.filter(|s| s.user_id == actor.user_id() && s.revoked_at.is_none()) else {
            return Err(IdentityError::SessionNotFound.into());
        };
        store::sessions::revoke(&*txn, session.id, "revoked_by_user", self.now()).await?;
        self.core
            .record_all(
                &txn,
                &ChangeCtx::platform(actor),
                events::revoked(session.user_id, &[session.id], "revoked_by_user"),
            )
            .await?;
        txn.commit().await?;
        self.forget_sessions(&[session.id]);
        Ok(())
    }
}
