//! Queries on `orgs`.

use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, QuerySelect};
use tessera_kernel::ids::OrgId;

use crate::entity::orgs::{ActiveModel, Column, Entity, Model};

pub async fn insert<C: ConnectionTrait>(conn: &C, org: Model) -> Result<(), DbErr> {
    Entity::insert(ActiveModel::from(org)).exec_without_returning(conn).await.map(|_| ())
}

pub async fn find<C: ConnectionTrait>(conn: &C, id: OrgId) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(conn).await
}

/// The organization, locked until the transaction ends (membership changes that
/// must keep an owner take this first, so two of them never race).
pub async fn lock<C: ConnectionTrait>(conn: &C, id: OrgId) -> Result<Option<Model>, DbErr> {
    tessera_kernel::db::lock_for_update(Entity::find_by_id(id), conn).one(conn).await
}

pub async fn by_ids<C: ConnectionTrait>(conn: &C, ids: &[OrgId]) -> Result<Vec<Model>, DbErr> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(super::CHUNK) {
        out.extend(Entity::find().filter(Column::Id.is_in(chunk.iter().copied())).all(conn).await?);
    }
    Ok(out)
}

/// Slugs equal to `base` or starting with `base-`.
pub async fn slugs_like<C: ConnectionTrait>(conn: &C, base: &str) -> Result<Vec<String>, DbErr> {
    // `base` is a-z0-9- only: nothing to escape in the pattern.
    Entity::find()
        .select_only()
        .column(Column::Slug)
        .filter(Column::Slug.eq(base).or(Expr::col(Column::Slug).like(LikeExpr::new(format!("{base}-%")))))
        .into_tuple()
        .all(conn)
        .await
}

/// Writes the changeable fields of `org`.
pub async fn update<C: ConnectionTrait>(conn: &C, org: &Model) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::Name, Expr::value(org.name.clone()))
        .col_expr(Column::Slug, Expr::value(org.slug.clone()))
        .col_expr(Column::Settings, Expr::value(org.settings.clone()))
        .col_expr(Column::Metadata, Expr::value(org.metadata.clone()))
        .col_expr(Column::UpdatedAt, Expr::value(org.updated_at))
        .filter(Column::Id.eq(org.id))
        .exec(conn)
        .await
        .map(|_| ())
}

pub async fn delete<C: ConnectionTrait>(conn: &C, id: OrgId) -> Result<u64, DbErr> {
    Ok(Entity::delete_by_id(id).exec(conn).await?.rows_affected)
}
