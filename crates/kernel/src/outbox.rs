//! The transactional outbox: a state change writes its event into `outbox_events`
//! in the same transaction, so an event exists exactly when its change does. The
//! events module relays the table to subscribers, webhooks and NATS.

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};
use serde::Serialize;
use serde_json::Value;

use crate::actor::ActorRef;
use crate::clock::Millis;
use crate::ids::{EventId, OrgId};

pub mod entity {
    //! `outbox_events`: one row per domain event.
    use sea_orm::entity::prelude::*;

    use crate::ids::{EventId, OrgId};

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: EventId,
        pub event_type: String,
        pub org_id: Option<OrgId>,
        pub actor: Json,
        pub data: Json,
        pub occurred_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A domain event about to be recorded.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// `<noun>.<past-tense verb>`, e.g. `user.created`.
    pub event_type: &'static str,
    pub org_id: Option<OrgId>,
    pub actor: ActorRef,
    pub data: Value,
}

impl NewEvent {
    /// An event with a serializable payload.
    pub fn new(event_type: &'static str, actor: ActorRef, data: impl Serialize) -> Self {
        Self { event_type, org_id: None, actor, data: serde_json::to_value(data).unwrap_or(Value::Null) }
    }
}

/// Writes `event` on `conn`, which should be the transaction of the change it describes.
pub async fn record<C: ConnectionTrait>(conn: &C, now: Millis, event: NewEvent) -> Result<EventId, DbErr> {
    let id = EventId::new();
    let actor = serde_json::to_value(&event.actor).unwrap_or(Value::Null);
    record_as(conn, id, now, event.event_type, event.org_id, actor, event.data).await?;
    Ok(id)
}

/// Writes an event whose id and type the caller chose (custom events: the type
/// is the customer's, the id was promised to an idempotency key).
pub async fn record_as<C: ConnectionTrait>(
    conn: &C,
    id: EventId,
    now: Millis,
    event_type: &str,
    org_id: Option<OrgId>,
    actor: Value,
    data: Value,
) -> Result<(), DbErr> {
    let row = entity::ActiveModel {
        id: Set(id),
        event_type: Set(event_type.to_owned()),
        org_id: Set(org_id),
        actor: Set(actor),
        data: Set(data),
        occurred_at: Set(now),
    };
    // No read-back: on engines without RETURNING it would cost a second statement.
    entity::Entity::insert(row).exec_without_returning(conn).await?;
    Ok(())
}
