//! `access_grants`: one permission given to a user or an API key on a single resource.
use sea_orm::entity::prelude::*;
use tessera_kernel::ids::{GrantId, OrgId, UserId};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "access_grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: GrantId,
    pub org_id: OrgId,
    /// `user` or `apikey`.
    pub subject_type: String,
    pub subject_id: Uuid,
    pub permission: String,
    pub resource_type: String,
    pub resource_id: String,
    pub created_by: UserId,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
