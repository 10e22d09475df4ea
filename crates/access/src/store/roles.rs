//! Queries on `access_roles`.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use tessera_kernel::ids::{OrgId, RoleId};

use crate::entity::roles::{ActiveModel, Column, Entity, Model};

pub async fn find<C: ConnectionTrait>(conn: &C, id: RoleId) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(conn).await
}

/// The organization's custom roles, by name.
pub async fn list<C: ConnectionTrait>(conn: &C, org: OrgId) -> Result<Vec<Model>, DbErr> {
    Entity::find().filter(Column::OrgId.eq(org)).order_by_asc(Column::Name).all(conn).await
}

pub async fn insert<C: ConnectionTrait>(conn: &C, role: Model) -> Result<(), DbErr> {
    Entity::insert(ActiveModel::from(role)).exec_without_returning(conn).await.map(|_| ())
}

/// Writes the editable fields of `role`.
pub async fn update<C: ConnectionTrait>(conn: &C, role: &Model) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::Name, Expr::value(role.name.clone()))
        .col_expr(Column::Description, Expr::value(role.description.clone()))
        .col_expr(Column::Permissions, Expr::value(role.permissions.clone()))
        .col_expr(Column::UpdatedAt, Expr::value(role.updated_at))
        .filter(Column::Id.eq(role.id))
        .filter(Column::OrgId.eq(role.org_id))
        .exec(conn)
        .await
        .map(|_| ())
}

pub async fn delete<C: ConnectionTrait>(conn: &C, org: OrgId, id: RoleId) -> Result<u64, DbErr> {
    let res = Entity::delete_many().filter(Column::Id.eq(id)).filter(Column::OrgId.eq(org)).exec(conn).await?;
    Ok(res.rows_affected)
}

pub async fn delete_for_org<C: ConnectionTrait>(conn: &C, org: OrgId) -> Result<(), DbErr> {
    Entity::delete_many().filter(Column::OrgId.eq(org)).exec(conn).await.map(|_| ())
}
