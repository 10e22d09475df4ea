//! Queries on `event_idempotency`: the event each custom-event key produced.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use tessera_kernel::Millis;
use tessera_kernel::ids::{EventId, OrgId};

use crate::entity::event_idempotency::{ActiveModel, Column, Entity, Model};

pub async fn find<C: ConnectionTrait>(conn: &C, org: OrgId, key: &str) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id((org, key.to_owned())).one(conn).await
}

pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    org: OrgId,
    key: &str,
    event: EventId,
    now: Millis,
) -> Result<(), DbErr> {
    let row =
        ActiveModel { org_id: Set(org), idem_key: Set(key.to_owned()), event_id: Set(event), created_at: Set(now) };
    Entity::insert(row).exec_without_returning(conn).await.map(|_| ())
}

/// Deletes `org`'s `key` if it was created at or before `at_or_before`.
pub async fn delete_key_from<C: ConnectionTrait>(
    conn: &C,
    org: OrgId,
    key: &str,
    at_or_before: Millis,
) -> Result<(), DbErr> {
    Entity::delete_many()
        .filter(Column::OrgId.eq(org))
        .filter(Column::IdemKey.eq(key))
        .filter(Column::CreatedAt.lte(at_or_before))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Deletes every key created before `before`.
pub async fn delete_before<C: ConnectionTrait>(conn: &C, before: Millis) -> Result<u64, DbErr> {
    Ok(Entity::delete_many().filter(Column::CreatedAt.lt(before)).exec(conn).await?.rows_affected)
}
