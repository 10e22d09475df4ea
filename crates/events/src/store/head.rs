//! Queries on `event_relay`: the relay's head, the number of the last relayed event.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::entity::event_relay::{ActiveModel, Column, Entity};

/// The name of the one head row.
const HEAD: &str = "main";

/// The number of the last relayed event (0 before the first).
pub async fn get<C: ConnectionTrait>(conn: &C) -> Result<i64, DbErr> {
    Ok(Entity::find_by_id(HEAD.to_owned()).one(conn).await?.map_or(0, |h| h.last_seq))
}

/// Creates the head at 0 unless it exists.
pub async fn create<C: ConnectionTrait>(conn: &C) -> Result<(), DbErr> {
    Entity::insert(ActiveModel { name: Set(HEAD.to_owned()), last_seq: Set(0) })
        .on_conflict(OnConflict::column(Column::Name).do_nothing_on([Column::Name]).to_owned())
        .exec_without_returning(conn)
        .await
        .map(|_| ())
}

/// The head, locked until the transaction ends (0 when it does not exist).
pub async fn lock<C: ConnectionTrait>(txn: &C) -> Result<i64, DbErr> {
    let query = Entity::find_by_id(HEAD.to_owned());
    Ok(tessera_kernel::db::lock_for_update(query, txn).one(txn).await?.map_or(0, |h| h.last_seq))
}

pub async fn set<C: ConnectionTrait>(txn: &C, last_seq: i64) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::LastSeq, Expr::value(last_seq))
        .filter(Column::Name.eq(HEAD))
        .exec(txn)
        .await
        .map(|_| ())
}
