//! The relay: moves committed events from the kernel's outbox into the event
//! log, numbering them in one order every consumer then follows. One batch at a
//! time across all nodes: the relay's head row is locked while a batch moves
//! (SQLite's single writer does the same), so numbers never collide or skip.
//! A transaction that commits late with an older id simply gets a later number.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sea_query::{LockType, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use tessera_kernel::Core;
use tessera_kernel::outbox::entity as outbox;
use tokio::sync::{Notify, watch};

use crate::entity::{event_log, event_relay};

const HEAD: &str = "main";
/// Rows per INSERT or DELETE statement of a batch.
const STATEMENT_ROWS: usize = 1_000;

/// Moves outbox rows to the event log; wakes consumers after each batch.
pub struct Relay {
    core: Core,
    batch: u64,
    poll: Duration,
    /// Consumers wait on this for new events.
    pub(crate) moved: Arc<Notify>,
    /// Signalled when this node wrote to the outbox, so the relay need not wait for its poll.
    wake: Arc<Notify>,
}

/// After a batch that was not full, how long the relay gathers before it looks
/// again: events that keep coming move in batches, a few milliseconds after they
/// were written rather than a poll interval later.
const GATHER: Duration = Duration::from_millis(2);

impl Relay {
    pub fn new(core: Core, batch: u64, poll: Duration, moved: Arc<Notify>) -> Self {
        Self { core, batch: batch.max(1), poll, moved, wake: Arc::new(Notify::new()) }
    }

    /// Looks at the outbox as soon as `wake` is signalled, besides polling.
    pub fn woken_by(mut self, wake: Arc<Notify>) -> Self {
        self.wake = wake;
        self
    }

    /// Runs until `stop` turns true.
    pub fn start(self: Arc<Self>, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                if *stop.borrow() {
                    break;
                }
                let pause = match self.step().await {
                    Ok(moved) if moved as u64 == self.batch => {
                        failures = 0;
                        continue;
                    }
                    Ok(0) => {
                        failures = 0;
                        self.poll
                    }
                    Ok(_) => {
                        failures = 0;
                        GATHER.min(self.poll)
                    }
                    Err(err) => {
                        failures += 1;
                        tracing::warn!(error = %err, "relaying the outbox failed");
                        Duration::from_millis(100u64 << failures.min(6))
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = self.wake.notified() => {}
                    _ = stop.changed() => {}
                }
            }
        })
    }

    /// Relays one batch; returns how many events moved.
    pub async fn step(&self) -> Result<usize, DbErr> {
        let db = &self.core.db;
        // A cheap look first, outside any transaction (on SQLite, without the write lock).
        if outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .limit(1)
            .into_tuple::<uuid::Uuid>()
            .one(&db.conn)
            .await?
            .is_none()
        {
            return Ok(0);
        }
        let txn = db.begin_relaxed().await?;
        let last = lock_head(&*txn).await?;
        let rows = outbox::Entity::find().order_by_asc(outbox::Column::Id).limit(self.batch).all(&*txn).await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let now = self.core.clock.now_ms();
        let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
        let count = rows.len();
        let logged: Vec<event_log::ActiveModel> = rows
            .into_iter()
            .zip(last + 1..)
            .map(|(r, seq)| event_log::ActiveModel {
                seq: Set(seq),
                id: Set(r.id),
                event_type: Set(r.event_type),
                org_id: Set(r.org_id),
                actor: Set(r.actor),
                data: Set(r.data),
                occurred_at: Set(r.occurred_at),
                relayed_at: Set(now),
            })
            .collect();
        // In chunks: a statement binds at most 32,766 values on SQLite and 65,535 on
        // PostgreSQL and MySQL, fewer than a batch of 10,000 events needs.
        for chunk in logged.chunks(STATEMENT_ROWS) {
            event_log::Entity::insert_many(chunk.to_vec()).exec_without_returning(&*txn).await?;
        }
        for chunk in ids.chunks(STATEMENT_ROWS) {
            outbox::Entity::delete_many().filter(outbox::Column::Id.is_in(chunk.to_vec())).exec(&*txn).await?;
        }
        event_relay::Entity::update_many()
            .col_expr(event_relay::Column::LastSeq, sea_orm::sea_query::Expr::value(last + count as i64))
            .filter(event_relay::Column::Name.eq(HEAD))
            .exec(&*txn)
            .await?;
        txn.commit().await?;
        metrics::counter!("tessera_events_relayed_total").increment(count as u64);
        self.moved.notify_waiters();
        Ok(count)
    }
}

/// The relay's head, created if missing and locked until the transaction ends.
async fn lock_head<C: ConnectionTrait>(txn: &C) -> Result<i64, DbErr> {
    let key = event_relay::Column::Name;
    event_relay::Entity::insert(event_relay::ActiveModel { name: Set(HEAD.to_owned()), last_seq: Set(0) })
        .on_conflict(OnConflict::column(key).do_nothing_on([key]).to_owned())
        .exec_without_returning(txn)
        .await?;
    let mut query = event_relay::Entity::find_by_id(HEAD.to_owned());
    if txn.get_database_backend() != DatabaseBackend::Sqlite {
        query = query.lock(LockType::Update);
    }
    Ok(query.one(txn).await?.map_or(0, |h| h.last_seq))
}

/// The number of the last relayed event.
pub async fn head<C: ConnectionTrait>(conn: &C) -> Result<i64, DbErr> {
    Ok(event_relay::Entity::find_by_id(HEAD.to_owned()).one(conn).await?.map_or(0, |h| h.last_seq))
}
