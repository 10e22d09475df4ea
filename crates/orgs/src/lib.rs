//! The orgs module: organizations (tenants), memberships, teams and invitations.
//! Other modules use [`api`] (and the kernel's `Directory`, which it implements).

pub mod api;
mod config;
mod entity;
mod error;
pub mod events;
mod http;
mod migration;
mod model;
mod service;
mod store;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

use tessera_identity::api::Identity;
use tessera_kernel::authz::{Directory, PermissionInfo};
use tessera_kernel::event_types::EventType;
use tessera_kernel::module::{Routes, Running, Wiring};
use tessera_kernel::permission as perm;
use tessera_kernel::{ApiError, AppState, Module};
use utoipa_axum::router::OpenApiRouter;

pub use config::OrgsConfig;
use service::Orgs;

/// The orgs module: it needs [`tessera_identity::api::Identity`] and provides
/// [`api::Orgs`] and the kernel's [`Directory`] of memberships.
pub struct OrgsModule;

#[async_trait::async_trait]
impl Module for OrgsModule {
    const NAME: &'static str = "orgs";
    const DEFAULT_CONFIG: &'static str = include_str!("../orgs.default.toml");
    const PERMISSIONS: &'static [PermissionInfo] = &[
        PermissionInfo::new("orgs", perm::ORG_UPDATE, "Change the organization's name, slug, settings and metadata"),
        PermissionInfo::new("orgs", perm::ORG_DELETE, "Delete the organization with everything in it"),
        PermissionInfo::new("orgs", perm::MEMBERS_READ, "List the organization's members"),
        PermissionInfo::new("orgs", perm::MEMBERS_INVITE, "Invite people, and list, resend and revoke invitations"),
        PermissionInfo::new("orgs", perm::MEMBERS_MANAGE, "Change members' roles and remove members"),
        PermissionInfo::new("orgs", perm::TEAMS_READ, "List teams and their members"),
        PermissionInfo::new("orgs", perm::TEAMS_CREATE, "Create teams"),
        PermissionInfo::new("orgs", perm::TEAMS_MANAGE, "Rename and delete teams and manage their members"),
    ];
    const EVENT_TYPES: &'static [EventType] = events::EVENT_TYPES;
    type Config = OrgsConfig;

    fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        migration::migrations()
    }

    async fn build(config: OrgsConfig, wiring: &mut Wiring) -> Result<Arc<dyn Running>, ApiError> {
        let identity = wiring.get::<Identity>()?;
        let orgs = Orgs::new(wiring.core.clone(), &config, identity);
        wiring.provide(orgs.clone());
        wiring.provide::<dyn Directory>(orgs.clone());
        Ok(orgs)
    }
}

#[async_trait::async_trait]
impl Running for Orgs {
    fn routes(self: Arc<Self>, app: &AppState) -> Routes {
        let api = http::routes(http::OrgsState { app: app.clone(), orgs: self });
        Routes::api(api).with_root(OpenApiRouter::from(pages()))
    }
}

/// The page behind invitation links (`/invitations/{token}` at the public URL),
/// so the default links work with no front end of one's own.
fn pages() -> axum::Router {
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
