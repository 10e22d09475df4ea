//! The orgs module: organizations (tenants), memberships, teams and invitations.

pub mod entity;
pub mod error;
pub mod events;
pub mod http;
pub mod migration;
pub mod model;
pub mod service;
pub mod store;

use std::sync::Arc;

pub use error::OrgsError;
pub use events::EVENT_TYPES;
pub use http::OrgsState;
pub use migration::migrations;
pub use service::Orgs;
use tessera_kernel::AppState;
use tessera_kernel::authz::PermissionInfo;
use utoipa_axum::router::OpenApiRouter;

const fn permission(key: &'static str, description: &'static str) -> PermissionInfo {
    PermissionInfo { key, description, module: "orgs" }
}

/// Permissions this module declares and checks.
pub const PERMISSIONS: &[PermissionInfo] = &[
    permission("org:update", "Change the organization's name, slug, settings and metadata"),
    permission("org:delete", "Delete the organization with everything in it"),
    permission("members:read", "List the organization's members"),
    permission("members:invite", "Invite people, and list, resend and revoke invitations"),
    permission("members:manage", "Change members' roles and remove members"),
    permission("teams:read", "List teams and their members"),
    permission("teams:create", "Create teams"),
    permission("teams:manage", "Rename and delete teams and manage their members"),
];

/// Routes under `/api/v1`.
pub fn routes(app: AppState, orgs: Arc<Orgs>) -> OpenApiRouter {
    http::routes(OrgsState { app, orgs })
}

/// The page behind invitation links (`/invitations/{token}` at the public URL),
/// so the default links work with no front end of one's own.
pub fn pages() -> axum::Router {
    use axum::http::header;
    use axum::routing::get;
    let html = ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], PAGE);
    axum::Router::new().route("/invitations/{token}", get(move || async move { html })).route(
        "/assets/invitation.js",
        get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT) }),
    )
}

const PAGE: &str = include_str!("../assets/invitation.html");
const SCRIPT: &str = include_str!("../assets/invitation.js");
