//! Commitments to an entry's personal fields: actor, key owner, address, user
//! agent and changes. The chain covers one salted SHA-256 commitment per field,
//! not the fields themselves. Erasing a field for GDPR drops its value and its
//! salt: the chain stays intact, the commitment left behind can no longer confirm
//! a guess about the person (the salt is gone), every field kept still verifies,
//! and a field can only ever be emptied, never rewritten.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::entity::audit_log::Model;

/// The personal fields, in the order of `personal_commitments` and `personal_salts`.
pub const FIELDS: [&str; 5] = ["actorId", "actorOwner", "ip", "userAgent", "changes"];
/// Positions in [`FIELDS`].
pub const IP: usize = 2;
pub const USER_AGENT: usize = 3;
pub const CHANGES: usize = 4;
/// Every position, for an erasure of all the fields.
pub const ALL: [usize; 5] = [0, 1, 2, 3, 4];

const SEP: char = ',';

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `value` as JSON with object keys sorted at every depth, so a document reads the
/// same after a database that reorders keys (MySQL's JSON type) hands it back.
pub fn canonical_json(value: &Value) -> String {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut fields: Vec<(&String, &Value)> = map.iter().collect();
                fields.sort_by(|a, b| a.0.cmp(b.0));
                out.push('{');
                for (i, (key, item)) in fields.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    write(item, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// The personal fields of `row` as JSON values, in [`FIELDS`] order.
fn values(row: &Model) -> [Value; 5] {
    [json!(row.actor_id), json!(row.actor_owner), json!(row.ip), json!(row.user_agent), json!(row.changes)]
}

fn commit(salt: &str, field: &str, value: &Value) -> String {
    sha256_hex(format!("{salt}\0{field}\0{}", canonical_json(value)).as_bytes())
}

/// Fresh salts and the commitments of `row`'s personal fields:
/// `(personal_commitments, personal_salts)`.
pub fn seal(row: &Model) -> (String, String) {
    let salts: Vec<String> = FIELDS
        .iter()
        .map(|_| {
            let mut salt = [0u8; 16];
            rand::fill(&mut salt[..]);
            hex::encode(salt)
        })
        .collect();
    let commitments: Vec<String> =
        values(row).iter().zip(FIELDS).zip(&salts).map(|((value, field), salt)| commit(salt, field, value)).collect();
    (commitments.join(&SEP.to_string()), salts.join(&SEP.to_string()))
}

/// Whether `row`'s personal fields match their commitments: a field with its salt
/// must hash to its commitment; a field whose salt was erased must be empty, on an
/// entry marked erased.
pub fn holds(row: &Model) -> bool {
    let commitments: Vec<&str> = row.personal_commitments.split(SEP).collect();
    let salts: Vec<&str> = row.personal_salts.split(SEP).collect();
    if commitments.len() != FIELDS.len() || salts.len() != FIELDS.len() {
        return false;
    }
    values(row).iter().enumerate().all(|(i, value)| match salts[i] {
        "" => value.is_null() && row.erased_at.is_some(),
        salt => commit(salt, FIELDS[i], value) == commitments[i],
    })
}

/// `salts` without the salts of `fields`, which are being erased.
pub fn drop_salts(salts: &str, fields: &[usize]) -> String {
    let mut parts: Vec<&str> = salts.split(SEP).collect();
    parts.resize(FIELDS.len(), "");
    for &i in fields {
        if let Some(part) = parts.get_mut(i) {
            *part = "";
        }
    }
    parts.join(&SEP.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Model {
        Model {
            id: tessera_kernel::ids::AuditId::new(),
            chain_key: "platform".into(),
            seq: 1,
            org_id: None,
            actor_type: "user".into(),
            actor_id: Some("u-1".into()),
            actor_owner: None,
            action: "user.updated".into(),
            target_type: "user".into(),
            target_id: "u-1".into(),
            changes: Some(json!({"before": {"name": "A"}, "after": {"name": "B"}})),
            ip: Some("127.0.0.1".into()),
            user_agent: Some("ua".into()),
            request_id: None,
            created_at: 1,
            personal_commitments: String::new(),
            personal_salts: String::new(),
            erased_at: None,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn sealed() -> Model {
        let mut r = row();
        let (c, s) = seal(&r);
        (r.personal_commitments, r.personal_salts) = (c, s);
        r
    }

    #[test]
    fn sealed_fields_hold_and_a_rewrite_does_not() {
        let r = sealed();
        assert!(holds(&r));
        assert!(!holds(&Model { actor_id: Some("u-2".into()), ..r.clone() }));
        assert!(!holds(&Model { ip: None, ..r.clone() }), "emptied without being erased");
    }

    #[test]
    fn an_erased_field_must_be_empty_and_the_others_still_verify() {
        let mut r = sealed();
        r.personal_salts = drop_salts(&r.personal_salts, &[CHANGES]);
        r.changes = None;
        r.erased_at = Some(2);
        assert!(holds(&r));
        assert!(!holds(&Model { changes: Some(json!({"forged": true})), ..r.clone() }));
        assert!(!holds(&Model { actor_id: Some("u-2".into()), ..r.clone() }), "kept fields still verify");
        assert!(!holds(&Model { erased_at: None, ..r }), "only an erased entry has erased fields");
    }

    #[test]
    fn salts_are_fresh_per_entry() {
        assert_ne!(sealed().personal_commitments, sealed().personal_commitments);
    }
}
