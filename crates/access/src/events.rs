//! Events the access module publishes, written to the outbox in the same
//! transaction as the change: role.created, role.updated, role.deleted,
//! api_key.created, api_key.rotated, api_key.revoked, grant.created and
//! grant.deleted. Payloads never carry a key's secret.

use serde::Serialize;
use tessera_kernel::event_types::{EventType, schema_of};
use tessera_kernel::ids::{ApiKeyId, GrantId, OrgId, RoleId, UserId};
use utoipa::ToSchema;

pub const ROLE_CREATED: &str = "role.created";
pub const ROLE_UPDATED: &str = "role.updated";
pub const ROLE_DELETED: &str = "role.deleted";
pub const API_KEY_CREATED: &str = "api_key.created";
pub const API_KEY_ROTATED: &str = "api_key.rotated";
pub const API_KEY_REVOKED: &str = "api_key.revoked";
pub const GRANT_CREATED: &str = "grant.created";
pub const GRANT_DELETED: &str = "grant.deleted";

/// Every event type of this module.
pub const ALL: &[&str] = &[
    ROLE_CREATED,
    ROLE_UPDATED,
    ROLE_DELETED,
    API_KEY_CREATED,
    API_KEY_ROTATED,
    API_KEY_REVOKED,
    GRANT_CREATED,
    GRANT_DELETED,
];

const MODULE: &str = "access";

/// One catalogue entry of this module.
const fn event(name: &'static str, description: &'static str, schema: fn() -> serde_json::Value) -> EventType {
    EventType { name, module: MODULE, description, schema }
}

/// Every event type of this module with the schema of its `data`.
pub const EVENT_TYPES: &[EventType] = &[
    event(ROLE_CREATED, "A custom role was created in an organization.", schema_of::<RoleChanged>),
    event(ROLE_UPDATED, "A custom role's name, description or permissions changed.", schema_of::<RoleChanged>),
    event(ROLE_DELETED, "A custom role was deleted.", schema_of::<RoleDeleted>),
    event(API_KEY_CREATED, "An API key was issued (metadata only, never the secret).", schema_of::<ApiKeyCreated>),
    event(
        API_KEY_ROTATED,
        "An API key's secret was replaced; the previous one works for a grace period.",
        schema_of::<ApiKeyRotated>,
    ),
    event(API_KEY_REVOKED, "An API key was revoked, or its owner's account deleted.", schema_of::<ApiKeyRevoked>),
    event(GRANT_CREATED, "A permission on one resource was granted to a user or API key.", schema_of::<GrantChanged>),
    event(GRANT_DELETED, "A direct grant was removed.", schema_of::<GrantChanged>),
];

/// `role.created` and `role.updated`: the role as it is now.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleChanged {
    /// The role.
    pub id: RoleId,
    /// The organization it belongs to.
    pub org_id: OrgId,
    /// Its name.
    pub name: String,
    /// Its description, if any.
    pub description: Option<String>,
    /// The permissions it grants.
    pub permissions: Vec<String>,
    /// For `role.updated`: the fields that changed; absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<&'static str>,
}

/// `role.deleted`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleDeleted {
    /// The deleted role.
    pub id: RoleId,
    /// The organization it belonged to.
    pub org_id: OrgId,
    /// Its name.
    pub name: String,
}

/// `api_key.created` (metadata only).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyCreated {
    /// The key.
    pub id: ApiKeyId,
    /// `None` for a personal key.
    pub org_id: Option<OrgId>,
    /// Its name.
    pub name: String,
    /// The public start of the secret, to recognize the key by.
    pub prefix: String,
    /// The permissions it carries.
    pub permissions: Vec<String>,
    /// The user who issued it.
    pub created_by: UserId,
    /// When it stops working (milliseconds since the epoch), if ever.
    pub expires_at: Option<i64>,
}

/// `api_key.rotated` (the new secret's prefix, never the secret).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRotated {
    /// The key.
    pub id: ApiKeyId,
    /// `None` for a personal key.
    pub org_id: Option<OrgId>,
    /// Its name.
    pub name: String,
    /// The public start of the new secret.
    pub prefix: String,
    /// Until when the previous secret keeps working (milliseconds since the epoch).
    pub previous_valid_until: i64,
}

/// `grant.created` and `grant.deleted`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GrantChanged {
    /// The grant.
    pub id: GrantId,
    /// The organization it belongs to.
    pub org_id: OrgId,
    /// A user id or an API key id.
    pub subject: uuid::Uuid,
    /// `user` or `apikey`.
    pub subject_type: String,
    /// The granted permission.
    pub permission: String,
    /// The kind of resource it applies to.
    pub resource_type: String,
    /// The resource it applies to.
    pub resource_id: String,
}

/// `api_key.revoked`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRevoked {
    /// The key.
    pub id: ApiKeyId,
    /// `None` for a personal key.
    pub org_id: Option<OrgId>,
    /// Its name.
    pub name: String,
    /// `revoked` (by a person or key) or `account_deleted`.
    pub reason: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_matches_schema(name: &str, data: impl serde::Serialize) {
        tessera_kernel::event_types::testing::assert_matches_schema(EVENT_TYPES, name, data);
    }

    #[test]
    fn every_event_type_is_catalogued_once_with_an_object_schema() {
        tessera_kernel::event_types::testing::assert_catalogued("access", ALL, EVENT_TYPES);
    }

    #[test]
    fn emitted_payloads_match_their_schemas() {
        let (id, org_id) = (RoleId::new(), OrgId::new());
        let role = |changed| RoleChanged {
            id,
            org_id,
            name: "auditor".into(),
            description: None,
            permissions: vec!["audit:read".into()],
            changed,
        };
        assert_matches_schema(ROLE_CREATED, role(vec![]));
        assert_matches_schema(ROLE_UPDATED, role(vec!["permissions"]));
        assert_matches_schema(ROLE_DELETED, RoleDeleted { id, org_id, name: "auditor".into() });
        let (id, name, prefix) = (ApiKeyId::new(), "ci".to_owned(), "tsk_ab12".to_owned());
        let created = ApiKeyCreated {
            id,
            org_id: None,
            name: name.clone(),
            prefix: prefix.clone(),
            permissions: vec![],
            created_by: UserId::new(),
            expires_at: Some(1_700_000_000_000),
        };
        assert_matches_schema(API_KEY_CREATED, created);
        let rotated = ApiKeyRotated {
            id,
            org_id: Some(org_id),
            name: name.clone(),
            prefix,
            previous_valid_until: 1_700_000_000_000,
        };
        assert_matches_schema(API_KEY_ROTATED, rotated);
        assert_matches_schema(API_KEY_REVOKED, ApiKeyRevoked { id, org_id: None, name, reason: "revoked" });
        let grant = GrantChanged {
            id: GrantId::new(),
            org_id,
            subject: uuid::Uuid::now_v7(),
            subject_type: "user".into(),
            permission: "projects:read".into(),
            resource_type: "project".into(),
            resource_id: "p1".into(),
        };
        assert_matches_schema(GRANT_CREATED, grant);
    }
}
