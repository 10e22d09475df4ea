//! Queries on `sessions` and `refresh_tokens`.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use tessera_kernel::Millis;
use tessera_kernel::ids::{SessionId, UserId};

use crate::entity::refresh_tokens;
use crate::entity::sessions::{self, Column, Entity, Model};

/// Where a session was opened from.
#[derive(Clone, Debug)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub async fn create<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    origin: &Origin,
    now: Millis,
    expires_at: Millis,
) -> Result<Model, DbErr> {
    let session = Model {
        id: SessionId::new(),
        user_id: user,
        user_agent: origin.user_agent.clone(),
        ip: origin.ip.clone(),
        created_at: now,
        last_used_at: now,
        expires_at,
        revoked_at: None,
        revoke_reason: None,
    };
    // No read-back: every value is known here.
    Entity::insert(sessions::ActiveModel::from(session.clone())).exec_without_returning(conn).await?;
    Ok(session)
}

pub async fn find<C: ConnectionTrait>(conn: &C, id: SessionId) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(conn).await
}

/// The user's sessions that are neither revoked nor expired, newest first.
pub async fn active_for_user<C: ConnectionTrait>(conn: &C, user: UserId, now: Millis) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::UserId.eq(user))
        .filter(Column::RevokedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .order_by_desc(Column::CreatedAt)
        .all(conn)
        .await
}

/// Moves the sliding expiry forward after a refresh.
pub async fn touch<C: ConnectionTrait>(conn: &C, id: SessionId, now: Millis, expires_at: Millis) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::LastUsedAt, Expr::value(now))
        .col_expr(Column::ExpiresAt, Expr::value(expires_at))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Revokes sessions of `user` still live (all, or all but `except`); returns their ids.
pub async fn revoke_for_user<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    except: Option<SessionId>,
    reason: &str,
    now: Millis,
) -> Result<Vec<SessionId>, DbErr> {
    let live = Entity::find().filter(Column::UserId.eq(user)).filter(Column::RevokedAt.is_null()).all(conn).await?;
    let ids: Vec<SessionId> = live.into_iter().map(|s| s.id).filter(|id| Some(*id) != except).collect();
    if !ids.is_empty() {
        revoke_many(conn, &ids, reason, now).await?;
    }
    Ok(ids)
}

/// Revokes one session if it is still live; true when it was.
pub async fn revoke<C: ConnectionTrait>(conn: &C, id: SessionId, reason: &str, now: Millis) -> Result<bool, DbErr> {
    Ok(revoke_many(conn, &[id], reason, now).await? > 0)
}

async fn revoke_many<C: ConnectionTrait>(conn: &C, ids: &[SessionId], reason: &str, now: Millis) -> Result<u64, DbErr> {
    let res = Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .col_expr(Column::RevokeReason, Expr::value(reason))
        .filter(Column::Id.is_in(ids.iter().copied()))
        .filter(Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    // A revoked session's refresh tokens are useless; drop them.
    refresh_tokens::Entity::delete_many()
        .filter(refresh_tokens::Column::SessionId.is_in(ids.iter().copied()))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

pub async fn insert_refresh<C: ConnectionTrait>(
    conn: &C,
    session: SessionId,
    hash: String,
    now: Millis,
) -> Result<(), DbErr> {
    let row = refresh_tokens::ActiveModel {
        token_hash: Set(hash),
        session_id: Set(session),
        created_at: Set(now),
        used_at: Set(None),
    };
    refresh_tokens::Entity::insert(row).exec_without_returning(conn).await.map(|_| ())
}

/// A refresh token with its session and the session's user, read in one query.
#[derive(Debug, sea_orm::FromQueryResult)]
pub struct RefreshView {
    pub used_at: Option<i64>,
    pub session_id: SessionId,
    pub user_id: UserId,
    pub revoked_at: Option<i64>,
    pub expires_at: i64,
    pub status: crate::model::UserStatus,
    pub role: tessera_kernel::PlatformRole,
}

pub async fn find_refresh<C: ConnectionTrait>(conn: &C, hash: &str) -> Result<Option<RefreshView>, DbErr> {
    use crate::entity::users;
    use sea_orm::{JoinType, QuerySelect, RelationTrait};
    refresh_tokens::Entity::find_by_id(hash.to_owned())
        .select_only()
        .column(refresh_tokens::Column::UsedAt)
        .column(refresh_tokens::Column::SessionId)
        .column(Column::UserId)
        .column(Column::RevokedAt)
        .column(Column::ExpiresAt)
        .column(users::Column::Status)
        .column(users::Column::Role)
        .join(JoinType::InnerJoin, refresh_tokens::Relation::Session.def())
        .join(JoinType::InnerJoin, sessions::Relation::User.def())
        .into_model::<RefreshView>()
        .one(conn)
        .await
}

/// Marks a refresh token used; false when it already was (a concurrent use).
pub async fn use_refresh<C: ConnectionTrait>(conn: &C, hash: &str, now: Millis) -> Result<bool, DbErr> {
    let res = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
        .filter(refresh_tokens::Column::TokenHash.eq(hash))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}
