//! Queries on `org_members`.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use tessera_kernel::PageReq;
use tessera_kernel::ids::{OrgId, UserId};
use tessera_kernel::roles::RoleKey;

use crate::entity::members::{ActiveModel, Column, Entity, Model};

pub async fn insert<C: ConnectionTrait>(conn: &C, member: Model) -> Result<(), DbErr> {
    Entity::insert(ActiveModel::from(member)).exec_without_returning(conn).await.map(|_| ())
}

pub async fn find<C: ConnectionTrait>(conn: &C, org: OrgId, user: UserId) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id((org, user)).one(conn).await
}

/// The role of `user` in `org`: one primary-key lookup (the authorization hot path).
pub async fn role<C: ConnectionTrait>(conn: &C, org: OrgId, user: UserId) -> Result<Option<RoleKey>, DbErr> {
    Entity::find_by_id((org, user)).select_only().column(Column::Role).into_tuple().one(conn).await
}

pub async fn set_role<C: ConnectionTrait>(conn: &C, org: OrgId, user: UserId, role: &RoleKey) -> Result<u64, DbErr> {
    let res = Entity::update_many()
        .col_expr(Column::Role, Expr::value(role.clone()))
        .filter(Column::OrgId.eq(org))
        .filter(Column::UserId.eq(user))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

pub async fn delete<C: ConnectionTrait>(conn: &C, org: OrgId, user: UserId) -> Result<u64, DbErr> {
    Ok(Entity::delete_by_id((org, user)).exec(conn).await?.rows_affected)
}

pub async fn delete_for_org<C: ConnectionTrait>(conn: &C, org: OrgId) -> Result<u64, DbErr> {
    Ok(Entity::delete_many().filter(Column::OrgId.eq(org)).exec(conn).await?.rows_affected)
}

/// How many members of `org` hold `role` (indexed on `(org_id, role)`).
pub async fn count_with_role<C: ConnectionTrait>(conn: &C, org: OrgId, role: &RoleKey) -> Result<u64, DbErr> {
    Entity::find().filter(Column::OrgId.eq(org)).filter(Column::Role.eq(role.clone())).count(conn).await
}

/// Every membership of `user`, oldest first.
pub async fn for_user<C: ConnectionTrait>(conn: &C, user: UserId) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::UserId.eq(user))
        .order_by_asc(Column::JoinedAt)
        .order_by_asc(Column::OrgId)
        .all(conn)
        .await
}

/// One page of the members of `org` (optionally of one role), oldest first, and the total.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    org: OrgId,
    role: Option<&RoleKey>,
    page: PageReq,
) -> Result<(Vec<Model>, u64), DbErr> {
    let mut query = Entity::find().filter(Column::OrgId.eq(org));
    if let Some(role) = role {
        query = query.filter(Column::Role.eq(role.clone()));
    }
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_asc(Column::JoinedAt)
        .order_by_asc(Column::UserId)
        .offset(page.offset())
        .limit(page.limit)
        .all(conn)
        .await?;
    Ok((rows, total))
}

/// Every member of `org` (optionally of one role), oldest first.
pub async fn all<C: ConnectionTrait>(conn: &C, org: OrgId, role: Option<&RoleKey>) -> Result<Vec<Model>, DbErr> {
    let mut query = Entity::find().filter(Column::OrgId.eq(org));
    if let Some(role) = role {
        query = query.filter(Column::Role.eq(role.clone()));
    }
    query.order_by_asc(Column::JoinedAt).order_by_asc(Column::UserId).all(conn).await
}

/// Those of `users` who are members of `org`.
pub async fn among<C: ConnectionTrait>(conn: &C, org: OrgId, users: &[UserId]) -> Result<Vec<UserId>, DbErr> {
    let mut out = Vec::new();
    for chunk in users.chunks(super::CHUNK) {
        let found: Vec<UserId> = Entity::find()
            .select_only()
            .column(Column::UserId)
            .filter(Column::OrgId.eq(org))
            .filter(Column::UserId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(found);
    }
    Ok(out)
}
