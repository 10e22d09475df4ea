//! Queries on `user_action_tokens`: single-use, expiring tokens sent by e-mail.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use tessera_kernel::Millis;
use tessera_kernel::crypto::{random_token, token_hash};
use tessera_kernel::ids::UserId;

use crate::entity::action_tokens::{ActiveModel, Column, Entity};

/// What a token lets its holder do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    SetPassword,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::SetPassword => "set_password",
        }
    }
}

/// Creates a token and returns its only plaintext copy.
pub async fn create<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    purpose: Purpose,
    now: Millis,
    expires_at: Millis,
) -> Result<String, DbErr> {
    let token = random_token("", 32);
    let row = ActiveModel {
        token_hash: Set(token_hash(&token)),
        user_id: Set(user),
        purpose: Set(purpose.as_str().into()),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(now),
    };
    Entity::insert(row).exec_without_returning(conn).await?;
    Ok(token)
}

/// Whether the token exists, is unused and unexpired (without spending it).
pub async fn usable<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    purposes: &[Purpose],
    now: Millis,
) -> Result<bool, DbErr> {
    let names: Vec<&str> = purposes.iter().map(|p| p.as_str()).collect();
    let row = Entity::find_by_id(token_hash(token)).filter(Column::Purpose.is_in(names)).one(conn).await?;
    Ok(row.is_some_and(|r| r.used_at.is_none() && r.expires_at > now))
}

/// Spends a token of one of `purposes`: returns its user when the token exists,
/// is unused and unexpired; it can never be spent again.
pub async fn consume<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    purposes: &[Purpose],
    now: Millis,
) -> Result<Option<UserId>, DbErr> {
    let hash = token_hash(token);
    let names: Vec<&str> = purposes.iter().map(|p| p.as_str()).collect();
    let Some(row) = Entity::find_by_id(hash.clone()).filter(Column::Purpose.is_in(names)).one(conn).await? else {
        return Ok(None);
    };
    if row.used_at.is_some() || row.expires_at <= now {
        return Ok(None);
    }
    let spent = Entity::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::TokenHash.eq(hash))
        .filter(Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok((spent.rows_affected == 1).then_some(row.user_id))
}

/// Voids every unused token of `user` for `purposes` (after a password change…).
pub async fn void<C: ConnectionTrait>(conn: &C, user: UserId, purposes: &[Purpose], now: Millis) -> Result<(), DbErr> {
    let names: Vec<&str> = purposes.iter().map(|p| p.as_str()).collect();
    Entity::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::UserId.eq(user))
        .filter(Column::Purpose.is_in(names))
        .filter(Column::UsedAt.is_null())
        .exec(conn)
        .await
        .map(|_| ())
}
