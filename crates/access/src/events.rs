//! Events the access module publishes, written to the outbox in the same
//! transaction as the change: role.created, role.updated, role.deleted,
//! api_key.created, api_key.rotated, api_key.revoked, grant.created and
//! grant.deleted. Payloads never carry a key's secret.

use serde::Serialize;
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

/// `role.created` and `role.updated`: the role as it is now.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleChanged {
    pub id: RoleId,
    pub org_id: OrgId,
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<String>,
    /// For `role.updated`: the fields that changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<&'static str>,
}

/// `role.deleted`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleDeleted {
    pub id: RoleId,
    pub org_id: OrgId,
    pub name: String,
}

/// `api_key.created` (metadata only).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyCreated {
    pub id: ApiKeyId,
    /// `None` for a personal key.
    pub org_id: Option<OrgId>,
    pub name: String,
    pub prefix: String,
    pub permissions: Vec<String>,
    pub created_by: UserId,
    pub expires_at: Option<i64>,
}

/// `api_key.rotated` (the new secret's prefix, never the secret).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRotated {
    pub id: ApiKeyId,
    pub org_id: Option<OrgId>,
    pub name: String,
    pub prefix: String,
    /// Until when the previous secret keeps working (milliseconds since the epoch).
    pub previous_valid_until: i64,
}

/// `grant.created` and `grant.deleted`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GrantChanged {
    pub id: GrantId,
    pub org_id: OrgId,
    /// A user id or an API key id.
    pub subject: uuid::Uuid,
    /// `user` or `apikey`.
    pub subject_type: String,
    pub permission: String,
    pub resource_type: String,
    pub resource_id: String,
}

/// `api_key.revoked`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRevoked {
    pub id: ApiKeyId,
    pub org_id: Option<OrgId>,
    pub name: String,
    /// `revoked` (by a person or key) or `account_deleted`.
    pub reason: &'static str,
}
