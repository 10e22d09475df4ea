//! Word between nodes that events were relayed. On PostgreSQL the relay sends a
//! `NOTIFY` with each batch it moves (PostgreSQL delivers it when the batch
//! commits) and every node `LISTEN`s, so a consumer held by one node starts on
//! a batch another node relayed at once, not at its next poll. SQLite serves one
//! node, and MySQL has no such signal: there, consumers keep to their poll.
//!
//! The signal is only a wake-up: a lost one costs a poll interval, never an
//! event, because consumers read the log from their cursor either way.

use std::sync::Arc;

use sea_orm::sqlx::postgres::{PgListener, PgPoolOptions};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};
use tessera_kernel::Core;
use tokio::sync::{Notify, watch};

/// The channel relays announce their batches on.
pub const CHANNEL: &str = "tessera_events_relayed";

/// Announces, inside the relay's transaction, that `node` moved a batch (PostgreSQL only).
pub(crate) async fn announce<C: ConnectionTrait>(txn: &C, node: &str) -> Result<(), DbErr> {
    if txn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let sql = "SELECT pg_notify($1, $2)";
    txn.execute_raw(Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, [CHANNEL.into(), node.into()]))
        .await?;
    Ok(())
}

/// On PostgreSQL, wakes `moved` whenever another node than `node` announces a
/// batch, until `stop` turns true; `None` on the other engines.
pub(crate) fn listen(
    core: Core,
    node: String,
    moved: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    if core.db.conn.get_database_backend() != DatabaseBackend::Postgres {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut failures = 0u32;
        while !*stop.borrow() {
            match follow(&core, &node, &moved, &mut stop, &mut failures).await {
                Ok(()) => break,
                Err(err) => {
                    failures += 1;
                    tracing::warn!(error = %err, "listening for other nodes' relayed events failed; consumers poll meanwhile");
                }
            }
            // Whatever was announced while not listening is found by looking.
            moved.notify_waiters();
            tokio::select! {
                _ = tokio::time::sleep(tessera_kernel::jobs::loop_pause(failures)) => {}
                _ = stop.changed() => {}
            }
        }
    }))
}

/// Listens on a connection of its own (not one of the pool's) until `stop`.
async fn follow(
    core: &Core,
    node: &str,
    moved: &Notify,
    stop: &mut watch::Receiver<bool>,
    failures: &mut u32,
) -> Result<(), sea_orm::sqlx::Error> {
    let options = (*core.db.conn.get_postgres_connection_pool().connect_options()).clone();
    let pool = PgPoolOptions::new().max_connections(1).max_lifetime(None).idle_timeout(None).connect_lazy_with(options);
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    *failures = 0;
    loop {
        tokio::select! {
            got = listener.try_recv() => match got? {
                Some(n) if n.payload() == node => {}
                // Another node's batch, or (`None`) a dropped connection, made again, that may have missed some.
                _ => moved.notify_waiters(),
            },
            _ = stop.changed() => {
                if *stop.borrow() {
                    return Ok(());
                }
            }
        }
    }
}
