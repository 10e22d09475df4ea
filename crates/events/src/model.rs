//! The event envelope every consumer receives: `{id, type, occurredAt, orgId, actor, data}`.

use serde::Serialize;
use serde_json::Value;
use tessera_kernel::clock::rfc3339_string;
use tessera_kernel::ids::{EventId, OrgId};
use utoipa::ToSchema;

use crate::entity::event_log;

/// A relayed event.
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

impl From<event_log::Model> for Event {
    fn from(row: event_log::Model) -> Self {
        Self {
            id: row.id,
            event_type: row.event_type,
            occurred_at: rfc3339_string(row.occurred_at),
            org_id: row.org_id,
            actor: row.actor,
            data: row.data,
            seq: row.seq,
            occurred_ms: row.occurred_at,
        }
    }
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
