//! The events module: the outbox relay, subscribers (other modules, the NATS
//! bridge, webhook fan-out) each following the event log in order from its own
//! cursor, event history, custom events and the event-type catalogue. Modules
//! register with the kernel's `bus`; none depends on this crate.

mod config;
mod consumer;
mod entity;
mod http;
mod migration;
mod model;
mod nats;
mod relay;
mod service;
mod signal;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod watch;

use std::sync::Arc;
use tessera_kernel::Permission;

use tessera_kernel::authz::PermissionInfo;
use tessera_kernel::module::{Routes, Running, Stop, Wiring};
use tessera_kernel::{ApiError, AppState, Module};

pub use config::EventsConfig;
use service::Events;

/// The permission `events:read`.
pub const EVENTS_READ: Permission = Permission::declare("events:read");
/// The permission `events:publish`.
pub const EVENTS_PUBLISH: Permission = Permission::declare("events:publish");

/// The events module.
pub struct EventsModule;

#[async_trait::async_trait]
impl Module for EventsModule {
    const NAME: &'static str = "events";
    const DEFAULT_CONFIG: &'static str = include_str!("../events.default.toml");
    const PERMISSIONS: &'static [PermissionInfo] = &[
        PermissionInfo::new("events", EVENTS_READ, "Read the organization's event history"),
        PermissionInfo::new("events", EVENTS_PUBLISH, "Publish custom events to the organization's webhooks"),
    ];
    type Config = EventsConfig;

    fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        migration::migrations()
    }

    async fn build(config: EventsConfig, wiring: &mut Wiring) -> Result<Arc<dyn Running>, ApiError> {
        if !config.nats_url.is_empty() {
            wiring.core.bus.subscribe(Arc::new(nats::NatsBridge::new(&config)));
        }
        let events = Events::new(wiring.core.clone(), config);
        wiring.provide(events.clone());
        Ok(events)
    }
}

#[async_trait::async_trait]
impl Running for Events {
    /// Creates the cursors of every subscriber registered while modules were built.
    async fn prepare(self: Arc<Self>) -> Result<(), ApiError> {
        Ok(Events::prepare(&self).await?)
    }

    fn routes(self: Arc<Self>, app: &AppState) -> Routes {
        Routes::api(http::routes(http::EventsState { app: app.clone(), events: self }))
    }

    fn start(self: Arc<Self>, stop: &Stop) -> Vec<tokio::task::JoinHandle<()>> {
        Events::start(&self, stop.clone())
    }
}
