//! Other nodes' changes to what this node caches: custom roles, the note that a
//! subject holds no grant, and API keys. Each node forgets its own copies when it
//! makes a change; these events, heard on every node (the events module's
//! watchers), make the others forget theirs within about a second.

use std::sync::Weak;

use serde::Deserialize;
use serde_json::Value;
use tessera_kernel::bus::{Event, Watcher};
use tessera_kernel::ids::{OrgId, RoleId};
use uuid::Uuid;

use super::Access;
use crate::events::*;

/// The orgs module's event for a deleted organization (whose keys and roles go with it).
const ORG_DELETED: &str = "org.deleted";

/// The events after which a node must forget cached roles, grants or keys.
const CACHE_EVENTS: &[&str] =
    &[ROLE_UPDATED, ROLE_DELETED, GRANT_CREATED, API_KEY_ROTATED, API_KEY_REVOKED, ORG_DELETED];

/// Hears on this node of every change to what it caches, whichever node made it
/// (holding the module weakly: the core, which the module holds, keeps the watcher).
pub(crate) struct Forget(pub(crate) Weak<Access>);

#[async_trait::async_trait]
impl Watcher for Forget {
    fn types(&self) -> &[&'static str] {
        CACHE_EVENTS
    }

    async fn seen(&self, event: &Event) {
        if let Some(access) = self.0.upgrade() {
            access.forget_changed(&event.event_type, event.org_id, &event.data).await;
        }
    }
}

impl Access {
    /// Forgets what the event `event_type` (with its `data`) made stale.
    async fn forget_changed(&self, event_type: &str, org: Option<OrgId>, data: &Value) {
        let id = data.get("id").and_then(|v| Uuid::deserialize(v).ok());
        match event_type {
            ROLE_UPDATED | ROLE_DELETED => match id {
                Some(id) => self.role_changed(RoleId(id)).await,
                None => self.roles.invalidate_all(),
            },
            GRANT_CREATED => {
                let subject = data.get("subject").and_then(|v| Uuid::deserialize(v).ok());
                match (org.or_else(|| data.get("orgId").and_then(|v| OrgId::deserialize(v).ok())), subject) {
                    (Some(org), Some(subject)) => self.grant_added(org, subject),
                    _ => self.holds_grants.invalidate_all(),
                }
            }
            // Keys are cached by secret, which no event carries: a revocation is rare enough to forget them all.
            API_KEY_ROTATED | API_KEY_REVOKED => self.keys.invalidate_all(),
            ORG_DELETED => self.forget_all(),
            _ => {}
        }
    }
}
