//! What every handler can reach: the database, configuration, clock, job queue,
//! mailer, rate limiter, keyring, audit sink, personal-data registry, and the
//! authenticator and authorizer.

use std::sync::Arc;

use std::sync::OnceLock;

use crate::actor::Authenticator;
use crate::audit::AuditSink;
use crate::authz::{Authorizer, OrgCleanupRegistry, PermissionInfo};
use crate::bus::Bus;
use crate::clock::Clock;
use crate::config::{KernelConfig, Settings};
use crate::crypto::Keyring;
use crate::db::Db;
use crate::error::ApiError;
use crate::event_types::EventType;
use crate::jobs::Jobs;
use crate::mail::Mailer;
use crate::personal::PersonalDataRegistry;
use crate::ratelimit::RateLimiter;
use crate::redis::Redis;

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
    /// The Redis the nodes share limits and strikes through (`redis.url`), if any.
    pub redis: Option<Arc<Redis>>,
    pub keyring: Arc<Keyring>,
    /// Where every change records its audit entry: set once, by the module that
    /// keeps the audit log, while modules are built (see [`CoreParts::audit_sink`]).
    pub audit: OnceLock<Arc<dyn AuditSink>>,
    /// Decides what actors may do: set once, by the module that keeps roles and
    /// permissions, while modules are built (see [`CoreParts::authorizer`]).
    pub authz: OnceLock<Arc<dyn Authorizer>>,
    /// Each module's part of a user's personal data.
    pub personal: Arc<PersonalDataRegistry>,
    /// What other modules do when an organization is deleted.
    pub org_cleanup: Arc<OrgCleanupRegistry>,
    /// Subscribers, watchers and delivery reports modules registered.
    pub bus: Arc<Bus>,
    /// Every module's permissions, for `GET /permissions` and role definitions.
    pub permissions: Arc<Vec<PermissionInfo>>,
    /// Every module's event types, for `GET /event-types`.
    pub event_types: Arc<Vec<EventType>>,
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
    /// The authorizer the access module set; checks fail plainly without one.
    pub fn authorizer(&self) -> Result<&Arc<dyn Authorizer>, ApiError> {
        self.authz.get().ok_or_else(|| ApiError::internal("no module decides permissions (compose the access module)"))
    }

    /// The audit sink the audit module set; recording fails plainly without one.
    pub fn audit_sink(&self) -> Result<&Arc<dyn AuditSink>, ApiError> {
        self.audit.get().ok_or_else(|| ApiError::internal("no module keeps the audit log (compose the audit module)"))
    }
}
