//! Queries on `webhook_pacing`.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::entity::pacing::{ActiveModel, Column, Entity};
use crate::ids::EndpointId;

/// The endpoint's first free slot (`now_us` for a new schedule), its row locked
/// until the transaction ends.
pub async fn lock_next_slot<C: ConnectionTrait>(txn: &C, id: EndpointId, now_us: i64) -> Result<i64, DbErr> {
    Entity::insert(ActiveModel { endpoint_id: Set(id), next_at_us: Set(now_us) })
        .on_conflict(OnConflict::column(Column::EndpointId).do_nothing_on([Column::EndpointId]).to_owned())
        .exec_without_returning(txn)
        .await?;
    let query = tessera_kernel::db::lock_for_update(Entity::find_by_id(id), txn);
    Ok(query.select_only().column(Column::NextAtUs).into_tuple::<i64>().one(txn).await?.unwrap_or(now_us))
}

/// The endpoint's first free slot is now `slot_us`.
pub async fn set_next_slot<C: ConnectionTrait>(txn: &C, id: EndpointId, slot_us: i64) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::NextAtUs, Expr::value(slot_us))
        .filter(Column::EndpointId.eq(id))
        .exec(txn)
        .await
        .map(|_| ())
}
