//! Domain values of the audit log: an entry as clients see it, the filters of a
//! query, and the opaque cursor of a page.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::Value;
use tessera_kernel::Millis;
use tessera_kernel::ids::{AuditId, OrgId};
use utoipa::ToSchema;

use crate::entity::audit_log::Model;

/// Who acted: `{"type":"user","id":…}`, `{"type":"apikey","id":…,"owner":…}` or
/// `{"type":"system"}`; `id` and `owner` are null once the person was erased.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActorOut {
    /// `user`, `apikey` or `system`.
    #[serde(rename = "type")]
    pub actor_type: String,
    pub id: Option<String>,
    /// The user an API key acted for.
    pub owner: Option<String>,
}

/// What was acted on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TargetOut {
    #[serde(rename = "type")]
    pub target_type: String,
    pub id: String,
}

/// One audit entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryOut {
    pub id: AuditId,
    /// Position in its chain (the organization's, or the platform's), from 1.
    pub seq: i64,
    pub actor: ActorOut,
    pub org_id: Option<OrgId>,
    /// `<noun>.<verb>`, e.g. `member.role_changed`.
    pub action: String,
    pub target: TargetOut,
    /// `{"before":…,"after":…}` with secrets redacted; null when nothing was recorded or it was erased.
    #[schema(value_type = Option<Object>)]
    pub changes: Option<Value>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    #[serde(with = "tessera_kernel::clock::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Millis,
    /// When personal fields of this entry (actor, address, user agent or changes) were erased (GDPR).
    #[serde(with = "tessera_kernel::clock::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub erased_at: Option<Millis>,
    /// The hash of the previous entry of the chain.
    pub prev_hash: String,
    /// This entry's hash: covers `prevHash`, its fields and salted commitments to its personal fields.
    pub hash: String,
}

impl From<Model> for EntryOut {
    fn from(row: Model) -> Self {
        Self {
            id: row.id,
            seq: row.seq,
            actor: ActorOut { actor_type: row.actor_type, id: row.actor_id, owner: row.actor_owner },
            org_id: row.org_id,
            action: row.action,
            target: TargetOut { target_type: row.target_type, id: row.target_id },
            changes: row.changes,
            ip: row.ip,
            user_agent: row.user_agent,
            request_id: row.request_id,
            created_at: row.created_at,
            erased_at: row.erased_at,
            prev_hash: row.prev_hash,
            hash: row.hash,
        }
    }
}

/// An action filter: `member.role_changed` exactly, or every action under `member.*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionFilter {
    Exact(String),
    /// The text before the `*`.
    Prefix(String),
}

/// Which entries a query or export covers. Every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// One chain: an organization id or `platform`.
    pub chain: Option<String>,
    /// A user or API key id; a user id also matches the keys acting for that user.
    pub actor: Option<String>,
    /// `user`, `apikey` or `system`.
    pub actor_type: Option<&'static str>,
    pub action: Option<ActionFilter>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// Inclusive.
    pub from: Option<Millis>,
    /// Exclusive.
    pub to: Option<Millis>,
}

/// A position in the newest-first (or, for exports, oldest-first) order of
/// entries: `(created_at, id)`, sent to clients as an opaque string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: Millis,
    pub id: AuditId,
}

impl Cursor {
    pub fn of(row: &Model) -> Self {
        Self { created_at: row.created_at, id: row.id }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}.{}", self.created_at, self.id))
    }

    /// `None` for anything [`Cursor::encode`] did not produce.
    pub fn decode(raw: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (ms, id) = text.split_once('.')?;
        Some(Self { created_at: ms.parse().ok()?, id: id.parse().ok()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor { created_at: 1_764_000_000_123, id: AuditId::new() };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode(&URL_SAFE_NO_PAD.encode("12.nope")), None);
    }
}
