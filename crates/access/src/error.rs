//! The access module's failures and their one mapping to the error envelope.

use axum::http::StatusCode;
use tessera_kernel::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("role not found")]
    RoleNotFound,
    #[error("API key not found")]
    KeyNotFound,
    #[error("grant not found")]
    GrantNotFound,
    #[error("built-in roles cannot be changed or deleted")]
    BuiltInRole,
    #[error("a role with this name already exists in the organization")]
    RoleNameTaken,
    #[error("{members} member(s) hold this role; give them another role first")]
    RoleInUse { members: u64 },
    #[error("this grant already exists")]
    GrantExists,
    #[error("you cannot give permissions you do not hold yourself")]
    Escalation { missing: Vec<String> },
    #[error("organization API keys cannot manage personal keys")]
    OrgKeyForbidden,
    #[error("the API key is invalid, revoked or expired")]
    InvalidKey,
    #[error("{0}")]
    Forbidden(String),
}

impl From<AccessError> for ApiError {
    fn from(err: AccessError) -> Self {
        use AccessError as E;
        let msg = err.to_string();
        match err {
            E::RoleNotFound => ApiError::not_found("role"),
            E::KeyNotFound => ApiError::not_found("API key"),
            E::GrantNotFound => ApiError::not_found("grant"),
            E::BuiltInRole => ApiError::conflict("BUILT_IN_ROLE", msg),
            E::RoleNameTaken => ApiError::conflict("ROLE_NAME_TAKEN", msg),
            E::RoleInUse { members } => {
                ApiError::conflict("ROLE_IN_USE", msg).with_details(serde_json::json!({ "members": members }))
            }
            E::GrantExists => ApiError::conflict("GRANT_EXISTS", msg),
            E::Escalation { missing } => {
                ApiError::forbidden(msg).with_details(serde_json::json!({ "missingPermissions": missing }))
            }
            E::OrgKeyForbidden | E::Forbidden(_) => ApiError::forbidden(msg),
            E::InvalidKey => ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", msg),
        }
    }
}
