//! Other nodes' changes to what this node caches. Each node forgets its own
//! copies when it makes a change; the events below, heard on every node (see
//! the events module's watchers), make the others forget theirs too, so the
//! cache can live long without a node trusting a removed member for long.

use std::sync::Weak;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tessera_kernel::bus::{Event, Watcher};
use tessera_kernel::ids::{OrgId, TeamId, UserId};

use super::Orgs;
use crate::events::*;

/// The events after which a node must forget cached memberships, seats or organizations.
const CACHE_EVENTS: &[&str] = &[
    MEMBER_ADDED,
    MEMBER_ROLE_CHANGED,
    MEMBER_REMOVED,
    TEAM_MEMBER_ADDED,
    TEAM_MEMBER_ROLE_CHANGED,
    TEAM_MEMBER_REMOVED,
    TEAM_DELETED,
    ORG_UPDATED,
    ORG_DELETED,
];

fn field<T: DeserializeOwned>(data: &Value, name: &str) -> Option<T> {
    data.get(name).and_then(|v| T::deserialize(v).ok())
}

/// Hears on this node of every change to what it caches, whichever node made it
/// (holding the module weakly: the core, which the module holds, keeps the watcher).
pub(crate) struct Forget(pub(crate) Weak<Orgs>);

#[async_trait::async_trait]
impl Watcher for Forget {
    fn types(&self) -> &[&'static str] {
        CACHE_EVENTS
    }

    async fn seen(&self, event: &Event) {
        if let Some(orgs) = self.0.upgrade() {
            orgs.forget_changed(&event.event_type, event.org_id, &event.data);
        }
    }
}

impl Orgs {
    /// Forgets what the event `event_type` (with its `data`) made stale; an
    /// event it cannot read makes it forget everything.
    fn forget_changed(&self, event_type: &str, org: Option<OrgId>, data: &Value) {
        let org = org.or_else(|| field(data, "orgId"));
        let user = field::<UserId>(data, "userId");
        match event_type {
            MEMBER_ADDED | MEMBER_ROLE_CHANGED | MEMBER_REMOVED => match (org, user) {
                (Some(org), Some(user)) => self.forget_member(org, user),
                _ => self.forget_all(),
            },
            TEAM_MEMBER_ADDED | TEAM_MEMBER_ROLE_CHANGED | TEAM_MEMBER_REMOVED => {
                match (field::<TeamId>(data, "teamId"), user) {
                    (Some(team), Some(user)) => self.forget_seat(team, user),
                    _ => self.forget_all(),
                }
            }
            ORG_UPDATED => match org {
                Some(org) => self.rows.invalidate(&org),
                None => self.rows.invalidate_all(),
            },
            TEAM_DELETED | ORG_DELETED => self.forget_all(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cache_event_is_in_the_catalogue() {
        for t in CACHE_EVENTS {
            assert!(ALL.contains(t), "{t} is not an orgs event");
        }
    }
}
