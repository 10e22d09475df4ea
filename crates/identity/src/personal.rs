//! The identity module's part of a user's personal data: the profile and the
//! sessions (devices, addresses). Erasure is the account deletion itself.

use sea_orm::DatabaseTransaction;
use serde_json::{Value, json};
use tessera_kernel::ids::UserId;
use tessera_kernel::personal::PersonalData;
use tessera_kernel::{ApiError, Core};

use crate::model::UserOut;
use crate::store;

pub(crate) struct Profile {
    pub(crate) core: Core,
}

#[async_trait::async_trait]
impl PersonalData for Profile {
    fn section(&self) -> &'static str {
        "profile"
    }

    async fn export(&self, user: UserId) -> Result<Value, ApiError> {
        let db = &self.core.db.conn;
        let Some(u) = store::users::find(db, user).await? else { return Ok(Value::Null) };
        let sessions = store::sessions::active_for_user(db, user, self.core.clock.now_ms()).await?;
        let sessions: Vec<Value> = sessions
            .iter()
            .map(|s| {
                json!({
                    "id": s.id, "userAgent": s.user_agent, "ip": s.ip,
                    "createdAt": tessera_kernel::clock::rfc3339_string(s.created_at),
                    "lastUsedAt": tessera_kernel::clock::rfc3339_string(s.last_used_at),
                })
            })
            .collect();
        Ok(json!({ "user": UserOut::from(&u), "sessions": sessions }))
    }

    async fn erase(&self, _txn: &DatabaseTransaction, _user: UserId) -> Result<(), ApiError> {
        // The account row, its sessions and tokens are deleted by the caller.
        Ok(())
    }
}
