//! Other nodes' changes to what this node caches: custom roles, the note that a
//! subject holds no grant, and API keys. Each node forgets its own copies when it
//! makes a change; these events, heard on every node (the events module's
//! watchers), make the others forget theirs within about a second.

use serde::Deserialize;
use serde_json::Value;
use tessera_kernel::ids::{OrgId, RoleId};
use uuid::Uuid;

use super::Access;
use crate::events::*;

/// The orgs module's event for a deleted organization (whose keys and roles go with it).
const ORG_DELETED: &str = "org.deleted";

/// The events after which a node must forget cached roles, grants or keys.
pub const CACHE_EVENTS: &[&str] =
    &[ROLE_UPDATED, ROLE_DELETED, GRANT_CREATED, API_KEY_ROTATED, API_KEY_REVOKED, ORG_DELETED];

impl Access {
    /// Forgets what the event `event_type` (with its `data`) made stale.
    pub async fn forget_changed(&self, event_type: &str, org: Option<OrgId>, data: &Value) {
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
