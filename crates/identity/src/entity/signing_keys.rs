//! `signing_keys`: Ed25519 token-signing keys. The private half is sealed under the
//! data-encryption key; every node reads the same set, so any node verifies tokens
//! any other node signed, and rotation needs no file copying.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    pub algorithm: String,
    /// PKCS#8 DER, sealed with the keyring (`v1.<kid>.<base64>`).
    pub private_sealed: String,
    /// The public key, base64url (JWK `x`).
    pub public_x: String,
    pub created_at: i64,
    /// When a newer key took over; the key keeps verifying until its tokens expire.
    pub retired_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
