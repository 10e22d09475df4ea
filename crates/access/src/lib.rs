//! The access module: the permission catalogue, built-in and custom roles, the
//! one check every handler asks (the kernel's `Authorizer`), direct grants on
//! single resources, `/authz/check` for other services, and API keys
//! (organization and personal), which it also authenticates.

mod config;
mod entity;
mod error;
pub mod events;
mod http;
mod migration;
mod model;
mod service;
mod store;

use std::sync::Arc;

use tessera_kernel::actor::API_KEY_PREFIX;
use tessera_kernel::authz::{Directory, PermissionInfo};
use tessera_kernel::event_types::EventType;
use tessera_kernel::module::{Routes, Running, Wiring};
use tessera_kernel::{ApiError, AppState, Module};

pub use config::AccessConfig;
use service::Access;

/// The access module: it needs the kernel's [`Directory`] (the orgs module),
/// decides every permission check and authenticates API keys (`tsk_…`).
pub struct AccessModule;

#[async_trait::async_trait]
impl Module for AccessModule {
    const NAME: &'static str = "access";
    const DEFAULT_CONFIG: &'static str = include_str!("../access.default.toml");
    const PERMISSIONS: &'static [PermissionInfo] = model::PERMISSIONS;
    const EVENT_TYPES: &'static [EventType] = events::EVENT_TYPES;
    type Config = AccessConfig;

    fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        migration::migrations()
    }

    async fn build(config: AccessConfig, wiring: &mut Wiring) -> Result<Arc<dyn Running>, ApiError> {
        let directory = wiring.get::<dyn Directory>()?;
        let access = Access::new(wiring.core.clone(), config, directory);
        if wiring.core.authz.set(access.clone()).is_err() {
            return Err(ApiError::internal("two modules decide permissions"));
        }
        wiring.authenticate(API_KEY_PREFIX, access.clone());
        Ok(access)
    }
}

#[async_trait::async_trait]
impl Running for Access {
    fn routes(self: Arc<Self>, app: &AppState) -> Routes {
        Routes::api(http::api_routes(http::AccessState { app: app.clone(), access: self }))
    }
}
