//! The relay: moves committed events from the kernel's outbox into the event
//! log, numbering them in one order every consumer then follows. One batch at a
//! time across all nodes: the relay's head row is locked while a batch moves
//! (SQLite's single writer does the same), so numbers never collide or skip.
//! A transaction that commits late with an older id simply gets a later number.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Set};
use tessera_kernel::Core;
use tessera_kernel::outbox;
use tokio::sync::{Notify, watch};

use crate::entity::event_log;
use crate::store;

/// Moves outbox rows to the event log; wakes consumers after each batch.
pub struct Relay {
    core: Core,
    batch: u64,
    poll: Duration,
    /// Consumers wait on this for new events.
    pub(crate) moved: Arc<Notify>,
    /// Signalled when this node wrote to the outbox, so the relay need not wait for its poll.
    wake: Arc<Notify>,
    /// Whether this relay has seen the head row exist (it is created once, then only locked).
    head_made: AtomicBool,
    /// The node this relay announces its batches as, to the other nodes (see `signal`).
    node: Option<String>,
}

/// After a batch that was not full, how long the relay gathers before it looks
/// again: events that keep coming move in batches, a few milliseconds after they
/// were written rather than a poll interval later.
const GATHER: Duration = Duration::from_millis(2);

impl Relay {
    pub fn new(core: Core, batch: u64, poll: Duration, moved: Arc<Notify>) -> Self {
        Self {
            core,
            batch: batch.max(1),
            poll,
            moved,
            wake: Arc::new(Notify::new()),
            head_made: AtomicBool::new(false),
            node: None,
        }
    }

    /// Tells the other nodes of every batch it moves, as `node`.
    pub fn announcing_as(mut self, node: String) -> Self {
        self.node = Some(node);
        self
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
            let mut look = true;
            loop {
                if *stop.borrow() {
                    break;
                }
                let result = self.step_with(look).await;
                // After a full batch more is likely waiting: no need to look before taking it.
                look = !matches!(result, Ok(moved) if moved as u64 == self.batch);
                let pause = match result {
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
                        tessera_kernel::jobs::loop_pause(failures)
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

    /// Relays one batch; returns how many events moved (tests drive the relay by hand).
    #[cfg(feature = "testing")]
    pub async fn step(&self) -> Result<usize, DbErr> {
        self.step_with(true).await
    }

    /// Relays one batch, first looking whether there is any when `look`.
    async fn step_with(&self, look: bool) -> Result<usize, DbErr> {
        let db = &self.core.db;
        // A cheap look first, outside any transaction (on SQLite, without the write lock).
        if look && !outbox::any_pending(&db.conn).await? {
            return Ok(0);
        }
        let txn = db.begin_relaxed().await?;
        let last = lock_head(&*txn, !self.head_made.load(Ordering::Relaxed)).await?;
        let now = self.core.clock.now_ms();
        let count = if txn.get_database_backend() == DatabaseBackend::MySql {
            move_fetched(&*txn, last, self.batch, now).await?
        } else {
            outbox::move_into(&*txn, "event_log", last, self.batch, now).await?
        };
        if count == 0 {
            return Ok(0);
        }
        store::head::set(&*txn, last + count).await?;
        if let Some(node) = &self.node {
            crate::signal::announce(&*txn, node).await?;
        }
        txn.commit().await?;
        self.head_made.store(true, Ordering::Relaxed);
        metrics::counter!("tessera_events_relayed_total").increment(count.unsigned_abs());
        self.moved.notify_waiters();
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }
}

/// The move for MySQL, where an `INSERT … SELECT` would lock the outbox
/// rows it reads (and wait on writers' uncommitted ones): the rows are read
/// without locks, then written to the log and deleted by id.
async fn move_fetched<C: ConnectionTrait>(txn: &C, last: i64, limit: u64, now: i64) -> Result<i64, DbErr> {
    let rows = outbox::oldest(txn, limit).await?;
    let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
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
    store::log::append(txn, logged).await?;
    outbox::remove(txn, &ids).await?;
    Ok(i64::try_from(ids.len()).unwrap_or(i64::MAX))
}

/// The relay's head, created first if `create` (when missing), and locked until the transaction ends.
async fn lock_head<C: ConnectionTrait>(txn: &C, create: bool) -> Result<i64, DbErr> {
    if create {
        store::head::create(txn).await?;
    }
    store::head::lock(txn).await
}
