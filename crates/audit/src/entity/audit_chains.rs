//! `audit_chains`: the head of each chain, locked while an entry is appended.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_chains")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub chain_key: String,
    /// The last sequence number given out.
    pub seq: i64,
    pub last_hash: String,
    /// Retention deleted entries before this one; its `prev_hash` must be `cut_hash`.
    pub cut_seq: i64,
    pub cut_hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
