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

/// The shared services modules are built from (everything but authentication):
/// a handle, cloned for nothing more than one reference count, however many
/// services it holds (routers clone their state for every request).
#[derive(Clone)]
pub struct Core(Arc<CoreParts>);

impl Core {
    pub fn new(parts: CoreParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for Core {
    type Target = CoreParts;
    fn deref(&self) -> &CoreParts {
        &self.0
    }
}

/// What a [`Core`] holds.
pub struct CoreParts {
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
/// authenticator (identity, API keys) and the authorizer (access). A handle,
/// like [`Core`]; its parts (and through them the core's) are reached by `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

/// What an [`AppState`] holds.
pub struct AppParts {
    pub core: Core,
    pub auth: Arc<dyn Authenticator>,
    pub authz: Arc<dyn Authorizer>,
}

impl AppState {
    pub fn new(core: Core, auth: Arc<dyn Authenticator>, authz: Arc<dyn Authorizer>) -> Self {
        Self(Arc::new(AppParts { core, auth, authz }))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;
    fn deref(&self) -> &AppParts {
        &self.0
    }
}

impl std::ops::Deref for AppParts {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}

impl CoreParts {
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
