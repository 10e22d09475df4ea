//! Queries on `webhook_endpoints`.

use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use tessera_kernel::ids::OrgId;
use tessera_kernel::{Millis, PageReq};

use crate::entity::endpoints::{ActiveModel, Column, Entity, Model};
use crate::ids::EndpointId;
use crate::model::DisabledReason;

pub async fn insert<C: ConnectionTrait>(conn: &C, row: Model) -> Result<(), DbErr> {
    Entity::insert(ActiveModel::from(row)).exec_without_returning(conn).await.map(|_| ())
}

/// The endpoint `id` of `org`.
pub async fn find<C: ConnectionTrait>(conn: &C, org: OrgId, id: EndpointId) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).filter(Column::OrgId.eq(org)).one(conn).await
}

/// The endpoint `id`, whatever its organization (the dispatcher's lookup of a delivery's endpoint).
pub async fn by_id<C: ConnectionTrait>(conn: &C, id: EndpointId) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(conn).await
}

/// One page of the endpoints of `org`, oldest first, and the total.
pub async fn page<C: ConnectionTrait>(conn: &C, org: OrgId, page: PageReq) -> Result<(Vec<Model>, u64), DbErr> {
    let pages = Entity::find()
        .filter(Column::OrgId.eq(org))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .paginate(conn, page.limit);
    let total = pages.num_items().await?;
    let rows = pages.fetch_page(page.page.saturating_sub(1)).await?;
    Ok((rows, total))
}

/// The active endpoints of `org`.
pub async fn active<C: ConnectionTrait>(conn: &C, org: OrgId) -> Result<Vec<Model>, DbErr> {
    Entity::find().filter(Column::OrgId.eq(org)).filter(Column::IsActive.eq(true)).all(conn).await
}

/// The ids of every endpoint of `org`.
pub async fn ids_of_org<C: ConnectionTrait>(conn: &C, org: OrgId) -> Result<Vec<EndpointId>, DbErr> {
    Ok(Entity::find().filter(Column::OrgId.eq(org)).all(conn).await?.into_iter().map(|e| e.id).collect())
}

/// Writes `cols` of `row`, leaving the others as they are in the database.
pub async fn write_columns<C: ConnectionTrait>(conn: &C, row: &Model, cols: &[Column]) -> Result<(), DbErr> {
    let mut change = ActiveModel::from(row.clone());
    for col in cols {
        change.reset(*col);
    }
    change.update(conn).await.map(|_| ())
}

pub async fn delete<C: ConnectionTrait>(conn: &C, id: EndpointId) -> Result<u64, DbErr> {
    Ok(Entity::delete_by_id(id).exec(conn).await?.rows_affected)
}

pub async fn delete_of_org<C: ConnectionTrait>(conn: &C, org: OrgId) -> Result<u64, DbErr> {
    Ok(Entity::delete_many().filter(Column::OrgId.eq(org)).exec(conn).await?.rows_affected)
}

/// Endpoints `ids` just succeeded at `now`: last success and attempt, no failure run.
pub async fn mark_succeeded<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = EndpointId>,
    now: Millis,
) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::LastSuccessAt, Expr::value(now))
        .col_expr(Column::LastTriggeredAt, Expr::value(now))
        .col_expr(Column::FailingSince, Expr::value(Option::<i64>::None))
        .filter(Column::Id.is_in(ids))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Endpoints `ids` just failed at `now`: last attempt, and the failure run starts now unless it has already.
pub async fn mark_failed<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = EndpointId>,
    now: Millis,
) -> Result<(), DbErr> {
    let since = Func::coalesce([Expr::col(Column::FailingSince), Expr::value(now)]);
    Entity::update_many()
        .col_expr(Column::LastTriggeredAt, Expr::value(now))
        .col_expr(Column::FailingSince, since.into())
        .filter(Column::Id.is_in(ids))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Turns the endpoint off for `reason` if it is on; the rows changed (0: it was off already).
pub async fn disable<C: ConnectionTrait>(
    conn: &C,
    id: EndpointId,
    reason: DisabledReason,
    now: Millis,
) -> Result<u64, DbErr> {
    let res = Entity::update_many()
        .col_expr(Column::IsActive, Expr::value(false))
        .col_expr(Column::DisabledReason, Expr::value(reason))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::IsActive.eq(true))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}
