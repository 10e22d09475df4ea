//! What other modules (and operators' tools) may ask the identity module: short
//! views of users by id or e-mail, a text search within a set of users, accounts
//! created with their address already verified (an accepted invitation proves
//! it) inside the caller's transaction, accounts created by an operator, and
//! signing-key rotation. [`Identity`] is provided to later modules through the
//! module wiring; only the methods of this file are public.

use sea_orm::sea_query::{Expr, Func, LikeExpr};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, ExprTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use tessera_kernel::db::escape_like;
use tessera_kernel::fields::parse_name;
use tessera_kernel::ids::UserId;
use tessera_kernel::{ActorRef, ApiError, FieldErrors, PlatformRole};
use tessera_kernel::{Change, ChangeCtx};

use crate::entity::users::{Column, Entity};
use crate::error::IdentityError;
use crate::events;
use crate::model::UserOut;
pub use crate::model::{Email, Secret};
use crate::model::{NewPassword, UserStatus};
pub use crate::service::Identity;
use crate::service::Target;
use crate::service::users::NewUser;
use crate::store;

/// Ids per `IN (…)` list, well under every engine's parameter limit.
const CHUNK: usize = 500;

/// A user as other modules show them: who, and whether the address is proven.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
}

type Row = (UserId, String, String, Option<i64>);

fn summary((id, email, name, verified): Row) -> UserSummary {
    UserSummary { id, email, name, email_verified: verified.is_some() }
}

fn summaries() -> sea_orm::Select<Entity> {
    Entity::find().select_only().columns([Column::Id, Column::Email, Column::Name, Column::EmailVerifiedAt])
}

/// An account checked against the policy, its password hashed, ready to insert.
pub struct PreparedUser {
    email: Email,
    name: String,
    hash: String,
}

impl std::fmt::Debug for PreparedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedUser").field("email", &self.email).finish_non_exhaustive()
    }
}

impl PreparedUser {
    pub fn email(&self) -> &str {
        self.email.as_str()
    }
}

impl Identity {
    /// The users among `ids` that exist (in no particular order).
    pub async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<UserSummary>, ApiError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let rows: Vec<Row> = summaries()
                .filter(Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.core.db.conn)
                .await?;
            out.extend(rows.into_iter().map(summary));
        }
        Ok(out)
    }

    /// The users whose (normalized) addresses are among `emails`.
    pub async fn users_by_emails(&self, emails: &[String]) -> Result<Vec<UserSummary>, ApiError> {
        let mut out = Vec::new();
        for chunk in emails.chunks(CHUNK) {
            let rows: Vec<Row> = summaries()
                .filter(Column::Email.is_in(chunk.iter().cloned()))
                .into_tuple()
                .all(&self.core.db.conn)
                .await?;
            out.extend(rows.into_iter().map(summary));
        }
        Ok(out)
    }

    /// The user with this (normalized) address, if any.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserSummary>, ApiError> {
        Ok(self.users_by_emails(&[email.to_owned()]).await?.into_iter().next())
    }

    /// Those of `ids` whose e-mail or name contains `q` (case-insensitive).
    pub async fn search_users(&self, ids: &[UserId], q: &str) -> Result<Vec<UserId>, ApiError> {
        let escaped = escape_like(&q.trim().to_lowercase());
        let pattern = format!("%{escaped}%");
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let name = Expr::expr(Func::lower(Expr::col(Column::Name)));
            let found: Vec<UserId> = Entity::find()
                .select_only()
                .column(Column::Id)
                .filter(Column::Id.is_in(chunk.iter().copied()))
                .filter(
                    Expr::col(Column::Email)
                        .like(LikeExpr::new(pattern.clone()).escape('\\'))
                        .or(name.like(LikeExpr::new(pattern.clone()).escape('\\'))),
                )
                .into_tuple()
                .all(&self.core.db.conn)
                .await?;
            out.extend(found);
        }
        Ok(out)
    }

    /// Checks a new account (address, name, password policy) and hashes its
    /// password, outside any transaction: hashing is slow. An address already in
    /// use answers 409 `EMAIL_TAKEN`.
    pub async fn prepare_verified_user(
        &self,
        email: &str,
        name: &str,
        password: &Secret,
    ) -> Result<PreparedUser, ApiError> {
        let mut errors = FieldErrors::new();
        let email = errors.check(Email::parse("email", email));
        let name = errors.check(parse_name("name", name));
        let password = errors.check(NewPassword::parse("password", password, &self.cfg.password));
        errors.finish()?;
        let (Some(email), Some(name), Some(password)) = (email, name, password) else {
            return Err(ApiError::bad_request("invalid account"));
        };
        if store::users::find_by_email(&self.core.db.conn, email.as_str()).await?.is_some() {
            return Err(IdentityError::EmailTaken.into());
        }
        let hash = self.hasher.hash(&password.0).await?;
        Ok(PreparedUser { email, name, hash })
    }

    /// Creates the prepared account, active with its address verified, in `txn`
    /// (with its `user.created` event and audit entry).
    pub async fn insert_verified_user(
        &self,
        txn: &DatabaseTransaction,
        user: PreparedUser,
    ) -> Result<UserSummary, ApiError> {
        let row = self.new_user_row(user.email, user.name, Some(user.hash), UserStatus::Active, PlatformRole::User);
        let created = store::users::insert(txn, row).await.map_err(crate::service::auth::email_taken)?;
        let out = UserOut::from(&created);
        let after = serde_json::to_value(&out).unwrap_or_default();
        let target = Target::new("user", created.id).diff(serde_json::Value::Null, after);
        let actor = ActorRef::User { id: created.id };
        self.core.record(txn, &ChangeCtx::platform(actor), Change::new(events::USER_CREATED, target, out)).await?;
        Ok(UserSummary {
            id: created.id,
            email: created.email,
            name: created.name,
            email_verified: created.email_verified_at.is_some(),
        })
    }

    /// Creates an account as an operator would (`tessera users create`): active,
    /// its address taken as verified; without a password the person gets a
    /// one-time link to choose one (mailed, and returned here).
    pub async fn create_account(&self, new: NewAccount<'_>) -> Result<CreatedAccount, ApiError> {
        let mut errors = FieldErrors::new();
        let email = errors.check(Email::parse("email", new.email));
        let password = match new.password {
            Some(p) => errors.check(NewPassword::parse("password", p, &self.cfg.password)).map(Some),
            None => Some(None),
        };
        errors.finish()?;
        let (Some(email), Some(password)) = (email, password) else {
            return Err(ApiError::bad_request("invalid account"));
        };
        let name = new
            .name
            .map(str::to_owned)
            .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("user").to_owned());
        let role = if new.admin { PlatformRole::Admin } else { PlatformRole::User };
        let user = NewUser { email, name, password, role, email_verified: true };
        let created = self.create_user(&ActorRef::System, user).await?;
        Ok(CreatedAccount {
            id: created.user.id,
            email: created.user.email,
            set_password_link: created.set_password_token.map(|t| self.set_password_link(&t)),
        })
    }

    /// Signs new tokens with a new key; the previous one verifies until its tokens expire.
    pub async fn rotate_keys(&self) -> Result<String, ApiError> {
        self.tokens.rotate().await
    }

    /// Reads the signing keys again (another node or the CLI may have rotated them).
    pub async fn reload_keys(&self) -> Result<(), ApiError> {
        self.tokens.reload().await
    }
}

/// An account an operator creates.
#[derive(Debug, Clone, Copy)]
pub struct NewAccount<'a> {
    pub email: &'a str,
    /// Defaults to the part of the address before `@`.
    pub name: Option<&'a str>,
    /// `None`: the person chooses one through a one-time link.
    pub password: Option<&'a Secret>,
    /// A platform administrator.
    pub admin: bool,
}

/// The account [`Identity::create_account`] made.
#[derive(Debug, Clone)]
pub struct CreatedAccount {
    pub id: UserId,
    pub email: String,
    /// The one-time link to choose a password, when none was given.
    pub set_password_link: Option<String>,
}
