//! `webhook_pacing`: when each rate-limited endpoint may next be sent to, shared by
//! every node, so `rateLimitPerSecond` holds for the cluster, not per node.
use sea_orm::entity::prelude::*;

use crate::ids::EndpointId;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_pacing")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub endpoint_id: EndpointId,
    /// The first free send slot, in microseconds since the epoch.
    pub next_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
