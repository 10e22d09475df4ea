//! `event_idempotency`: the event a custom-event idempotency key produced (24 h).
use sea_orm::entity::prelude::*;
use tessera_kernel::ids::{EventId, OrgId};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "event_idempotency")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: OrgId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub idem_key: String,
    pub event_id: EventId,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
