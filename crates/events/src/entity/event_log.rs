//! `event_log`: every relayed event, numbered in the order consumers see them.
use sea_orm::entity::prelude::*;
use tessera_kernel::ids::{EventId, OrgId};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "event_log")]
pub struct Model {
    /// The relay's order, from 1, without gaps.
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub id: EventId,
    pub event_type: String,
    pub org_id: Option<OrgId>,
    pub actor: Json,
    pub data: Json,
    pub occurred_at: i64,
    pub relayed_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
