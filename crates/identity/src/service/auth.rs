//! Sign-up, sign-in, token refresh and sign-out.

use std::net::IpAddr;

use serde::Serialize;
use tessera_kernel::crypto::{random_token, token_hash};
use tessera_kernel::db::WriteTxn;
use tessera_kernel::ids::{SessionId, UserId};
use tessera_kernel::{Actor, ActorRef, ApiError, PlatformRole};
use tessera_kernel::{Change, ChangeCtx};
use utoipa::ToSchema;

use super::{Identity, Target, throttle};
use crate::entity::users;
use crate::error::IdentityError;
use crate::events;
use crate::model::{Email, NewPassword, Secret, UserStatus};
use crate::store::action_tokens::{self, Purpose};
use crate::store::sessions::Origin;
use crate::store::{self};

/// A new account as submitted.
#[derive(Debug)]
pub struct Registration {
    pub email: Email,
    pub password: NewPassword,
    pub name: String,
}

/// Tokens handed to a client after sign-in or refresh.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// Result of a sign-in: the tokens and the user.
pub struct SignedIn {
    pub tokens: TokenPair,
    pub user: users::Model,
}

impl Identity {
    /// Creates an account pending e-mail verification and mails the link.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn register(&self, reg: Registration) -> Result<users::Model, ApiError> {
        let db = &self.core.db;
        if store::users::find_by_email(&db.conn, reg.email.as_str()).await?.is_some() {
            return Err(IdentityError::EmailTaken.into());
        }
        let hash = self.hasher.hash(&reg.password.0).await?;
        let now = self.now();
        let user =
            self.new_user_row(reg.email, reg.name, Some(hash), UserStatus::PendingVerification, PlatformRole::User);
        let txn = db.begin_write().await?;
        let user = store::users::insert(&*txn, user).await.map_err(email_taken)?;
        let expires = now + self.cfg.verify_email_ttl_hours * 3_600_000;
        let token = action_tokens::create(&*txn, user.id, Purpose::VerifyEmail, now, expires).await?;
        let mail = self.verification_mail(&user.email, &user.name, &token);
        self.core.mailer.enqueue(&self.core.jobs, &*txn, &mail).await?;
        let actor = ActorRef::User { id: user.id };
        let out = crate::model::UserOut::from(&user);
        let target =
            Target::new("user", user.id).diff(serde_json::Value::Null, serde_json::to_value(&out).unwrap_or_default());
        self.core.record(&txn, &ChangeCtx::platform(actor), Change::new(events::USER_CREATED, target, out)).await?;
        txn.commit().await?;
        self.core.jobs.wake();
        metrics::counter!("tessera_registrations_total").increment(1);
        Ok(user)
    }

    /// Checks a password and opens a session.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn login(
        &self,
        email: &Email,
        password: &Secret,
        origin: &Origin,
        ip: IpAddr,
    ) -> Result<SignedIn, ApiError> {
        let now = self.now();
        if let Some(wait) = self.ip_strikes.wait(ip, now).await {
            return Err(ApiError::rate_limited(wait));
        }
        let db = &self.core.db;
        let user = store::users::find_by_email(&db.conn, email.as_str()).await?;
        if let Some(u) = &user
            && let Some(wait) = throttle::locked_for(u, now)
        {
            metrics::counter!("tessera_logins_failed_total", "reason" => "locked").increment(1);
            return Err(IdentityError::AccountLocked { retry_after: wait }.into());
        }
        let stored = user.as_ref().and_then(|u| u.password_hash.as_deref());
        let verified = self.hasher.verify(password, stored).await?;
        let (Some(user), true) = (user, verified.ok) else {
            return Err(self.failed_login(email, ip).await);
        };
        match user.status {
            UserStatus::Disabled => return Err(IdentityError::AccountDisabled.into()),
            UserStatus::PendingVerification if !self.cfg.allow_unverified_login => {
                return Err(IdentityError::EmailNotVerified.into());
            }
            _ => {}
        }
        let rehash = if verified.needs_rehash { Some(self.hasher.hash(password).await?) } else { None };
        let txn = db.begin_write().await?;
        let mut user = user;
        user.last_login_at = Some(now);
        (user.failed_logins, user.lockouts, user.locked_until) = (0, 0, None);
        if let Some(hash) = rehash {
            user.password_hash = Some(hash);
        }
        store::users::record_login(&*txn, &user).await?;
        let (tokens, session) = self.open_session(&*txn, &user, origin).await?;
        let data = events::UserLoggedIn {
            user_id: user.id,
            session_id: session,
            ip: origin.ip.clone(),
            user_agent: origin.user_agent.clone(),
        };
        self.core
            .record(
                &txn,
                &ChangeCtx::platform(ActorRef::User { id: user.id }),
                Change::new(events::USER_LOGGED_IN, Target::new("session", session), data),
            )
            .await?;
        txn.commit().await?;
        self.user_changed(user.id);
        metrics::counter!("tessera_logins_total").increment(1);
        Ok(SignedIn { tokens, user })
    }

    /// Counts a failure against the address and the account; the error to answer.
    async fn failed_login(&self, email: &Email, ip: IpAddr) -> ApiError {
        let now = self.now();
        self.ip_strikes.strike(ip, now).await;
        metrics::counter!("tessera_logins_failed_total", "reason" => "credentials").increment(1);
        let db = &self.core.db;
        // Re-read: the counters may have moved while the hash was computed.
        let locked = match store::users::find_by_email(&db.conn, email.as_str()).await {
            Ok(Some(user)) => throttle::record_failure(db.writer(), &self.cfg.lockout, &user, now).await,
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        match locked {
            Ok(Some(secs)) => IdentityError::AccountLocked { retry_after: secs }.into(),
            Ok(None) => IdentityError::InvalidCredentials.into(),
            Err(e) => e.into(),
        }
    }

    /// Creates a session with its first refresh token and signs an access token.
    pub(crate) async fn open_session<C: sea_orm::ConnectionTrait>(
        &self,
        conn: &C,
        user: &users::Model,
        origin: &Origin,
    ) -> Result<(TokenPair, tessera_kernel::ids::SessionId), ApiError> {
        let now = self.now();
        let expires = now + self.cfg.refresh_token_ttl_days * 86_400_000;
        let session = store::sessions::create(conn, user.id, origin, now, expires).await?;
        let refresh = random_token("", 32);
        store::sessions::insert_refresh(conn, session.id, token_hash(&refresh), now).await?;
        let role = user.role;
        let (access, _) = self.tokens.issue(user.id, session.id, role)?;
        Ok((self.pair(access, refresh), session.id))
    }

    fn pair(&self, access: String, refresh: String) -> TokenPair {
        TokenPair {
            access_token: access,
            refresh_token: refresh,
            token_type: "Bearer",
            expires_in: self.tokens.ttl_secs(),
        }
    }

    /// Trades a refresh token for a new pair. A token presented a second time
    /// means it was stolen (or replayed): the whole session is revoked.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, ApiError> {
        let now = self.now();
        let hash = token_hash(refresh_token);
        // Read and rotate in one write transaction: on SQLite that keeps the whole
        // exchange on the writer connection, whose cache is hot.
        let txn = self.core.db.begin_write().await?;
        let Some(row) = store::sessions::find_refresh(&*txn, &hash).await? else {
            return Err(IdentityError::InvalidRefreshToken.into());
        };
        // Spent already (or, on engines with concurrent writers, just now): theft or replay.
        if row.used_at.is_some() || !store::sessions::use_refresh(&*txn, &hash, now).await? {
            return Err(self.refresh_reused(txn, row.session_id, row.user_id).await);
        }
        if row.revoked_at.is_some() || row.expires_at <= now {
            return Err(IdentityError::InvalidRefreshToken.into());
        }
        if row.status == UserStatus::Disabled {
            return Err(IdentityError::AccountDisabled.into());
        }
        let next = random_token("", 32);
        store::sessions::insert_refresh(&*txn, row.session_id, token_hash(&next), now).await?;
        let expires = now + self.cfg.refresh_token_ttl_days * 86_400_000;
        store::sessions::touch(&*txn, row.session_id, now, expires).await?;
        txn.commit().await?;
        let role = row.role;
        let (access, _) = self.tokens.issue(row.user_id, row.session_id, role)?;
        metrics::counter!("tessera_token_refreshes_total").increment(1);
        Ok(self.pair(access, next))
    }

    /// Revokes the session of a reused refresh token, in the caller's transaction.
    async fn refresh_reused(&self, txn: WriteTxn, session: SessionId, user: UserId) -> ApiError {
        metrics::counter!("tessera_refresh_reuse_total").increment(1);
        let result: Result<(), ApiError> = async {
            if store::sessions::revoke(&*txn, session, "refresh_token_reuse", self.now()).await? {
                self.core
                    .record_all(
                        &txn,
                        &ChangeCtx::platform(ActorRef::System),
                        events::revoked(user, &[session], "refresh_token_reuse"),
                    )
                    .await?;
            }
            txn.commit().await?;
            Ok(())
        }
        .await;
        self.forget_sessions(&[session]);
        match result {
            Ok(()) => IdentityError::RefreshTokenReused.into(),
            Err(e) => e,
        }
    }

    /// Ends the caller's session.
    pub(crate) async fn logout(&self, actor: &Actor) -> Result<(), ApiError> {
        let u = actor.session_user()?;
        let txn = self.core.db.begin_write().await?;
        if store::sessions::revoke(&*txn, u.session_id, "logout", self.now()).await? {
            self.core
                .record_all(&txn, &ChangeCtx::platform(actor), events::revoked(u.user_id, &[u.session_id], "logout"))
                .await?;
        }
        txn.commit().await?;
        self.forget_sessions(&[u.session_id]);
        Ok(())
    }

    /// Ends every session of the caller; returns how many.
    pub(crate) async fn logout_all(&self, actor: &Actor) -> Result<usize, ApiError> {
        actor.session_user()?;
        let user = actor.user_id();
        self.revoke_user_sessions(&actor.as_ref(), user, None, "logout_all").await
    }

    /// Revokes the user's sessions (all, or all but `except`) in one transaction.
    pub(crate) async fn revoke_user_sessions(
        &self,
        actor: &ActorRef,
        user: tessera_kernel::ids::UserId,
        except: Option<tessera_kernel::ids::SessionId>,
        reason: &'static str,
    ) -> Result<usize, ApiError> {
        let txn = self.core.db.begin_write().await?;
        let ids = store::sessions::revoke_for_user(&*txn, user, except, reason, self.now()).await?;
        self.core.record_all(&txn, &ChangeCtx::platform(actor.clone()), events::revoked(user, &ids, reason)).await?;
        txn.commit().await?;
        self.forget_sessions(&ids);
        Ok(ids.len())
    }

    pub(crate) fn new_user_row(
        &self,
        email: Email,
        name: String,
        password_hash: Option<String>,
        status: UserStatus,
        role: PlatformRole,
    ) -> users::ActiveModel {
        let now = self.now();
        users::ActiveModel {
            id: sea_orm::Set(tessera_kernel::ids::UserId::new()),
            email: sea_orm::Set(email.into_inner()),
            email_verified_at: sea_orm::Set((status == UserStatus::Active).then_some(now)),
            password_hash: sea_orm::Set(password_hash.clone()),
            name: sea_orm::Set(name),
            avatar_url: sea_orm::Set(None),
            locale: sea_orm::Set(None),
            timezone: sea_orm::Set(None),
            status: sea_orm::Set(status),
            role: sea_orm::Set(role),
            metadata: sea_orm::Set(serde_json::json!({})),
            preferences: sea_orm::Set(serde_json::json!({})),
            failed_logins: sea_orm::Set(0),
            lockouts: sea_orm::Set(0),
            locked_until: sea_orm::Set(None),
            last_failed_login_at: sea_orm::Set(None),
            password_changed_at: sea_orm::Set(password_hash.map(|_| now)),
            last_login_at: sea_orm::Set(None),
            created_at: sea_orm::Set(now),
            updated_at: sea_orm::Set(now),
        }
    }
}

/// A unique violation on insert means another request took the address first.
pub(crate) fn email_taken(err: sea_orm::DbErr) -> ApiError {
    if tessera_kernel::db::is_unique_violation(&err) { IdentityError::EmailTaken.into() } else { err.into() }
}
