//! The events module: the outbox relay, subscribers (other modules, the NATS
//! bridge, webhook fan-out) each following the event log in order from its own
//! cursor, event history, custom events and the event-type catalogue.

pub mod config;
pub mod consumer;
pub mod entity;
pub mod http;
pub mod migration;
pub mod model;
pub mod nats;
pub mod relay;
pub mod service;
pub mod signal;
pub mod watch;

use std::sync::Arc;

pub use config::{DEFAULT_CONFIG, EventsConfig};
pub use consumer::{HandleError, Subscriber};
pub use migration::migrations;
pub use model::{Event, matches};
pub use service::{DeliveryReport, Events};
use tessera_kernel::AppState;
use tessera_kernel::authz::PermissionInfo;
use utoipa_axum::router::OpenApiRouter;
pub use watch::Watcher;

/// Permissions this module declares and checks.
pub const PERMISSIONS: &[PermissionInfo] = &[
    PermissionInfo { key: "events:read", description: "Read the organization's event history", module: "events" },
    PermissionInfo {
        key: "events:publish",
        description: "Publish custom events to the organization's webhooks",
        module: "events",
    },
];

/// Routes under `/api/v1`.
pub fn routes(app: AppState, events: Arc<Events>) -> OpenApiRouter {
    http::routes(http::EventsState { app, events })
}
