//! The one path every mutation records its audit entry through. Services build an
//! [`AuditEntry`] and hand it, with their transaction, to the [`AuditSink`] the
//! audit module provides, so the entry exists exactly when the change does. Who
//! asked (address, user agent, request id) comes from the request being served.

use sea_orm::{DatabaseTransaction, DbErr};
use serde_json::Value;

use crate::actor::ActorRef;
use crate::ids::OrgId;
use crate::request_id;

/// One audited change.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub actor: ActorRef,
    /// The organization it happened in; `None` for platform-level changes.
    pub org_id: Option<OrgId>,
    /// `<noun>.<verb>`, e.g. `member.role_changed`.
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: String,
    /// The changed fields before and after (secrets are redacted on recording).
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl AuditEntry {
    pub fn new(actor: ActorRef, action: &'static str, target_type: &'static str, target_id: impl ToString) -> Self {
        Self { actor, org_id: None, action, target_type, target_id: target_id.to_string(), before: None, after: None }
    }
    pub fn in_org(mut self, org: OrgId) -> Self {
        self.org_id = Some(org);
        self
    }
    /// The fields that changed, as they were and as they are.
    pub fn change(mut self, before: Value, after: Value) -> Self {
        self.before = Some(before);
        self.after = Some(after);
        self
    }
}

/// What a change is about (kind and id) and, when it has one, how it changed:
/// with the actor, action and organization it makes the change's audit entry.
#[derive(Clone, Debug)]
pub struct Target {
    kind: &'static str,
    id: String,
    diff: Option<(Value, Value)>,
}

impl Target {
    pub fn new(kind: &'static str, id: impl ToString) -> Self {
        Self { kind, id: id.to_string(), diff: None }
    }
    /// The fields that changed, before and after.
    pub fn diff(mut self, before: Value, after: Value) -> Self {
        self.diff = Some((before, after));
        self
    }
    /// The audit entry of `actor` doing `action` to this target.
    pub fn entry(self, actor: ActorRef, action: &'static str, org: Option<OrgId>) -> AuditEntry {
        let mut entry = AuditEntry::new(actor, action, self.kind, self.id);
        entry.org_id = org;
        match self.diff {
            Some((before, after)) => entry.change(before, after),
            None => entry,
        }
    }
}

/// Where the request behind an entry came from.
#[derive(Clone, Debug, Default)]
pub struct RequestInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl RequestInfo {
    /// The request this task serves, if it serves one.
    pub fn current() -> Self {
        let client = request_id::client();
        Self {
            ip: client.as_ref().map(|c| c.0.clone()),
            user_agent: client.and_then(|c| c.1),
            request_id: request_id::current(),
        }
    }
}

/// Records audit entries. Implemented by the audit module.
#[async_trait::async_trait]
pub trait AuditSink: Send + Sync + 'static {
    /// Writes `entry` in `txn`, the transaction of the change it describes.
    async fn record(&self, txn: &DatabaseTransaction, entry: AuditEntry) -> Result<(), DbErr>;

    /// Pseudonymizes, in `txn`, the recorded changes of every entry about one of
    /// `ids` of `target_type` (an erased person's data kept in another module's
    /// records, such as the address an invitation was sent to); the entries and
    /// their chain stay verifiable. Returns the entries changed.
    async fn erase_changes(&self, txn: &DatabaseTransaction, target_type: &str, ids: &[String]) -> Result<u64, DbErr>;
}

/// Words that mark a name (a JSON key, a header, a configuration key) as one
/// whose value is a secret: the one list the audit log, `tessera config` and
/// webhook headers redact by.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "private",
    "credential",
    "auth",
    "cookie",
    "session",
    "signature",
    "hash",
];

/// Whether `name` names a secret: it holds one of [`SECRET_WORDS`] or ends in
/// `key` (case, `-` and `_` ignored: `passwordHash`, `client_secret`, `X-Api-Key`).
pub fn is_secret_name(name: &str) -> bool {
    let plain: String = name.chars().filter(|c| *c != '-' && *c != '_').flat_map(char::to_lowercase).collect();
    plain.ends_with("key") || SECRET_WORDS.iter().any(|w| plain.contains(w))
}

/// Replaces the values of secret-looking keys, at any depth, with `"[redacted]"`.
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_name(k) {
                    *v = Value::String("[redacted]".into());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let mut v = serde_json::json!({
            "name": "x", "passwordHash": "$argon2id$…", "nested": {"clientSecret": "s", "keep": 1},
            "list": [{"refresh_token": "t"}], "apiKey": "tsk_…"
        });
        redact(&mut v);
        assert_eq!(v["name"], "x");
        assert_eq!(v["passwordHash"], "[redacted]");
        assert_eq!(v["nested"]["clientSecret"], "[redacted]");
        assert_eq!(v["nested"]["keep"], 1);
        assert_eq!(v["list"][0]["refresh_token"], "[redacted]");
        assert_eq!(v["apiKey"], "[redacted]");
    }

    #[test]
    fn secret_names_are_recognised_in_every_spelling() {
        for name in ["password", "passwordHash", "client_secret", "X-Api-Key", "authorization", "cookie", "key"] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["name", "email", "x-request-id", "content-type", "permissions", "url"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
