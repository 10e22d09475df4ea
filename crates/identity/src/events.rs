//! Events the identity module publishes, written to the outbox in the same
//! transaction as the change: user.created, user.updated, user.deleted,
//! user.logged_in, user.password_changed, session.revoked.

use serde::Serialize;
use tessera_kernel::ids::{SessionId, UserId};
use utoipa::ToSchema;

pub const USER_CREATED: &str = "user.created";
pub const USER_UPDATED: &str = "user.updated";
pub const USER_DELETED: &str = "user.deleted";
pub const USER_LOGGED_IN: &str = "user.logged_in";
pub const USER_PASSWORD_CHANGED: &str = "user.password_changed";
pub const SESSION_REVOKED: &str = "session.revoked";

/// Every event type of this module.
pub const ALL: &[&str] =
    &[USER_CREATED, USER_UPDATED, USER_DELETED, USER_LOGGED_IN, USER_PASSWORD_CHANGED, SESSION_REVOKED];

/// `user.updated`: the user as it is now and the fields that changed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserUpdated<U> {
    pub user: U,
    pub changed: Vec<&'static str>,
}

/// `user.deleted`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDeleted {
    pub id: UserId,
    pub email: String,
}

/// `user.logged_in`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserLoggedIn {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// `user.password_changed`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordChanged {
    pub user_id: UserId,
    /// `change`, `reset` or `admin`.
    pub via: &'static str,
}

/// `session.revoked`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionRevoked {
    pub session_id: SessionId,
    pub user_id: UserId,
    pub reason: &'static str,
}
