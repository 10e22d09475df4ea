//! `org_members`: who belongs to which organization, with which role.
use sea_orm::entity::prelude::*;
use tessera_kernel::ids::{OrgId, UserId};
use tessera_kernel::roles::RoleKey;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "org_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: OrgId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    /// A built-in role name or a custom role's id.
    pub role: RoleKey,
    pub joined_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
