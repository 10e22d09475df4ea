//! Events the identity module publishes, written to the outbox in the same
//! transaction as the change: user.created, user.updated, user.deleted,
//! user.logged_in, user.password_changed, session.revoked.

use serde::Serialize;
use tessera_kernel::Change;
use tessera_kernel::audit::Target;
use tessera_kernel::event_types::{EventType, schema_of};
use tessera_kernel::ids::{SessionId, UserId};
use utoipa::ToSchema;

use crate::model::UserOut;

pub const USER_CREATED: &str = "user.created";
pub const USER_UPDATED: &str = "user.updated";
pub const USER_DELETED: &str = "user.deleted";
pub const USER_LOGGED_IN: &str = "user.logged_in";
pub const USER_PASSWORD_CHANGED: &str = "user.password_changed";
pub const SESSION_REVOKED: &str = "session.revoked";

/// Every event type of this module.
pub const ALL: &[&str] =
    &[USER_CREATED, USER_UPDATED, USER_DELETED, USER_LOGGED_IN, USER_PASSWORD_CHANGED, SESSION_REVOKED];

const MODULE: &str = "identity";

/// Every event type of this module with the schema of its `data`.
pub const EVENT_TYPES: &[EventType] = &[
    EventType {
        name: USER_CREATED,
        module: MODULE,
        description: "An account was created (sign-up, admin creation or an accepted invitation); data is the user.",
        schema: schema_of::<UserCreated>,
    },
    EventType {
        name: USER_UPDATED,
        module: MODULE,
        description: "A user's profile, e-mail, role, status or verification changed.",
        schema: schema_of::<UserUpdated>,
    },
    EventType {
        name: USER_DELETED,
        module: MODULE,
        description: "An account was deleted.",
        schema: schema_of::<UserDeleted>,
    },
    EventType {
        name: USER_LOGGED_IN,
        module: MODULE,
        description: "A user signed in and a session was opened.",
        schema: schema_of::<UserLoggedIn>,
    },
    EventType {
        name: USER_PASSWORD_CHANGED,
        module: MODULE,
        description: "A user's password was changed, reset or set by an administrator.",
        schema: schema_of::<PasswordChanged>,
    },
    EventType {
        name: SESSION_REVOKED,
        module: MODULE,
        description: "A session was ended (logout, password change, disabled account, token reuse, …).",
        schema: schema_of::<SessionRevoked>,
    },
];

/// `user.created`: the user as clients see it.
pub type UserCreated = UserOut;

/// `user.updated`: the user as it is now and the fields that changed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserUpdated {
    /// The user after the change.
    pub user: UserOut,
    /// The changed fields, by their names in `user` (e.g. `name`, `email`, `status`).
    pub changed: Vec<&'static str>,
}

/// `user.deleted`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDeleted {
    /// The deleted account.
    pub id: UserId,
    /// Its e-mail address at deletion.
    pub email: String,
}

/// `user.logged_in`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserLoggedIn {
    /// Who signed in.
    pub user_id: UserId,
    /// The session the sign-in opened.
    pub session_id: SessionId,
    /// The client's IP address, when known.
    pub ip: Option<String>,
    /// The client's `User-Agent`, when sent.
    pub user_agent: Option<String>,
}

/// `user.password_changed`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordChanged {
    /// Whose password changed.
    pub user_id: UserId,
    /// `change`, `reset` or `admin`.
    pub via: &'static str,
}

/// `session.revoked`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionRevoked {
    /// The ended session.
    pub session_id: SessionId,
    /// Its owner.
    pub user_id: UserId,
    /// Why: `logout`, `logout_all`, `revoked_by_user`, `password_changed`, `password_reset`,
    /// `password_set_by_admin`, `user_disabled` or `refresh_token_reuse`.
    pub reason: &'static str,
}

/// One `session.revoked` change per session in `ids`, all of `user`, ended for `reason`.
pub(crate) fn revoked(user: UserId, ids: &[SessionId], reason: &'static str) -> Vec<Change> {
    let change = |id: &SessionId| {
        let data = SessionRevoked { session_id: *id, user_id: user, reason };
        Change::new(SESSION_REVOKED, Target::new("session", *id), data)
    };
    ids.iter().map(change).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_matches_schema(name: &str, data: impl serde::Serialize) {
        tessera_kernel::event_types::testing::assert_matches_schema(EVENT_TYPES, name, data);
    }

    #[test]
    fn every_event_type_is_catalogued_once_with_an_object_schema() {
        tessera_kernel::event_types::testing::assert_catalogued("identity", ALL, EVENT_TYPES);
    }

    #[test]
    fn emitted_payloads_match_their_schemas() {
        let (user_id, session_id) = (UserId::new(), SessionId::new());
        let user = UserOut {
            id: user_id,
            email: "ada@example.test".into(),
            email_verified: true,
            name: "Ada".into(),
            avatar_url: None,
            locale: Some("en".into()),
            timezone: None,
            status: crate::model::UserStatus::Active,
            role: tessera_kernel::PlatformRole::User,
            metadata: serde_json::json!({"plan": "free"}),
            preferences: serde_json::json!({}),
            created_at: 1_700_000_000_000,
            updated_at: 1_700_000_000_000,
            last_login_at: None,
        };
        assert_matches_schema(USER_CREATED, &user);
        assert_matches_schema(USER_UPDATED, UserUpdated { user, changed: vec!["name"] });
        assert_matches_schema(USER_DELETED, UserDeleted { id: user_id, email: "ada@example.test".into() });
        let ip = Some("127.0.0.1".into());
        assert_matches_schema(USER_LOGGED_IN, UserLoggedIn { user_id, session_id, ip, user_agent: None });
        assert_matches_schema(USER_PASSWORD_CHANGED, PasswordChanged { user_id, via: "reset" });
        assert_matches_schema(SESSION_REVOKED, SessionRevoked { session_id, user_id, reason: "logout" });
    }
}
