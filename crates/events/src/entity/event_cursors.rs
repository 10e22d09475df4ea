//! `event_cursors`: how far each consumer got, and which node holds it.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "event_cursors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub consumer: String,
    /// The `seq` of the last event handled.
    pub position: i64,
    /// Failures in a row of the batch after `position`.
    pub failures: i32,
    /// When the failed batch is tried again (ms).
    pub retry_at: i64,
    pub last_error: Option<String>,
    pub leased_by: Option<String>,
    pub lease_until: Option<i64>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
