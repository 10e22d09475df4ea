//! `team_members`: seats in teams, with a team role (admin, member, viewer).
use sea_orm::entity::prelude::*;
use tessera_kernel::ids::{OrgId, TeamId, UserId};
use tessera_kernel::roles::TeamRole;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "team_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub team_id: TeamId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: UserId,
    /// The team's organization, so seats are found and removed with the membership.
    pub org_id: OrgId,
    pub role: TeamRole,
    pub added_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
