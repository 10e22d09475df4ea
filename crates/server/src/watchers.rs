//! Wires each module's caches to the events every node hears of (the events
//! module's watchers), so a change made on one node is forgotten on the others.

use std::sync::Arc;

use tessera_events::{Event, Events, Watcher};

struct OrgsCache(Arc<tessera_orgs::Orgs>);

#[async_trait::async_trait]
impl Watcher for OrgsCache {
    fn types(&self) -> &[&'static str] {
        tessera_orgs::service::cache::CACHE_EVENTS
    }

    async fn seen(&self, event: &Event) {
        self.0.forget_changed(&event.event_type, event.org_id, &event.data);
    }
}

struct AccessCache(Arc<tessera_access::Access>);

#[async_trait::async_trait]
impl Watcher for AccessCache {
    fn types(&self) -> &[&'static str] {
        tessera_access::service::cache::CACHE_EVENTS
    }

    async fn seen(&self, event: &Event) {
        self.0.forget_changed(&event.event_type, event.org_id, &event.data).await;
    }
}

/// Makes this node forget its cached memberships, roles and keys when another node changes them.
pub fn register(events: &Events, orgs: &Arc<tessera_orgs::Orgs>, access: &Arc<tessera_access::Access>) {
    events.watch(Arc::new(OrgsCache(orgs.clone())));
    events.watch(Arc::new(AccessCache(access.clone())));
}
