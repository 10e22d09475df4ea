//! Queries on `event_cursors`: each consumer's position and the node holding it.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use tessera_kernel::Millis;

use crate::entity::event_cursors::{ActiveModel, Column, Entity, Model};

/// Creates `consumer`'s cursor at `position` unless it exists.
pub async fn create<C: ConnectionTrait>(conn: &C, consumer: &str, position: i64, now: Millis) -> Result<(), DbErr> {
    let row = ActiveModel {
        consumer: Set(consumer.to_owned()),
        position: Set(position),
        failures: Set(0),
        retry_at: Set(0),
        last_error: Set(None),
        leased_by: Set(None),
        lease_until: Set(None),
        updated_at: Set(now),
    };
    Entity::insert(row)
        .on_conflict(OnConflict::column(Column::Consumer).do_nothing_on([Column::Consumer]).to_owned())
        .exec_without_returning(conn)
        .await
        .map(|_| ())
}

pub async fn find<C: ConnectionTrait>(conn: &C, consumer: &str) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(consumer.to_owned()).one(conn).await
}

/// Leases `consumer` to `node` until `until` if no other node holds it at `now`; whether it did.
pub async fn lease<C: ConnectionTrait>(
    conn: &C,
    consumer: &str,
    node: &str,
    now: Millis,
    until: Millis,
) -> Result<bool, DbErr> {
    let c = Column::LeasedBy;
    let free = c.is_null().or(c.eq(node)).or(Column::LeaseUntil.lt(now));
    let res = Entity::update_many()
        .col_expr(Column::LeasedBy, Expr::value(node))
        .col_expr(Column::LeaseUntil, Expr::value(until))
        .filter(Column::Consumer.eq(consumer))
        .filter(free)
        .exec(conn)
        .await?;
    Ok(res.rows_affected > 0)
}

/// Where a consumer stands after a batch (or a failure).
pub struct Progress {
    pub position: i64,
    pub failures: i32,
    pub retry_at: Millis,
    pub last_error: Option<String>,
    pub lease_until: Millis,
}

/// Writes `consumer`'s progress if `node` holds it; whether it does.
pub async fn advance<C: ConnectionTrait>(
    conn: &C,
    consumer: &str,
    node: &str,
    p: Progress,
    now: Millis,
) -> Result<bool, DbErr> {
    let res = Entity::update_many()
        .col_expr(Column::Position, Expr::value(p.position))
        .col_expr(Column::Failures, Expr::value(p.failures))
        .col_expr(Column::RetryAt, Expr::value(p.retry_at))
        .col_expr(Column::LastError, Expr::value(p.last_error))
        .col_expr(Column::LeaseUntil, Expr::value(p.lease_until))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Consumer.eq(consumer))
        .filter(Column::LeasedBy.eq(node))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Ends `node`'s lease on `consumer` (none if another node holds it).
pub async fn release<C: ConnectionTrait>(conn: &C, consumer: &str, node: &str) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::LeasedBy, Expr::value(Option::<String>::None))
        .col_expr(Column::LeaseUntil, Expr::value(Option::<i64>::None))
        .filter(Column::Consumer.eq(consumer))
        .filter(Column::LeasedBy.eq(node))
        .exec(conn)
        .await
        .map(|_| ())
}

/// The position of the consumer furthest behind, if there is any consumer.
pub async fn slowest<C: ConnectionTrait>(conn: &C) -> Result<Option<i64>, DbErr> {
    Entity::find()
        .select_only()
        .column(Column::Position)
        .order_by_asc(Column::Position)
        .limit(1)
        .into_tuple()
        .one(conn)
        .await
}
