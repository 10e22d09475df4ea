//! Queries on `users`.

use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tessera_kernel::db::escape_like;
use tessera_kernel::ids::UserId;

use crate::entity::users::{ActiveModel, Column, Entity, Model};

pub async fn find<C: ConnectionTrait>(conn: &C, id: UserId) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(conn).await
}

pub async fn find_by_email<C: ConnectionTrait>(conn: &C, email: &str) -> Result<Option<Model>, DbErr> {
    Entity::find().filter(Column::Email.eq(email)).one(conn).await
}

pub async fn insert<C: ConnectionTrait>(conn: &C, user: ActiveModel) -> Result<Model, DbErr> {
    sea_orm::ActiveModelTrait::insert(user, conn).await
}

pub async fn update<C: ConnectionTrait>(conn: &C, user: ActiveModel) -> Result<Model, DbErr> {
    sea_orm::ActiveModelTrait::update(user, conn).await
}

/// Stores what a successful sign-in changes: the time, cleared failure counters
/// and, when it was upgraded, the password hash.
pub async fn record_login<C: ConnectionTrait>(conn: &C, user: &Model) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    Entity::update_many()
        .col_expr(Column::LastLoginAt, Expr::value(user.last_login_at))
        .col_expr(Column::FailedLogins, Expr::value(user.failed_logins))
        .col_expr(Column::Lockouts, Expr::value(user.lockouts))
        .col_expr(Column::LockedUntil, Expr::value(user.locked_until))
        .col_expr(Column::PasswordHash, Expr::value(user.password_hash.clone()))
        .filter(Column::Id.eq(user.id))
        .exec(conn)
        .await
        .map(|_| ())
}

pub async fn delete<C: ConnectionTrait>(conn: &C, id: UserId) -> Result<u64, DbErr> {
    Ok(Entity::delete_by_id(id).exec(conn).await?.rows_affected)
}

/// Filters and order of the administrators' user list.
#[derive(Debug)]
pub struct ListFilter {
    pub status: Option<crate::model::UserStatus>,
    pub role: Option<tessera_kernel::PlatformRole>,
    /// Lower-cased search text, matched within e-mail and name.
    pub q: Option<String>,
    pub sort: Column,
    pub descending: bool,
    pub page: tessera_kernel::PageReq,
}

/// One page of users and the total matching the filter.
pub async fn list<C: ConnectionTrait>(conn: &C, f: &ListFilter) -> Result<(Vec<Model>, u64), DbErr> {
    use sea_orm::ExprTrait;
    let mut query = Entity::find();
    if let Some(status) = f.status {
        query = query.filter(Column::Status.eq(status));
    }
    if let Some(role) = f.role {
        query = query.filter(Column::Role.eq(role));
    }
    if let Some(q) = &f.q {
        let pattern = format!("%{}%", escape_like(q));
        let name = Expr::expr(Func::lower(Expr::col(Column::Name)));
        query = query.filter(
            Expr::col(Column::Email)
                .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
                .or(name.like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\'))),
        );
    }
    let total = query.clone().count(conn).await?;
    let order = if f.descending { Order::Desc } else { Order::Asc };
    let rows = query
        .order_by(f.sort, order.clone())
        .order_by(Column::Id, order)
        .offset(f.page.offset())
        .limit(f.page.limit)
        .all(conn)
        .await?;
    Ok((rows, total))
}
