//! `orgs`: organizations (tenants).
use sea_orm::entity::prelude::*;
use tessera_kernel::ids::OrgId;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "orgs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: OrgId,
    pub name: String,
    /// Unique, 3–48 of `a-z0-9-`.
    #[sea_orm(unique)]
    pub slug: String,
    pub settings: Json,
    pub metadata: Json,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
