//! The webhooks module: endpoints, Standard Webhooks signing, deliveries with
//! retries and leases shared by every node, and their history. It follows the
//! event log through the kernel's bus (fan-out) and reaches the organization's
//! owners and admins through the orgs module's api.

mod config;
mod entity;
pub mod events;
mod http;
mod ids;
mod migration;
mod model;
mod service;
pub mod signing;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;
use tessera_kernel::Permission;

use tessera_kernel::authz::PermissionInfo;
use tessera_kernel::event_types::EventType;
use tessera_kernel::module::{Routes, Running, Stop, Wiring};
use tessera_kernel::reseal::{SealedColumn, SealedForm};
use tessera_kernel::{ApiError, AppState, Module};
use tessera_orgs::api::Orgs;

pub use config::WebhooksConfig;
use service::Webhooks;

/// The permission `webhooks:read`.
pub const WEBHOOKS_READ: Permission = Permission::declare("webhooks:read");
/// The permission `webhooks:manage`.
pub const WEBHOOKS_MANAGE: Permission = Permission::declare("webhooks:manage");

/// The webhooks module.
pub struct WebhooksModule;

#[async_trait::async_trait]
impl Module for WebhooksModule {
    const NAME: &'static str = "webhooks";
    const DEFAULT_CONFIG: &'static str = include_str!("../webhooks.default.toml");
    const PERMISSIONS: &'static [PermissionInfo] = &[
        PermissionInfo::new("webhooks", WEBHOOKS_READ, "See webhook endpoints, deliveries and statistics"),
        PermissionInfo::new(
            "webhooks",
            WEBHOOKS_MANAGE,
            "Create, change, delete and test webhook endpoints; retry and recover deliveries",
        ),
    ];
    const EVENT_TYPES: &'static [EventType] = events::EVENT_TYPES;
    const HOT_TABLES: &'static [&'static str] = &["webhook_deliveries"];
    const SEALED: &'static [SealedColumn] = &[
        SealedColumn {
            table: "webhook_endpoints",
            column: "secret_sealed",
            purpose: service::endpoints::SEAL_PURPOSE,
            form: SealedForm::Text,
        },
        SealedColumn {
            table: "webhook_endpoints",
            column: "previous_secret_sealed",
            purpose: service::endpoints::SEAL_PURPOSE,
            form: SealedForm::Text,
        },
        SealedColumn {
            table: "webhook_endpoints",
            column: "headers",
            purpose: service::headers::SEAL_PURPOSE,
            form: SealedForm::JsonValues { key: "id" },
        },
    ];
    type Config = WebhooksConfig;

    fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        migration::migrations()
    }

    async fn build(config: WebhooksConfig, wiring: &mut Wiring) -> Result<Arc<dyn Running>, ApiError> {
        let orgs = wiring.get::<Orgs>()?;
        let hooks = Webhooks::new(wiring.core.clone(), config, orgs)?;
        // Only a node that delivers follows the log for deliveries; every node
        // reports them in an event's detail.
        if wiring.runs() {
            wiring.core.bus.subscribe(Arc::new(service::fanout::FanOut(Arc::downgrade(&hooks))));
        }
        wiring.core.bus.report(Arc::new(service::deliveries::EventDeliveries(Arc::downgrade(&hooks))));
        wiring.provide(hooks.clone());
        Ok(hooks)
    }
}

#[async_trait::async_trait]
impl Running for Webhooks {
    fn routes(self: Arc<Self>, app: &AppState) -> Routes {
        Routes::api(http::routes(http::HooksState { app: app.clone(), hooks: self }))
    }

    /// The dispatcher, the recorder and retention.
    fn start(self: Arc<Self>, stop: &Stop) -> Vec<tokio::task::JoinHandle<()>> {
        Webhooks::start(&self, stop.clone())
    }
}
