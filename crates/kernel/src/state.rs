//! What every handler can reach: the database, configuration, clock, job queue,
//! mailer, rate limiter, keyring, audit sink, personal-data registry, and the
//! authenticator and authorizer.

use std::sync::Arc;

use crate::actor::Authenticator;
use crate::audit::AuditSink;
use crate::authz::{Authorizer, OrgCleanupRegistry, PermissionInfo};
use crate::clock::Clock;
use crate::config::{KernelConfig, Settings};
use crate::crypto::Keyring;
use crate::db::Db;
use crate::jobs::Jobs;
use crate::mail::Mailer;
use crate::personal::PersonalDataRegistry;
use crate::ratelimit::RateLimiter;

/// The shared services modules are built from (everything but authentication).
#[derive(Clone)]
pub struct Core {
    pub db: Db,
    pub config: Arc<KernelConfig>,
    pub settings: Settings,
    pub clock: Clock,
    pub jobs: Jobs,
    pub mailer: Arc<Mailer>,
    pub limiter: Arc<dyn RateLimiter>,
    pub keyring: Arc<Keyring>,
    /// Where every mutation records its audit entry.
    pub audit: Arc<dyn AuditSink>,
    /// Each module's part of a user's personal data.
    pub personal: Arc<PersonalDataRegistry>,
    /// What other modules do when an organization is deleted.
    pub org_cleanup: Arc<OrgCleanupRegistry>,
    /// Every module's permissions, for `GET /permissions` and role definitions.
    pub permissions: Arc<Vec<PermissionInfo>>,
}

/// The router state: the core plus what modules provide to each other: the
/// authenticator (identity, API keys) and the authorizer (access).
#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    pub auth: Arc<dyn Authenticator>,
    pub authz: Arc<dyn Authorizer>,
}

impl std::ops::Deref for AppState {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}

impl Core {
    /// Records a change in `txn`, the change's own transaction: its event in the
    /// outbox and its audit entry (the event's actor, type and organization), so
    /// both exist exactly when the change does.
    pub async fn record_change(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        event: crate::outbox::NewEvent,
        target: crate::audit::Target,
    ) -> Result<(), crate::error::ApiError> {
        let entry = target.entry(event.actor.clone(), event.event_type, event.org_id);
        crate::outbox::record(txn, self.clock.now_ms(), event).await?;
        self.audit.record(txn, entry).await?;
        Ok(())
    }
}
