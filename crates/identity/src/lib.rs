//! The identity module: users, credentials, sessions, access and refresh tokens,
//! JWKS, password flows, profiles and platform administration of accounts.
//! Other modules use [`api`]; everything else is the module's own.

pub mod api;
mod config;
mod entity;
mod error;
pub mod events;
mod http;
mod jwt;
mod mails;
mod migration;
mod model;
mod password;
mod personal;
mod service;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;
use std::time::Duration;

use tessera_kernel::event_types::EventType;
use tessera_kernel::module::{Routes, Running, Stop, Wiring};
use tessera_kernel::reseal::{SealedColumn, SealedForm};
use tessera_kernel::{ApiError, AppState, Module};
use utoipa_axum::router::OpenApiRouter;

pub use config::{IdentityConfig, LockoutConfig, PasswordConfig};
use service::{Identity, IdentityAuthenticator};

/// The identity module: it authenticates every bearer credential that is not
/// another module's (API keys), and provides [`api::Identity`].
pub struct IdentityModule;

#[async_trait::async_trait]
impl Module for IdentityModule {
    const NAME: &'static str = "identity";
    const DEFAULT_CONFIG: &'static str = include_str!("../identity.default.toml");
    const EVENT_TYPES: &'static [EventType] = events::EVENT_TYPES;
    const SEALED: &'static [SealedColumn] = &[SealedColumn {
        table: "signing_keys",
        column: "private_sealed",
        purpose: jwt::PURPOSE,
        form: SealedForm::Text,
    }];
    type Config = IdentityConfig;

    fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        migration::migrations()
    }

    async fn build(config: IdentityConfig, wiring: &mut Wiring) -> Result<Arc<dyn Running>, ApiError> {
        let identity = Identity::new(wiring.core.clone(), config).await?;
        wiring.provide(identity.clone());
        wiring.authenticate("", Arc::new(IdentityAuthenticator(identity.clone())));
        Ok(identity)
    }
}

#[async_trait::async_trait]
impl Running for Identity {
    fn routes(self: Arc<Self>, app: &AppState) -> Routes {
        let state = http::IdentityState { app: app.clone(), id: self };
        let root = http::root_routes(state.clone()).merge(OpenApiRouter::from(http::pages::routes()));
        Routes::api(http::api_routes(state)).with_root(root)
    }

    /// Picks up keys rotated by another node or by `tessera keys rotate`.
    fn start(self: Arc<Self>, stop: &Stop) -> Vec<tokio::task::JoinHandle<()>> {
        let period = Duration::from_secs(30);
        let refresh = tessera_kernel::jobs::every(period, period, stop.clone(), move || {
            let identity = self.clone();
            async move { identity.tokens().refresh_if_older(period).await }
        });
        vec![refresh]
    }
}
