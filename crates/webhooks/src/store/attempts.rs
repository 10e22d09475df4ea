//! Queries on `webhook_attempts`.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tessera_kernel::Millis;

use crate::entity::attempts::{ActiveModel, Column, Entity, Model};
use crate::ids::{DeliveryId, EndpointId};

pub async fn insert_many<C: ConnectionTrait>(conn: &C, rows: Vec<ActiveModel>) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    Entity::insert_many(rows).exec_without_returning(conn).await.map(|_| ())
}

/// Every attempt of `delivery`, oldest first.
pub async fn of_delivery<C: ConnectionTrait>(conn: &C, delivery: DeliveryId) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::DeliveryId.eq(delivery))
        .order_by_asc(Column::AttemptedAt)
        .order_by_asc(Column::Id)
        .all(conn)
        .await
}

/// `(attempted_at, duration_ms, status_code)` of the newest `limit` attempts at `endpoint` since `since`.
pub async fn samples_since<C: ConnectionTrait>(
    conn: &C,
    endpoint: EndpointId,
    since: Millis,
    limit: u64,
) -> Result<Vec<(i64, i32, Option<i32>)>, DbErr> {
    Entity::find()
        .select_only()
        .column(Column::AttemptedAt)
        .column(Column::DurationMs)
        .column(Column::StatusCode)
        .filter(Column::EndpointId.eq(endpoint))
        .filter(Column::AttemptedAt.gte(since))
        .order_by_desc(Column::AttemptedAt)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await
}

/// Deletes the attempts at the endpoints `ids`.
pub async fn delete_of_endpoints<C: ConnectionTrait>(conn: &C, ids: Vec<EndpointId>) -> Result<u64, DbErr> {
    Ok(Entity::delete_many().filter(Column::EndpointId.is_in(ids)).exec(conn).await?.rows_affected)
}

/// Deletes the attempts of the deliveries `ids`.
pub async fn delete_of_deliveries<C: ConnectionTrait>(conn: &C, ids: Vec<DeliveryId>) -> Result<u64, DbErr> {
    Ok(Entity::delete_many().filter(Column::DeliveryId.is_in(ids)).exec(conn).await?.rows_affected)
}
