//! `webhook_endpoints`: where an organization's events are posted.
use sea_orm::entity::prelude::*;
use tessera_kernel::ids::OrgId;

use crate::ids::EndpointId;
use crate::model::{DisabledReason, Signing};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: EndpointId,
    pub org_id: OrgId,
    pub url: String,
    /// A short label (seed 000's `name`).
    pub name: Option<String>,
    pub description: Option<String>,
    /// Patterns: exact names, `prefix.*`, or `*`.
    pub event_types: Json,
    pub integration_id: Option<String>,
    /// Extra request headers, `{"name":"value"}`.
    pub headers: Json,
    pub rate_limit_per_second: Option<i32>,
    pub metadata: Json,
    pub is_active: bool,
    /// `manual`, `gone` (the endpoint answered 410) or `failing` (no success for days).
    pub disabled_reason: Option<DisabledReason>,
    pub signing: Signing,
    /// The signing secret, sealed under the data key.
    pub secret_sealed: String,
    /// The secret before the last rotation, signing too until `previous_secret_until`.
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_until: Option<i64>,
    /// The first failure since the last success.
    pub failing_since: Option<i64>,
    pub last_success_at: Option<i64>,
    /// The last attempt, whatever its result (seed 001's `lastTriggeredAt`).
    pub last_triggered_at: Option<i64>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
