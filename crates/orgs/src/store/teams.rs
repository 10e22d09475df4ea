//! Queries on `teams` and `team_members`.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use tessera_kernel::PageReq;
use tessera_kernel::ids::{OrgId, TeamId, UserId};
use tessera_kernel::roles::TeamRole;

use crate::entity::team_members::{self as seats};
use crate::entity::teams::{ActiveModel, Column, Entity, Model};

pub async fn insert<C: ConnectionTrait>(conn: &C, team: Model) -> Result<(), DbErr> {
    Entity::insert(ActiveModel::from(team)).exec_without_returning(conn).await.map(|_| ())
}

/// The team `id` of `org` (a team of another organization is not found).
pub async fn find<C: ConnectionTrait>(conn: &C, org: OrgId, id: TeamId) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).filter(Column::OrgId.eq(org)).one(conn).await
}

/// One page of the teams of `org`, by name, and the total.
pub async fn page<C: ConnectionTrait>(conn: &C, org: OrgId, page: PageReq) -> Result<(Vec<Model>, u64), DbErr> {
    let query = Entity::find().filter(Column::OrgId.eq(org));
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_asc(Column::Name)
        .order_by_asc(Column::Id)
        .offset(page.offset())
        .limit(page.limit)
        .all(conn)
        .await?;
    Ok((rows, total))
}

/// The teams of `org` among `ids`.
pub async fn among<C: ConnectionTrait>(conn: &C, org: OrgId, ids: &[TeamId]) -> Result<Vec<Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in ids.chunks(super::CHUNK) {
        out.extend(
            Entity::find()
                .filter(Column::OrgId.eq(org))
                .filter(Column::Id.is_in(chunk.iter().copied()))
                .all(conn)
                .await?,
        );
    }
    Ok(out)
}

pub async fn by_ids<C: ConnectionTrait>(conn: &C, ids: &[TeamId]) -> Result<Vec<Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in ids.chunks(super::CHUNK) {
        out.extend(Entity::find().filter(Column::Id.is_in(chunk.iter().copied())).all(conn).await?);
    }
    Ok(out)
}

/// Writes the changeable fields of `team`.
pub async fn update<C: ConnectionTrait>(conn: &C, team: &Model) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::Name, Expr::value(team.name.clone()))
        .col_expr(Column::Description, Expr::value(team.description.clone()))
        .col_expr(Column::UpdatedAt, Expr::value(team.updated_at))
        .filter(Column::Id.eq(team.id))
        .filter(Column::OrgId.eq(team.org_id))
        .exec(conn)
        .await
        .map(|_| ())
}

pub async fn delete<C: ConnectionTrait>(conn: &C, org: OrgId, id: TeamId) -> Result<u64, DbErr> {
    seats::Entity::delete_many().filter(seats::Column::TeamId.eq(id)).exec(conn).await?;
    let res = Entity::delete_many().filter(Column::Id.eq(id)).filter(Column::OrgId.eq(org)).exec(conn).await?;
    Ok(res.rows_affected)
}

pub async fn delete_for_org<C: ConnectionTrait>(conn: &C, org: OrgId) -> Result<u64, DbErr> {
    seats::Entity::delete_many().filter(seats::Column::OrgId.eq(org)).exec(conn).await?;
    Ok(Entity::delete_many().filter(Column::OrgId.eq(org)).exec(conn).await?.rows_affected)
}

pub async fn insert_seat<C: ConnectionTrait>(conn: &C, seat: seats::Model) -> Result<(), DbErr> {
    seats::Entity::insert(seats::ActiveModel::from(seat)).exec_without_returning(conn).await.map(|_| ())
}

pub async fn find_seat<C: ConnectionTrait>(
    conn: &C,
    team: TeamId,
    user: UserId,
) -> Result<Option<seats::Model>, DbErr> {
    seats::Entity::find_by_id((team, user)).one(conn).await
}

/// The organization and role of `user`'s seat in `team`: one primary-key lookup.
pub async fn seat_role<C: ConnectionTrait>(
    conn: &C,
    team: TeamId,
    user: UserId,
) -> Result<Option<(OrgId, TeamRole)>, DbErr> {
    seats::Entity::find_by_id((team, user))
        .select_only()
        .column(seats::Column::OrgId)
        .column(seats::Column::Role)
        .into_tuple()
        .one(conn)
        .await
}

pub async fn set_seat_role<C: ConnectionTrait>(
    conn: &C,
    team: TeamId,
    user: UserId,
    role: TeamRole,
) -> Result<u64, DbErr> {
    let res = seats::Entity::update_many()
        .col_expr(seats::Column::Role, Expr::value(role))
        .filter(seats::Column::TeamId.eq(team))
        .filter(seats::Column::UserId.eq(user))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

pub async fn delete_seat<C: ConnectionTrait>(conn: &C, team: TeamId, user: UserId) -> Result<u64, DbErr> {
    Ok(seats::Entity::delete_by_id((team, user)).exec(conn).await?.rows_affected)
}

/// One page of the seats of `team`, oldest first, and the total.
pub async fn seats_page<C: ConnectionTrait>(
    conn: &C,
    team: TeamId,
    page: PageReq,
) -> Result<(Vec<seats::Model>, u64), DbErr> {
    let query = seats::Entity::find().filter(seats::Column::TeamId.eq(team));
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_asc(seats::Column::AddedAt)
        .order_by_asc(seats::Column::UserId)
        .offset(page.offset())
        .limit(page.limit)
        .all(conn)
        .await?;
    Ok((rows, total))
}

/// The seats of `user` in the teams of `org`.
pub async fn seats_of_member<C: ConnectionTrait>(
    conn: &C,
    org: OrgId,
    user: UserId,
) -> Result<Vec<seats::Model>, DbErr> {
    seats::Entity::find().filter(seats::Column::OrgId.eq(org)).filter(seats::Column::UserId.eq(user)).all(conn).await
}

pub async fn delete_seats_of_member<C: ConnectionTrait>(conn: &C, org: OrgId, user: UserId) -> Result<u64, DbErr> {
    let res = seats::Entity::delete_many()
        .filter(seats::Column::OrgId.eq(org))
        .filter(seats::Column::UserId.eq(user))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// Every seat of `user`, in every organization.
pub async fn seats_of_user<C: ConnectionTrait>(conn: &C, user: UserId) -> Result<Vec<seats::Model>, DbErr> {
    seats::Entity::find().filter(seats::Column::UserId.eq(user)).order_by_asc(seats::Column::AddedAt).all(conn).await
}
