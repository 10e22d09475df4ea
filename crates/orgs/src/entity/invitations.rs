//! `org_invitations`: invitations by e-mail, with the SHA-256 of their token.
use sea_orm::entity::prelude::*;
use tessera_kernel::ids::{InvitationId, OrgId, UserId};
use tessera_kernel::roles::RoleKey;

use crate::model::InvitationStatus;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "org_invitations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: InvitationId,
    pub org_id: OrgId,
    /// Normalized (trimmed, lower-case).
    pub email: String,
    pub role: RoleKey,
    /// Ids of teams joined (as members) on acceptance: a JSON array of strings.
    pub team_ids: Json,
    /// SHA-256 (hex) of the token in the link; replaced when resent.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// Who sent it; cleared when that account is erased.
    pub invited_by: Option<UserId>,
    /// `expired` once someone has observed it (see `InvitationStatus::of`).
    pub status: InvitationStatus,
    pub ttl_days: i32,
    pub expires_at: i64,
    /// Who accepted it.
    pub accepted_by: Option<UserId>,
    pub responded_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
