//! `users`: accounts, their credentials and profile.
use sea_orm::entity::prelude::*;
use tessera_kernel::PlatformRole;

use crate::model::UserStatus;
use tessera_kernel::ids::UserId;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: UserId,
    /// Normalized (trimmed, lower-case) and unique.
    #[sea_orm(unique)]
    pub email: String,
    pub email_verified_at: Option<i64>,
    /// PHC string (argon2id, or an imported bcrypt hash); none until a password is set.
    pub password_hash: Option<String>,
    pub name: String,
    pub avatar_url: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub status: UserStatus,
    pub role: PlatformRole,
    pub metadata: Json,
    pub preferences: Json,
    /// Consecutive failed sign-ins since the last success or lock.
    pub failed_logins: i32,
    /// Locks in a row (each doubles the next), reset by a successful sign-in.
    pub lockouts: i32,
    pub locked_until: Option<i64>,
    pub last_failed_login_at: Option<i64>,
    pub password_changed_at: Option<i64>,
    pub last_login_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
