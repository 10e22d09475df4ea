//! Profiles (`/users/me`) and platform administration of accounts (`/users`).

use sea_orm::Set;
use tessera_kernel::ids::UserId;
use tessera_kernel::{Actor, ActorRef, ApiError, PlatformRole};
use tessera_kernel::{Change, ChangeCtx};

use super::{Identity, Target, user_diff};
use crate::entity::users;
use crate::error::IdentityError;
use crate::events;
use crate::model::UserOut;
use crate::model::{Email, NewPassword, UserStatus};
use crate::store;
use crate::store::action_tokens::{self, Purpose};

/// Changes to a profile; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct ProfilePatch {
    pub name: Option<String>,
    pub avatar_url: Option<Option<String>>,
    pub locale: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    /// Merged into the stored preferences; keys set to null are removed.
    pub preferences: Option<serde_json::Value>,
}

/// What only administrators may change, on top of the profile.
#[derive(Debug, Default)]
pub struct AdminPatch {
    pub profile: ProfilePatch,
    pub email: Option<Email>,
    pub role: Option<PlatformRole>,
    pub email_verified: Option<bool>,
    /// Replaces the stored metadata.
    pub metadata: Option<serde_json::Value>,
}

/// An account created by an administrator (or the CLI).
#[derive(Debug)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    /// Without one, the user is mailed a link to choose it.
    pub password: Option<NewPassword>,
    pub role: PlatformRole,
    pub email_verified: bool,
}

/// A created account and, when it has no password yet, its set-password token.
pub struct CreatedUser {
    pub user: users::Model,
    pub set_password_token: Option<String>,
}

impl Identity {
    /// A user, from this node's cache when it read or wrote it recently.
    pub(crate) async fn get_user(&self, id: UserId) -> Result<users::Model, ApiError> {
        if let Some(user) = self.users.get(&id) {
            return Ok((*user).clone());
        }
        let user = store::users::find(&self.core.db.conn, id).await?.ok_or(IdentityError::UserNotFound)?;
        self.users.insert(id, std::sync::Arc::new(user.clone()));
        Ok(user)
    }

    /// Applies a profile change to the caller.
    pub(crate) async fn update_me(&self, actor: &Actor, patch: ProfilePatch) -> Result<users::Model, ApiError> {
        self.update_user(actor, actor.user_id(), AdminPatch { profile: patch, ..Default::default() }).await
    }

    /// Applies `patch` to `id` and records `user.updated` with the changed fields.
    pub(crate) async fn update_user(
        &self,
        actor: &Actor,
        id: UserId,
        patch: AdminPatch,
    ) -> Result<users::Model, ApiError> {
        let now = self.now();
        let txn = self.core.db.begin_write().await?;
        let user = store::users::find(&*txn, id).await?.ok_or(IdentityError::UserNotFound)?;
        let before = UserOut::from(&user);
        let mut changed = Vec::new();
        let mut active: users::ActiveModel = user.clone().into();
        let p = patch.profile;
        if let Some(name) = p.name.filter(|n| *n != user.name) {
            active.name = Set(name);
            changed.push("name");
        }
        if let Some(v) = p.avatar_url.filter(|v| *v != user.avatar_url) {
            active.avatar_url = Set(v);
            changed.push("avatarUrl");
        }
        if let Some(v) = p.locale.filter(|v| *v != user.locale) {
            active.locale = Set(v);
            changed.push("locale");
        }
        if let Some(v) = p.timezone.filter(|v| *v != user.timezone) {
            active.timezone = Set(v);
            changed.push("timezone");
        }
        if let Some(prefs) = p.preferences {
            let merged = merge(user.preferences.clone(), prefs);
            if merged != user.preferences {
                active.preferences = Set(merged);
                changed.push("preferences");
            }
        }
        if let Some(email) = patch.email.filter(|e| e.as_str() != user.email) {
            active.email = Set(email.into_inner());
            changed.push("email");
        }
        if let Some(role) = patch.role.filter(|r| *r != user.role) {
            active.role = Set(role);
            changed.push("role");
        }
        if let Some(verified) = patch.email_verified.filter(|v| *v != user.email_verified_at.is_some()) {
            active.email_verified_at = Set(verified.then_some(now));
            if verified && user.status == UserStatus::PendingVerification {
                active.status = Set(UserStatus::Active);
            }
            changed.push("emailVerified");
        }
        if let Some(meta) = patch.metadata.filter(|m| *m != user.metadata) {
            active.metadata = Set(meta);
            changed.push("metadata");
        }
        if changed.is_empty() {
            return Ok(user);
        }
        active.updated_at = Set(now);
        let user = store::users::update(&*txn, active).await.map_err(super::auth::email_taken)?;
        let role_changed = changed.contains(&"role");
        let (b, a) = user_diff(&before, &UserOut::from(&user), &changed);
        let data = events::UserUpdated { user: UserOut::from(&user), changed };
        self.core
            .record(
                &txn,
                &ChangeCtx::platform(actor),
                Change::new(events::USER_UPDATED, Target::new("user", user.id).diff(b, a), data),
            )
            .await?;
        txn.commit().await?;
        self.user_changed(user.id);
        if role_changed {
            self.forget_user(user.id).await?;
        }
        Ok(user)
    }

    /// Deletes an account with its sessions and tokens.
    /// Other modules erase or pseudonymize their data about the user in the same
    /// transaction, and may refuse first (the last owner of an organization).
    pub(crate) async fn delete_user(&self, actor: &ActorRef, id: UserId) -> Result<(), ApiError> {
        self.get_user(id).await?;
        self.core.personal.check_erasable(id).await?;
        let txn = self.core.db.begin_write().await?;
        let user = store::users::find(&*txn, id).await?.ok_or(IdentityError::UserNotFound)?;
        let sessions = store::sessions::revoke_for_user(&*txn, id, None, "user_deleted", self.now()).await?;
        store::users::delete(&*txn, id).await?;
        let before = serde_json::to_value(UserOut::from(&user)).unwrap_or_default();
        let data = events::UserDeleted { id, email: user.email };
        let target = Target::new("user", id).diff(before, serde_json::Value::Null);
        self.core
            .record(&txn, &ChangeCtx::platform(actor.clone()), Change::new(events::USER_DELETED, target, data))
            .await?;
        // Last, so the audit entries written above (this deletion's own) are
        // pseudonymized with the rest.
        self.core.personal.erase(&txn, id).await?;
        txn.commit().await?;
        self.user_changed(id);
        self.forget_sessions(&sessions);
        Ok(())
    }

    /// Creates an account for someone else; without a password, mails them a link.
    pub(crate) async fn create_user(&self, actor: &ActorRef, new: NewUser) -> Result<CreatedUser, ApiError> {
        let db = &self.core.db;
        if store::users::find_by_email(&db.conn, new.email.as_str()).await?.is_some() {
            return Err(IdentityError::EmailTaken.into());
        }
        let hash = match &new.password {
            Some(p) => Some(self.hasher.hash(&p.0).await?),
            None => None,
        };
        let status = if new.email_verified { UserStatus::Active } else { UserStatus::PendingVerification };
        let now = self.now();
        let row = self.new_user_row(new.email, new.name, hash, status, new.role);
        let txn = db.begin_write().await?;
        let user = store::users::insert(&*txn, row).await.map_err(super::auth::email_taken)?;
        let mut set_password_token = None;
        if new.password.is_none() {
            let expires = now + self.cfg.set_password_ttl_hours * 3_600_000;
            let token = action_tokens::create(&*txn, user.id, Purpose::SetPassword, now, expires).await?;
            let mail = self.set_password_mail(&user.email, &user.name, &token);
            self.core.mailer.enqueue(&self.core.jobs, &*txn, &mail).await?;
            set_password_token = Some(token);
        }
        let out = UserOut::from(&user);
        let target =
            Target::new("user", user.id).diff(serde_json::Value::Null, serde_json::to_value(&out).unwrap_or_default());
        self.core
            .record(&txn, &ChangeCtx::platform(actor.clone()), Change::new(events::USER_CREATED, target, out))
            .await?;
        txn.commit().await?;
        self.core.jobs.wake();
        Ok(CreatedUser { user, set_password_token })
    }

    /// An administrator sets a user's password; the user is signed out everywhere.
    /// Not their own: that goes through change-password, which asks for the current one.
    pub(crate) async fn set_password(&self, actor: &Actor, id: UserId, password: NewPassword) -> Result<(), ApiError> {
        if id == actor.user_id() {
            return Err(IdentityError::SelfAdministration.into());
        }
        self.get_user(id).await?;
        let hash = self.hasher.hash(&password.0).await?;
        let now = self.now();
        let txn = self.core.db.begin_write().await?;
        let user = store::users::find(&*txn, id).await?.ok_or(IdentityError::UserNotFound)?;
        let mut active: users::ActiveModel = user.into();
        active.password_hash = Set(Some(hash));
        active.password_changed_at = Set(Some(now));
        active.failed_logins = Set(0);
        active.locked_until = Set(None);
        active.updated_at = Set(now);
        store::users::update(&*txn, active).await?;
        let revoked = store::sessions::revoke_for_user(&*txn, id, None, "password_set_by_admin", now).await?;
        let ctx = ChangeCtx::platform(actor);
        self.core.record_all(&txn, &ctx, events::revoked(id, &revoked, "password_set_by_admin")).await?;
        let data = events::PasswordChanged { user_id: id, via: "admin" };
        self.core.record(&txn, &ctx, Change::new(events::USER_PASSWORD_CHANGED, Target::new("user", id), data)).await?;
        txn.commit().await?;
        self.user_changed(id);
        self.forget_sessions(&revoked);
        Ok(())
    }

    /// Disables (revoking every session) or re-enables an account.
    pub(crate) async fn set_disabled(
        &self,
        actor: &Actor,
        id: UserId,
        disabled: bool,
    ) -> Result<users::Model, ApiError> {
        if id == actor.user_id() {
            return Err(IdentityError::SelfAdministration.into());
        }
        let now = self.now();
        let txn = self.core.db.begin_write().await?;
        let user = store::users::find(&*txn, id).await?.ok_or(IdentityError::UserNotFound)?;
        let target = match (disabled, user.email_verified_at.is_some()) {
            (true, _) => UserStatus::Disabled,
            (false, true) => UserStatus::Active,
            (false, false) => UserStatus::PendingVerification,
        };
        if user.status == target {
            return Ok(user);
        }
        let before_status = user.status;
        let mut active: users::ActiveModel = user.into();
        active.status = Set(target);
        active.updated_at = Set(now);
        let user = store::users::update(&*txn, active).await?;
        let mut revoked = Vec::new();
        if disabled {
            revoked = store::sessions::revoke_for_user(&*txn, id, None, "user_disabled", now).await?;
            self.core
                .record_all(&txn, &ChangeCtx::platform(actor), events::revoked(id, &revoked, "user_disabled"))
                .await?;
        }
        let (b, a) = (serde_json::json!({ "status": before_status }), serde_json::json!({ "status": user.status }));
        let data = events::UserUpdated { user: UserOut::from(&user), changed: vec!["status"] };
        self.core
            .record(
                &txn,
                &ChangeCtx::platform(actor),
                Change::new(events::USER_UPDATED, Target::new("user", id).diff(b, a), data),
            )
            .await?;
        txn.commit().await?;
        self.user_changed(id);
        self.forget_sessions(&revoked);
        Ok(user)
    }
}

/// JSON merge: keys of `patch` replace those of `base`; null removes a key.
fn merge(base: serde_json::Value, patch: serde_json::Value) -> serde_json::Value {
    let (serde_json::Value::Object(mut base), serde_json::Value::Object(patch)) = (base, patch.clone()) else {
        return patch;
    };
    for (k, v) in patch {
        if v.is_null() {
            base.remove(&k);
        } else {
            base.insert(k, v);
        }
    }
    serde_json::Value::Object(base)
}
