//! `api_key_secrets`: the SHA-256 of each live secret of a key. A key has one,
//! or two while the old secret of a rotation is in its grace period.
use sea_orm::entity::prelude::*;
use tessera_kernel::ids::ApiKeyId;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "api_key_secrets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub key_id: ApiKeyId,
    pub created_at: i64,
    /// End of the grace period of a rotated-out secret; `None` for the current one.
    pub expires_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::api_keys::Entity", from = "Column::KeyId", to = "super::api_keys::Column::Id")]
    Key,
}

impl Related<super::api_keys::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Key.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
