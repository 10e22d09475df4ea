//! Queries on `access_grants`.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use tessera_kernel::authz::ResourceRef;
use tessera_kernel::ids::{GrantId, OrgId};
use uuid::Uuid;

use super::PageReq;
use crate::entity::grants::{ActiveModel, Column, Entity, Model};

/// Whether `subject` was granted `permission` on `resource` in `org` (one index probe).
pub async fn exists<C: ConnectionTrait>(
    conn: &C,
    org: OrgId,
    subject: Uuid,
    permission: &str,
    resource: &ResourceRef,
) -> Result<bool, DbErr> {
    let found = Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::OrgId.eq(org))
        .filter(Column::SubjectId.eq(subject))
        .filter(Column::Permission.eq(permission))
        .filter(Column::ResourceType.eq(resource.resource_type.as_str()))
        .filter(Column::ResourceId.eq(resource.id.as_str()))
        .into_tuple::<GrantId>()
        .one(conn)
        .await?;
    Ok(found.is_some())
}

/// Whether `subject` holds any grant in `org`.
pub async fn any_for<C: ConnectionTrait>(conn: &C, org: OrgId, subject: Uuid) -> Result<bool, DbErr> {
    let found = Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::OrgId.eq(org))
        .filter(Column::SubjectId.eq(subject))
        .into_tuple::<GrantId>()
        .one(conn)
        .await?;
    Ok(found.is_some())
}

pub async fn insert<C: ConnectionTrait>(conn: &C, grant: Model) -> Result<(), DbErr> {
    Entity::insert(ActiveModel::from(grant)).exec_without_returning(conn).await.map(|_| ())
}

pub async fn find<C: ConnectionTrait>(conn: &C, org: OrgId, id: GrantId) -> Result<Option<Model>, DbErr> {
    Entity::find().filter(Column::Id.eq(id)).filter(Column::OrgId.eq(org)).one(conn).await
}

/// Narrows the grant list.
#[derive(Debug, Default)]
pub struct GrantFilter {
    pub subject: Option<Uuid>,
    pub permission: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
}

/// One page of the organization's grants, oldest first, and the total.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    org: OrgId,
    f: &GrantFilter,
    page: PageReq,
) -> Result<(Vec<Model>, u64), DbErr> {
    let mut query = Entity::find().filter(Column::OrgId.eq(org));
    if let Some(s) = f.subject {
        query = query.filter(Column::SubjectId.eq(s));
    }
    if let Some(p) = &f.permission {
        query = query.filter(Column::Permission.eq(p.as_str()));
    }
    if let Some(t) = &f.resource_type {
        query = query.filter(Column::ResourceType.eq(t.as_str()));
    }
    if let Some(r) = &f.resource_id {
        query = query.filter(Column::ResourceId.eq(r.as_str()));
    }
    let total = query.clone().count(conn).await?;
    let rows = query.order_by_asc(Column::Id).offset(page.offset()).limit(page.limit).all(conn).await?;
    Ok((rows, total))
}

/// Every grant to one of `subjects`, in any organization.
pub async fn for_subjects<C: ConnectionTrait>(conn: &C, subjects: &[Uuid]) -> Result<Vec<Model>, DbErr> {
    Entity::find().filter(Column::SubjectId.is_in(subjects.iter().copied())).order_by_asc(Column::Id).all(conn).await
}

pub async fn delete<C: ConnectionTrait>(conn: &C, org: OrgId, id: GrantId) -> Result<u64, DbErr> {
    let res = Entity::delete_many().filter(Column::Id.eq(id)).filter(Column::OrgId.eq(org)).exec(conn).await?;
    Ok(res.rows_affected)
}

pub async fn delete_for_org<C: ConnectionTrait>(conn: &C, org: OrgId) -> Result<(), DbErr> {
    Entity::delete_many().filter(Column::OrgId.eq(org)).exec(conn).await.map(|_| ())
}

/// Every grant to one of `subjects` in `org`.
pub async fn for_subjects_in<C: ConnectionTrait>(conn: &C, org: OrgId, subjects: &[Uuid]) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::OrgId.eq(org))
        .filter(Column::SubjectId.is_in(subjects.iter().copied()))
        .order_by_asc(Column::Id)
        .all(conn)
        .await
}

/// Deletes the grants `ids`, in any organization.
pub async fn delete_ids<C: ConnectionTrait>(conn: &C, ids: &[GrantId]) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(Entity::delete_many().filter(Column::Id.is_in(ids.iter().copied())).exec(conn).await?.rows_affected)
}
