//! The transactional outbox: a state change writes its event into `outbox_events`
//! in the same transaction (through [`crate::record`]), so an event exists exactly
//! when its change does. The events module relays it into its numbered log
//! through the functions at the end of this file, the only other way into the table.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    Statement,
};
use serde::Serialize;
use serde_json::Value;

use crate::actor::ActorRef;
use crate::clock::Millis;
use crate::ids::{EventId, OrgId};

mod entity {
    //! `outbox_events`: one row per domain event.
    use sea_orm::entity::prelude::*;

    use crate::ids::{EventId, OrgId};

    /// An event waiting to be relayed.
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

/// Writes `events` on `conn` (events with no audit entry, such as webhook
/// delivery outcomes), in as few statements as a statement's bind limit allows;
/// returns their ids, in order.
pub async fn record_many<C: ConnectionTrait>(
    conn: &C,
    now: Millis,
    events: Vec<NewEvent>,
) -> Result<Vec<EventId>, DbErr> {
    let ids: Vec<EventId> = events.iter().map(|_| EventId::new()).collect();
    let rows: Vec<entity::ActiveModel> = events
        .into_iter()
        .zip(&ids)
        .map(|(e, id)| entity::ActiveModel {
            id: Set(*id),
            event_type: Set(e.event_type.to_owned()),
            org_id: Set(e.org_id),
            actor: Set(serde_json::to_value(&e.actor).unwrap_or(Value::Null)),
            data: Set(e.data),
            occurred_at: Set(now),
        })
        .collect();
    for chunk in rows.chunks(1_000) {
        entity::Entity::insert_many(chunk.to_vec()).exec_without_returning(conn).await?;
    }
    Ok(ids)
}

/// An event waiting in the outbox, as the relay reads it.
pub use entity::Model as Pending;

/// The waiting event `id`, if it is still in the outbox.
pub async fn find<C: ConnectionTrait>(conn: &C, id: EventId) -> Result<Option<Pending>, DbErr> {
    entity::Entity::find_by_id(id).one(conn).await
}

/// Whether any event waits (a cheap look by id, outside any transaction).
pub async fn any_pending<C: ConnectionTrait>(conn: &C) -> Result<bool, DbErr> {
    let first = entity::Entity::find()
        .order_by_asc(entity::Column::Id)
        .select_only()
        .column(entity::Column::Id)
        .limit(1)
        .into_tuple::<uuid::Uuid>()
        .one(conn)
        .await?;
    Ok(first.is_some())
}

/// The oldest `limit` waiting events, in id order (read without locks).
pub async fn oldest<C: ConnectionTrait>(conn: &C, limit: u64) -> Result<Vec<Pending>, DbErr> {
    entity::Entity::find().order_by_asc(entity::Column::Id).limit(limit).all(conn).await
}

/// Removes relayed events, by id, in chunks a statement can bind.
pub async fn remove<C: ConnectionTrait>(conn: &C, ids: &[EventId]) -> Result<(), DbErr> {
    for chunk in ids.chunks(1_000) {
        entity::Entity::delete_many().filter(entity::Column::Id.is_in(chunk.to_vec())).exec(conn).await?;
    }
    Ok(())
}

/// Moves the oldest `limit` events into `log` without them leaving the database:
/// one `INSERT … SELECT` numbering them `last + 1…` in id order, one `DELETE` of
/// what it copied. `log` has the outbox's columns plus `seq` and `relayed_at`.
/// Not for MySQL, where `INSERT … SELECT` locks the rows it reads (use
/// [`oldest`] and [`remove`] there). Returns how many moved.
pub async fn move_into<C: ConnectionTrait>(
    conn: &C,
    log: &'static str,
    last: i64,
    limit: u64,
    now: Millis,
) -> Result<i64, DbErr> {
    let backend = conn.get_database_backend();
    let pg = backend == DatabaseBackend::Postgres;
    let arg = |i: usize| if pg { format!("${i}::bigint") } else { "?".to_owned() };
    let copy = format!(
        "INSERT INTO {log} (seq, id, event_type, org_id, actor, data, occurred_at, relayed_at) \
         SELECT {} + ROW_NUMBER() OVER (ORDER BY b.id), b.id, b.event_type, b.org_id, b.actor, b.data, b.occurred_at, {} \
         FROM (SELECT id, event_type, org_id, actor, data, occurred_at FROM outbox_events ORDER BY id LIMIT {}) b",
        arg(1),
        arg(2),
        arg(3)
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let moved = conn
        .execute_raw(Statement::from_sql_and_values(backend, copy, [last.into(), now.into(), limit.into()]))
        .await?;
    let moved = i64::try_from(moved.rows_affected()).unwrap_or(i64::MAX);
    if moved == 0 {
        return Ok(0);
    }
    let delete = format!(
        "DELETE FROM outbox_events WHERE id IN (SELECT id FROM {log} WHERE seq > {} AND seq <= {})",
        arg(1),
        arg(2)
    );
    let deleted =
        conn.execute_raw(Statement::from_sql_and_values(backend, delete, [last.into(), (last + moved).into()])).await?;
    if deleted.rows_affected() != moved.unsigned_abs() {
        // Only a second relay moving the same rows could cause this, and the caller's lock prevents one.
        return Err(DbErr::Custom(format!("relay copied {moved} events but deleted {}", deleted.rows_affected())));
    }
    Ok(moved)
}
