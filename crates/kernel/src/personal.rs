//! Personal data across modules (GDPR). Each module that keeps data about a user
//! registers a [`PersonalData`] part: it contributes its section to the user's
//! export, may refuse an erasure (the last owner of an organization), and erases
//! or pseudonymizes its rows inside the erasure's transaction.

use std::sync::{Arc, RwLock};

use sea_orm::DatabaseTransaction;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::ids::UserId;

/// One module's part of a user's personal data.
#[async_trait::async_trait]
pub trait PersonalData: Send + Sync + 'static {
    /// The key of this part in the export document (`profile`, `memberships`, …).
    fn section(&self) -> &'static str;
    /// Everything this module holds about `user`.
    async fn export(&self, user: UserId) -> Result<Value, ApiError>;
    /// Refuses the erasure with a clear error when it cannot happen yet.
    async fn check_erasable(&self, _user: UserId) -> Result<(), ApiError> {
        Ok(())
    }
    /// Removes, revokes or pseudonymizes this module's data about `user`.
    async fn erase(&self, txn: &DatabaseTransaction, user: UserId) -> Result<(), ApiError>;
}

/// The parts every module registered at start-up.
#[derive(Default)]
pub struct PersonalDataRegistry {
    parts: RwLock<Vec<Arc<dyn PersonalData>>>,
    last: RwLock<Vec<Arc<dyn PersonalData>>>,
}

impl PersonalDataRegistry {
    pub fn register(&self, part: Arc<dyn PersonalData>) {
        if let Ok(mut parts) = self.parts.write() {
            parts.push(part);
        }
    }

    /// Registers a part that exports and erases after every other, whatever the
    /// order modules are built in (the audit log: it pseudonymizes what the other
    /// parts record while erasing).
    pub fn register_last(&self, part: Arc<dyn PersonalData>) {
        if let Ok(mut last) = self.last.write() {
            last.push(part);
        }
    }

    fn parts(&self) -> Vec<Arc<dyn PersonalData>> {
        let mut all = self.parts.read().map(|p| p.clone()).unwrap_or_default();
        all.extend(self.last.read().map(|p| p.clone()).unwrap_or_default());
        all
    }

    /// One document with every module's section.
    pub async fn export(&self, user: UserId) -> Result<Value, ApiError> {
        let mut doc = Map::new();
        for part in self.parts() {
            doc.insert(part.section().to_owned(), part.export(user).await?);
        }
        Ok(Value::Object(doc))
    }

    /// Asks every module whether `user` may be erased now.
    pub async fn check_erasable(&self, user: UserId) -> Result<(), ApiError> {
        for part in self.parts() {
            part.check_erasable(user).await?;
        }
        Ok(())
    }

    /// Erases `user` from every module, in `txn`.
    pub async fn erase(&self, txn: &DatabaseTransaction, user: UserId) -> Result<(), ApiError> {
        for part in self.parts() {
            part.erase(txn, user).await?;
        }
        Ok(())
    }
}
