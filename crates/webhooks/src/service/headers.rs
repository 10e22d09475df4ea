//! An endpoint's custom headers often carry the receiver's own credentials
//! (`Authorization: Bearer …`), so every value is sealed under the data key at
//! rest, like the signing secret, and a sensitive header's value is never shown
//! again once set: the API answers `[redacted]` for it, and a change that sends
//! `[redacted]` back keeps the value it stands for.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Webhooks;
use crate::entity::endpoints;

pub(crate) const SEAL_PURPOSE: &str = "webhook-header";

/// What the API shows instead of a sensitive header's value.
pub const REDACTED: &str = "[redacted]";

/// Whether a header carries a credential (the kernel's one list of secret names).
pub fn is_sensitive(name: &str) -> bool {
    tessera_kernel::audit::is_secret_name(name)
}

impl Webhooks {
    /// `plain` as stored: each value sealed.
    pub(crate) fn seal_headers(&self, plain: &BTreeMap<String, String>) -> Value {
        let sealed =
            plain.iter().map(|(k, v)| (k.clone(), Value::String(self.core.keyring.seal(SEAL_PURPOSE, v.as_bytes()))));
        Value::Object(sealed.collect())
    }

    /// The endpoint's headers as sent. A value that does not open (a data key
    /// that is not this deployment's) is left out, and said so in the log.
    pub(crate) fn open_headers(&self, row: &endpoints::Model) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (name, sealed) in row.headers.as_object().into_iter().flatten() {
            let plain = sealed.as_str().and_then(|s| self.core.keyring.open(SEAL_PURPOSE, s).ok());
            match plain.and_then(|p| String::from_utf8(p.to_vec()).ok()) {
                Some(value) => {
                    out.insert(name.clone(), value);
                }
                None => tracing::warn!(endpoint = %row.id, header = %name, "a custom header does not open; not sent"),
            }
        }
        out
    }

    /// The headers as the API shows them: sensitive values redacted.
    pub(crate) fn shown_headers(&self, row: &endpoints::Model) -> Value {
        let shown = self.open_headers(row).into_iter().map(|(name, value)| {
            let value = if is_sensitive(&name) { REDACTED.to_owned() } else { value };
            (name, Value::String(value))
        });
        Value::Object(shown.collect::<Map<_, _>>())
    }

    /// The stored headers after a change to `new`, where `[redacted]` keeps the
    /// value that header has now.
    pub(crate) fn changed_headers(&self, row: &endpoints::Model, new: BTreeMap<String, String>) -> Value {
        let current = row.headers.as_object();
        let mut out = Map::new();
        for (name, value) in new {
            let kept = (value == REDACTED).then(|| current.and_then(|c| c.get(&name))).flatten();
            let stored = match kept {
                Some(sealed) => sealed.clone(),
                None => Value::String(self.core.keyring.seal(SEAL_PURPOSE, value.as_bytes())),
            };
            out.insert(name, stored);
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::is_sensitive;

    #[test]
    fn credentials_are_told_from_other_headers() {
        for name in ["authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token", "x-client-secret"] {
            assert!(is_sensitive(name), "{name}");
        }
        for name in ["x-tenant", "x-team", "accept-language", "x-region"] {
            assert!(!is_sensitive(name), "{name}");
        }
    }
}
