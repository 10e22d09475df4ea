//! The identity module: users, credentials, sessions, access and refresh tokens,
//! JWKS, password flows, profiles and platform administration of accounts.

pub mod api;
pub mod config;
pub mod entity;
pub mod error;
pub mod events;
pub mod http;
pub mod jwt;
mod mails;
pub mod migration;
pub mod model;
pub mod password;
mod personal;
pub mod service;
pub mod store;

use std::sync::Arc;

pub use config::{DEFAULT_CONFIG, IdentityConfig};
pub use events::EVENT_TYPES;
pub use http::IdentityState;
pub use migration::migrations;
pub use service::{Identity, IdentityAuthenticator};
use tessera_kernel::AppState;
use utoipa_axum::router::OpenApiRouter;

/// The module's routers: `(under /api/v1, at the root)`; the root one includes
/// the pages behind e-mailed links, which stay out of the API document.
pub fn routes(app: AppState, id: Arc<Identity>) -> (OpenApiRouter, OpenApiRouter) {
    let state = IdentityState { app, id };
    let root = http::root_routes(state.clone()).merge(OpenApiRouter::from(http::pages::routes()));
    (http::api_routes(state), root)
}
