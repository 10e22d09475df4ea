//! The webhooks module: endpoints, Standard Webhooks signing, deliveries with
//! retries and leases shared by every node, and their history.

pub mod config;
pub mod entity;
pub mod events;
pub mod http;
pub mod ids;
pub mod migration;
pub mod model;
pub mod service;
pub mod signing;

use std::sync::Arc;

pub use config::{DEFAULT_CONFIG, WebhooksConfig};
pub use events::EVENT_TYPES;
pub use migration::migrations;
pub use service::Webhooks;
use tessera_kernel::AppState;
use tessera_kernel::authz::PermissionInfo;
use utoipa_axum::router::OpenApiRouter;

/// Permissions this module declares and checks.
pub const PERMISSIONS: &[PermissionInfo] = &[
    PermissionInfo {
        key: "webhooks:read",
        description: "See webhook endpoints, deliveries and statistics",
        module: "webhooks",
    },
    PermissionInfo {
        key: "webhooks:manage",
        description: "Create, change, delete and test webhook endpoints; retry and recover deliveries",
        module: "webhooks",
    },
];

/// Queue tables whose dead rows are vacuumed as they pile up (see `tessera_kernel::vacuum`).
pub const HOT_TABLES: &[&str] = &["webhook_deliveries"];

/// Registers fan-out with the events module (call before starting it).
pub fn subscribe(events: &tessera_events::Events, hooks: &Arc<Webhooks>) {
    events.subscribe(Arc::new(service::fanout::FanOut(hooks.clone())));
    events.add_report(Arc::new(service::deliveries::EventDeliveries(hooks.clone())));
}

/// Routes under `/api/v1`.
pub fn routes(app: AppState, hooks: Arc<Webhooks>) -> OpenApiRouter {
    http::routes(http::HooksState { app, hooks })
}
