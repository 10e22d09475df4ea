//! `refresh_tokens`: every refresh token a session was issued, by SHA-256; a used
//! one presented again reveals theft and revokes the session.
use sea_orm::entity::prelude::*;
use tessera_kernel::ids::SessionId;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub session_id: SessionId,
    pub created_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::sessions::Entity", from = "Column::SessionId", to = "super::sessions::Column::Id")]
    Session,
}

impl ActiveModelBehavior for ActiveModel {}
