//! Queries on `api_keys` and `api_key_secrets`.

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tessera_kernel::Millis;
use tessera_kernel::ids::{ApiKeyId, OrgId, UserId};

use super::PageReq;
use crate::entity::api_key_secrets as secrets;
use crate::entity::api_keys::{ActiveModel, Column, Entity, Model};

/// Whose keys a list shows.
#[derive(Clone, Copy, Debug)]
pub enum KeyOwner {
    Org(OrgId),
    Personal(UserId),
}

impl KeyOwner {
    fn condition(self) -> Condition {
        match self {
            KeyOwner::Org(org) => Condition::all().add(Column::OrgId.eq(org)),
            KeyOwner::Personal(user) => Condition::all().add(Column::OrgId.is_null()).add(Column::OwnerId.eq(user)),
        }
    }
}

/// The key a secret belongs to, with the end of that secret's grace period (one query).
pub async fn find_by_secret<C: ConnectionTrait>(conn: &C, hash: &str) -> Result<Option<(Model, Option<i64>)>, DbErr> {
    let found = secrets::Entity::find_by_id(hash.to_owned()).find_also_related(Entity).one(conn).await?;
    Ok(found.and_then(|(secret, key)| key.map(|k| (k, secret.expires_at))))
}

pub async fn find<C: ConnectionTrait>(conn: &C, id: ApiKeyId) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(conn).await
}

/// A live (not revoked) key of `owner`.
pub async fn find_live<C: ConnectionTrait>(conn: &C, owner: KeyOwner, id: ApiKeyId) -> Result<Option<Model>, DbErr> {
    Entity::find()
        .filter(Column::Id.eq(id))
        .filter(owner.condition())
        .filter(Column::RevokedAt.is_null())
        .one(conn)
        .await
}

/// One page of live keys, newest first, and the total.
pub async fn list<C: ConnectionTrait>(conn: &C, owner: KeyOwner, page: PageReq) -> Result<(Vec<Model>, u64), DbErr> {
    let query = Entity::find().filter(owner.condition()).filter(Column::RevokedAt.is_null());
    let total = query.clone().count(conn).await?;
    let rows = query.order_by_desc(Column::Id).offset(page.offset()).limit(page.limit).all(conn).await?;
    Ok((rows, total))
}

/// Stores a key with its first secret.
pub async fn insert<C: ConnectionTrait>(conn: &C, key: Model, hash: String) -> Result<(), DbErr> {
    let (id, now) = (key.id, key.created_at);
    Entity::insert(ActiveModel::from(key)).exec_without_returning(conn).await?;
    insert_secret(conn, id, hash, now).await
}

async fn insert_secret<C: ConnectionTrait>(conn: &C, key: ApiKeyId, hash: String, now: Millis) -> Result<(), DbErr> {
    let row = secrets::Model { token_hash: hash, key_id: key, created_at: now, expires_at: None };
    secrets::Entity::insert(secrets::ActiveModel::from(row)).exec_without_returning(conn).await.map(|_| ())
}

/// The hashes of a key's secrets (to forget them from caches).
pub async fn secret_hashes<C: ConnectionTrait>(conn: &C, keys: &[ApiKeyId]) -> Result<Vec<String>, DbErr> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    secrets::Entity::find()
        .select_only()
        .column(secrets::Column::TokenHash)
        .filter(secrets::Column::KeyId.is_in(keys.iter().copied()))
        .into_tuple::<String>()
        .all(conn)
        .await
}

/// Marks keys revoked and drops their secrets; returns how many were live.
pub async fn revoke<C: ConnectionTrait>(conn: &C, keys: &[ApiKeyId], now: Millis) -> Result<u64, DbErr> {
    if keys.is_empty() {
        return Ok(0);
    }
    let res = Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::Id.is_in(keys.iter().copied()))
        .filter(Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    secrets::Entity::delete_many().filter(secrets::Column::KeyId.is_in(keys.iter().copied())).exec(conn).await?;
    Ok(res.rows_affected)
}

/// Gives a key a new secret; its current secrets keep working until `grace_until`
/// (or stop at once when it is not in the future).
pub async fn rotate<C: ConnectionTrait>(
    conn: &C,
    key: ApiKeyId,
    hash: String,
    prefix: &str,
    now: Millis,
    grace_until: Millis,
) -> Result<(), DbErr> {
    let of_key = secrets::Column::KeyId.eq(key);
    if grace_until <= now {
        secrets::Entity::delete_many().filter(of_key).exec(conn).await?;
    } else {
        // Secrets past an earlier grace go; the rest end no later than this grace.
        secrets::Entity::delete_many()
            .filter(of_key.clone())
            .filter(secrets::Column::ExpiresAt.lte(now))
            .exec(conn)
            .await?;
        let later =
            Condition::any().add(secrets::Column::ExpiresAt.is_null()).add(secrets::Column::ExpiresAt.gt(grace_until));
        secrets::Entity::update_many()
            .col_expr(secrets::Column::ExpiresAt, Expr::value(grace_until))
            .filter(of_key)
            .filter(later)
            .exec(conn)
            .await?;
    }
    insert_secret(conn, key, hash, now).await?;
    Entity::update_many()
        .col_expr(Column::Prefix, Expr::value(prefix))
        .filter(Column::Id.eq(key))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Records a use of the key.
pub async fn touch<C: ConnectionTrait>(conn: &C, key: ApiKeyId, now: Millis) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::LastUsedAt, Expr::value(now))
        .filter(Column::Id.eq(key))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Every key `user` owns or created, revoked ones included.
pub async fn of_user<C: ConnectionTrait>(conn: &C, user: UserId) -> Result<Vec<Model>, DbErr> {
    Entity::find().filter(Column::OwnerId.eq(user)).order_by_asc(Column::Id).all(conn).await
}

/// Deletes the organization's keys and their secrets.
pub async fn delete_for_org<C: ConnectionTrait>(conn: &C, org: OrgId) -> Result<(), DbErr> {
    let ids = Query::select().column(Column::Id).from(Entity).and_where(Column::OrgId.eq(org)).to_owned();
    secrets::Entity::delete_many().filter(secrets::Column::KeyId.in_subquery(ids)).exec(conn).await?;
    Entity::delete_many().filter(Column::OrgId.eq(org)).exec(conn).await.map(|_| ())
}
