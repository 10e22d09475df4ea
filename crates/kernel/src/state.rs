//! What every handler can reach: the database, configuration, clock, job queue,
//! mailer, rate limiter, keyring and the authenticator.

use std::sync::Arc;

use crate::actor::Authenticator;
use crate::clock::Clock;
use crate::config::{KernelConfig, Settings};
use crate::crypto::Keyring;
use crate::db::Db;
use crate::jobs::Jobs;
use crate::mail::Mailer;
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
}

/// The router state: the core plus the authenticator the identity module provides.
#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    pub auth: Arc<dyn Authenticator>,
}

impl std::ops::Deref for AppState {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}
