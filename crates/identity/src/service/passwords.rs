//! E-mail verification and the password flows: forgot, reset, change.

use std::sync::{Arc, Weak};

use sea_orm::Set;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_kernel::jobs::{JobError, JobHandler};
use tessera_kernel::{Actor, ActorRef, ApiError, FieldError};
use tessera_kernel::{Change, ChangeCtx};

use super::{Identity, Target, user_diff};
use crate::entity::users;
use crate::error::IdentityError;
use crate::events;
use crate::model::UserOut;
use crate::model::{Email, NewPassword, Secret, UserStatus};
use crate::store;
use crate::store::action_tokens::{self, Purpose};

impl Identity {
    /// Spends a verification token: the address is verified, a pending account becomes active.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn verify_email(&self, token: &str) -> Result<users::Model, ApiError> {
        let now = self.now();
        let txn = self.core.db.begin_write().await?;
        let user_id = action_tokens::consume(&*txn, token, &[Purpose::VerifyEmail], now)
            .await?
            .ok_or(IdentityError::InvalidToken)?;
        let user = store::users::find(&*txn, user_id).await?.ok_or(IdentityError::InvalidToken)?;
        let mut active: users::ActiveModel = user.clone().into();
        active.email_verified_at = Set(Some(now));
        if user.status == UserStatus::PendingVerification {
            active.status = Set(UserStatus::Active);
        }
        active.updated_at = Set(now);
        let before = UserOut::from(&user);
        let user = store::users::update(&*txn, active).await?;
        let changed = vec!["emailVerified", "status"];
        let (b, a) = user_diff(&before, &UserOut::from(&user), &changed);
        let data = events::UserUpdated { user: UserOut::from(&user), changed };
        self.core
            .record(
                &txn,
                &ChangeCtx::platform(ActorRef::User { id: user.id }),
                Change::new(events::USER_UPDATED, Target::new("user", user.id).diff(b, a), data),
            )
            .await?;
        txn.commit().await?;
        self.user_changed(user.id);
        Ok(user)
    }

    /// Queues a new verification link for the address. The job is written
    /// before the answer (a crash after it loses nothing) and the same for every
    /// address, so neither the answer nor its timing says whether the account exists.
    pub(crate) async fn resend_verification(&self, email: Email) -> Result<(), ApiError> {
        self.queue_mail_job(MailJob::Verification, email).await
    }

    async fn queue_mail_job(&self, kind: MailJob, email: Email) -> Result<(), ApiError> {
        let payload = MailJobPayload { email: email.as_str().to_owned() };
        self.core.jobs.enqueue(self.core.db.writer(), kind.job_kind(), payload, 5).await?;
        self.core.jobs.wake();
        Ok(())
    }

    /// Runs a queued mail job: makes the token and queues the message, in one
    /// transaction, if the account exists and wants one.
    pub(crate) async fn run_mail_job(&self, kind: MailJob, email: &str) -> Result<(), ApiError> {
        let email = Email::parse("email", email)?;
        match kind {
            MailJob::Verification => self.resend_verification_now(&email).await,
            MailJob::Reset => self.forgot_password_now(&email).await,
        }
    }

    async fn resend_verification_now(&self, email: &Email) -> Result<(), ApiError> {
        let db = &self.core.db;
        let Some(user) = store::users::find_by_email(&db.conn, email.as_str()).await? else {
            return Ok(());
        };
        if user.email_verified_at.is_some() || user.status == UserStatus::Disabled {
            return Ok(());
        }
        let now = self.now();
        let txn = db.begin_write().await?;
        action_tokens::void(&*txn, user.id, &[Purpose::VerifyEmail], now).await?;
        let expires = now + self.cfg.verify_email_ttl_hours * 3_600_000;
        let token = action_tokens::create(&*txn, user.id, Purpose::VerifyEmail, now, expires).await?;
        self.core
            .mailer
            .enqueue(&self.core.jobs, &*txn, &self.verification_mail(&user.email, &user.name, &token))
            .await?;
        txn.commit().await?;
        self.core.jobs.wake();
        Ok(())
    }

    /// Queues a reset link for the address (see [`Identity::resend_verification`]).
    pub(crate) async fn forgot_password(&self, email: Email) -> Result<(), ApiError> {
        self.queue_mail_job(MailJob::Reset, email).await
    }

    async fn forgot_password_now(&self, email: &Email) -> Result<(), ApiError> {
        let db = &self.core.db;
        let Some(user) = store::users::find_by_email(&db.conn, email.as_str()).await? else {
            return Ok(());
        };
        if user.status == UserStatus::Disabled {
            return Ok(());
        }
        let now = self.now();
        let txn = db.begin_write().await?;
        let expires = now + self.cfg.reset_password_ttl_minutes * 60_000;
        let token = action_tokens::create(&*txn, user.id, Purpose::ResetPassword, now, expires).await?;
        self.core.mailer.enqueue(&self.core.jobs, &*txn, &self.reset_mail(&user.email, &user.name, &token)).await?;
        txn.commit().await?;
        self.core.jobs.wake();
        Ok(())
    }

    /// Sets a new password with a reset (or set-password) token and signs the
    /// user out everywhere. The token works once.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn reset_password(&self, token: &str, password: NewPassword) -> Result<(), ApiError> {
        // Hash before the transaction (it is slow), but only for a token that may work.
        let purposes = [Purpose::ResetPassword, Purpose::SetPassword];
        if !action_tokens::usable(&self.core.db.conn, token, &purposes, self.now()).await? {
            return Err(IdentityError::InvalidToken.into());
        }
        let new_hash = self.hasher.hash(&password.0).await?;
        let now = self.now();
        let txn = self.core.db.begin_write().await?;
        let user_id = action_tokens::consume(&*txn, token, &purposes, now).await?.ok_or(IdentityError::InvalidToken)?;
        let user = store::users::find(&*txn, user_id).await?.ok_or(IdentityError::InvalidToken)?;
        let mut active: users::ActiveModel = user.clone().into();
        active.password_hash = Set(Some(new_hash));
        active.password_changed_at = Set(Some(now));
        active.failed_logins = Set(0);
        active.lockouts = Set(0);
        active.locked_until = Set(None);
        active.updated_at = Set(now);
        // The link arrived by e-mail, which proves the address.
        if user.email_verified_at.is_none() {
            active.email_verified_at = Set(Some(now));
        }
        if user.status == UserStatus::PendingVerification {
            active.status = Set(UserStatus::Active);
        }
        store::users::update(&*txn, active).await?;
        action_tokens::void(&*txn, user_id, &purposes, now).await?;
        let ctx = ChangeCtx::platform(ActorRef::User { id: user_id });
        let revoked = store::sessions::revoke_for_user(&*txn, user_id, None, "password_reset", now).await?;
        self.core.record_all(&txn, &ctx, events::revoked(user_id, &revoked, "password_reset")).await?;
        let data = events::PasswordChanged { user_id, via: "reset" };
        self.core
            .record(&txn, &ctx, Change::new(events::USER_PASSWORD_CHANGED, Target::new("user", user_id), data))
            .await?;
        txn.commit().await?;
        self.user_changed(user_id);
        self.forget_sessions(&revoked);
        Ok(())
    }

    /// Changes the caller's password after checking the current one; other
    /// sessions are signed out, this one stays.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn change_password(
        &self,
        actor: &Actor,
        current: &Secret,
        password: NewPassword,
    ) -> Result<(), ApiError> {
        let me = actor.session_user()?;
        let db = &self.core.db;
        let user = store::users::find(&db.conn, me.user_id).await?.ok_or(IdentityError::UserNotFound)?;
        let verified = self.hasher.verify(current, user.password_hash.as_deref()).await?;
        if !verified.ok {
            return Err(FieldError::new("currentPassword", "INCORRECT", "the current password is incorrect").into());
        }
        let new_hash = self.hasher.hash(&password.0).await?;
        let now = self.now();
        let txn = db.begin_write().await?;
        let mut active: users::ActiveModel = user.into();
        active.password_hash = Set(Some(new_hash));
        active.password_changed_at = Set(Some(now));
        active.updated_at = Set(now);
        store::users::update(&*txn, active).await?;
        action_tokens::void(&*txn, me.user_id, &[Purpose::ResetPassword, Purpose::SetPassword], now).await?;
        let revoked =
            store::sessions::revoke_for_user(&*txn, me.user_id, Some(me.session_id), "password_changed", now).await?;
        let ctx = ChangeCtx::platform(actor);
        self.core.record_all(&txn, &ctx, events::revoked(me.user_id, &revoked, "password_changed")).await?;
        let data = events::PasswordChanged { user_id: me.user_id, via: "change" };
        let change = Change::new(events::USER_PASSWORD_CHANGED, Target::new("user", me.user_id), data);
        self.core.record(&txn, &ctx, change).await?;
        txn.commit().await?;
        self.user_changed(me.user_id);
        self.forget_sessions(&revoked);
        Ok(())
    }
}

/// The e-mails a request queues as a job rather than sending from the request.
#[derive(Clone, Copy, Debug)]
pub(crate) enum MailJob {
    Verification,
    Reset,
}

impl MailJob {
    fn job_kind(self) -> &'static str {
        match self {
            Self::Verification => "identity.mail.verification",
            Self::Reset => "identity.mail.reset",
        }
    }

    /// Registers both jobs' handler with the queue (holding the module weakly:
    /// the core, which the module holds, keeps the handlers).
    pub(crate) fn register(identity: &Arc<Identity>) {
        for kind in [Self::Verification, Self::Reset] {
            let handler = Arc::new(RunMailJob { kind, identity: Arc::downgrade(identity) });
            identity.core.jobs.register(kind.job_kind(), handler);
        }
    }
}

#[derive(Serialize, Deserialize)]
struct MailJobPayload {
    email: String,
}

struct RunMailJob {
    kind: MailJob,
    identity: Weak<Identity>,
}

#[async_trait::async_trait]
impl JobHandler for RunMailJob {
    async fn run(&self, payload: Value) -> Result<(), JobError> {
        let p: MailJobPayload = serde_json::from_value(payload).map_err(|e| JobError::Permanent(e.to_string()))?;
        let identity =
            self.identity.upgrade().ok_or_else(|| JobError::Retry("the identity module is shutting down".into()))?;
        identity.run_mail_job(self.kind, &p.email).await.map_err(|e| JobError::Retry(e.message.to_string()))
    }
}
