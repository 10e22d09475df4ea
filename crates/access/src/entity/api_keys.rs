//! `api_keys`: organization and personal API keys (their secrets live in
//! `api_key_secrets`, by SHA-256 only).
use sea_orm::entity::prelude::*;
use tessera_kernel::ids::{ApiKeyId, OrgId, UserId};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ApiKeyId,
    /// The organization of an organization key; `None` for a personal key.
    pub org_id: Option<OrgId>,
    /// Who created it (organization key) or owns it (personal key).
    pub owner_id: UserId,
    pub name: String,
    /// The first characters of the current secret, to recognize it.
    pub prefix: String,
    /// A JSON array of permission keys (`*` in a personal key: all of its user's).
    pub permissions: Json,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::api_key_secrets::Entity")]
    Secrets,
}

impl Related<super::api_key_secrets::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Secrets.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
