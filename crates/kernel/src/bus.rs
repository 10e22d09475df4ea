//! How modules react to each other's events. The events module relays the
//! outbox into a numbered log and runs what other modules register here, at
//! build time: [`Subscriber`]s (one cursor for the whole cluster, at least once,
//! in order), [`Watcher`]s (every node hears of every event of their types:
//! caches to forget) and [`DeliveryReport`]s (what `GET /orgs/{orgId}/events/{id}`
//! shows about an event's delivery). A module never reads another's tables to
//! learn of a change; it subscribes to the change's event.

use std::sync::{Arc, RwLock};

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::ids::{EventId, OrgId};

/// A relayed event: the envelope `{id, type, occurredAt, orgId, actor, data}`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: EventId,
    /// `<noun>.<past-tense verb>`, e.g. `member.added`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the change happened (RFC 3339).
    pub occurred_at: String,
    /// The organization it happened in; null for platform events.
    pub org_id: Option<OrgId>,
    /// Who did it: `{"type":"user","id":…}`, `{"type":"apikey","id":…,"owner":…}` or `{"type":"system"}`.
    pub actor: Value,
    /// The event's own fields (see `GET /event-types`).
    pub data: Value,
    /// The relay's order: consumers see events in this order.
    #[serde(skip)]
    pub seq: i64,
    /// When it happened, in ms since the epoch.
    #[serde(skip)]
    pub occurred_ms: i64,
}

impl Event {
    /// The envelope as JSON bytes (what webhooks post and NATS carries).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Does `pattern` select `event_type`? Patterns are exact names, prefixes ending
/// in `.*` (`user.*`), or `*` for everything.
pub fn matches(pattern: &str, event_type: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.strip_suffix('*') {
        Some(prefix) if prefix.ends_with('.') => event_type.starts_with(prefix),
        _ => pattern == event_type,
    }
}

/// Why a subscriber could not handle a batch (it is tried again later).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HandleError(pub String);

/// A consumer of events: one cursor for the cluster, handed batches in order, at
/// least once (handlers are idempotent by event id).
#[async_trait::async_trait]
pub trait Subscriber: Send + Sync + 'static {
    /// Stable and unique: it names the consumer's cursor.
    fn name(&self) -> &str;
    /// Whether it wants events of this type (the others are skipped, not handed over).
    fn wants(&self, event_type: &str) -> bool {
        let _ = event_type;
        true
    }
    /// Handles `events`, in order. An error hands the same batch (or a larger
    /// one starting with it) over again later.
    async fn handle(&self, events: &[Event]) -> Result<(), HandleError>;
    /// The most events handed over at once.
    fn batch_size(&self) -> u64 {
        100
    }
}

/// A node-local follower of some event types: every node hears of every such
/// event, whichever node caused it (caches to forget).
#[async_trait::async_trait]
pub trait Watcher: Send + Sync + 'static {
    /// The exact event types it hears of.
    fn types(&self) -> &[&'static str];
    /// Called once per event of those types, in the log's order. Must be quick:
    /// it runs on the watch loop.
    async fn seen(&self, event: &Event);
}

/// What another module reports about an event's delivery (webhooks: one entry per endpoint).
#[async_trait::async_trait]
pub trait DeliveryReport: Send + Sync + 'static {
    /// The section name in `GET /orgs/{orgId}/events/{id}` (e.g. `deliveries`).
    fn section(&self) -> &'static str;
    async fn report(&self, org: OrgId, event: EventId) -> Result<Value, ApiError>;
}

/// What modules registered while being built.
#[derive(Default)]
pub struct Bus {
    subscribers: RwLock<Vec<Arc<dyn Subscriber>>>,
    watchers: RwLock<Vec<Arc<dyn Watcher>>>,
    reports: RwLock<Vec<Arc<dyn DeliveryReport>>>,
}

fn push<T: ?Sized>(list: &RwLock<Vec<Arc<T>>>, item: Arc<T>) {
    if let Ok(mut items) = list.write() {
        items.push(item);
    }
}

fn all<T: ?Sized>(list: &RwLock<Vec<Arc<T>>>) -> Vec<Arc<T>> {
    list.read().map(|items| items.clone()).unwrap_or_default()
}

impl Bus {
    /// Adds a subscriber (at build time; the events module starts it).
    pub fn subscribe(&self, subscriber: Arc<dyn Subscriber>) {
        push(&self.subscribers, subscriber);
    }
    /// Adds a watcher (at build time).
    pub fn watch(&self, watcher: Arc<dyn Watcher>) {
        push(&self.watchers, watcher);
    }
    /// Adds a section to the event detail.
    pub fn report(&self, report: Arc<dyn DeliveryReport>) {
        push(&self.reports, report);
    }
    pub fn subscribers(&self) -> Vec<Arc<dyn Subscriber>> {
        all(&self.subscribers)
    }
    pub fn watchers(&self) -> Vec<Arc<dyn Watcher>> {
        all(&self.watchers)
    }
    pub fn reports(&self) -> Vec<Arc<dyn DeliveryReport>> {
        all(&self.reports)
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn patterns_select_exact_names_prefixes_and_everything() {
        assert!(matches("*", "user.created"));
        assert!(matches("user.*", "user.created"));
        assert!(!matches("user.*", "users.created"));
        assert!(!matches("user.*", "member.added"));
        assert!(matches("member.added", "member.added"));
        assert!(!matches("member.added", "member.added2"));
        assert!(!matches("user*", "user.created"));
    }
}
