//! `access_roles`: an organization's custom roles and their permissions.
use sea_orm::entity::prelude::*;
use tessera_kernel::ids::{OrgId, RoleId};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "access_roles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: RoleId,
    pub org_id: OrgId,
    /// Unique in the organization; never a built-in role's name.
    pub name: String,
    pub description: Option<String>,
    /// A JSON array of permission keys.
    pub permissions: Json,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
