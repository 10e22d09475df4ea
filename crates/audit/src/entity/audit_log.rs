//! `audit_log`: one row per audited change, chained per organization.
use sea_orm::entity::prelude::*;
use tessera_kernel::ids::{AuditId, OrgId};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: AuditId,
    /// The organization id, or `platform` for changes outside any organization.
    pub chain_key: String,
    /// Position in the chain, from 1.
    pub seq: i64,
    pub org_id: Option<OrgId>,
    /// `user`, `apikey` or `system`.
    pub actor_type: String,
    /// Personal: nulled when the actor's account is erased.
    pub actor_id: Option<String>,
    /// The user an API key acted for. Personal.
    pub actor_owner: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// `{"before":…,"after":…}`, secrets redacted. Personal.
    pub changes: Option<Json>,
    /// Personal.
    pub ip: Option<String>,
    /// Personal.
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub created_at: i64,
    /// One salted SHA-256 commitment per personal field, comma-separated (see
    /// `commitments.rs`); the chain covers these, not the fields, so erasing the
    /// fields later keeps the chain verifiable.
    pub personal_commitments: String,
    /// The salts of the commitments, comma-separated; an erased field's is empty.
    pub personal_salts: String,
    /// Set when the personal fields were erased (GDPR).
    pub erased_at: Option<i64>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
