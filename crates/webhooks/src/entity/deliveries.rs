//! `webhook_deliveries`: one event to one endpoint; also the delivery queue.
use sea_orm::entity::prelude::*;
use tessera_kernel::ids::{EventId, OrgId};

use crate::ids::{DeliveryId, EndpointId};
use crate::model::DeliveryStatus;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: DeliveryId,
    pub org_id: OrgId,
    pub endpoint_id: EndpointId,
    pub event_id: EventId,
    pub event_type: String,
    /// The event envelope, posted as is.
    pub payload: Json,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: i64,
    /// While a node is attempting it.
    pub lease_until: Option<i64>,
    pub leased_by: Option<String>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub delivered_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
