//! `user_action_tokens`: single-use, expiring e-mail verification, password-reset
//! and set-password tokens, stored by SHA-256.
use sea_orm::entity::prelude::*;
use tessera_kernel::ids::UserId;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "user_action_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub user_id: UserId,
    /// `verify_email`, `reset_password` or `set_password`.
    pub purpose: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
