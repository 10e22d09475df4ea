//! Watchers: what *every* node must hear of, whichever node made the change —
//! chiefly caches to forget. A consumer is one cursor for the whole cluster; a
//! watcher instead runs on each node, follows the event log from where it stood
//! when the node started, remembers its place only in memory, and hands each
//! event of the types it names to a synchronous callback.
//!
//! The node that made a change forgets its own cached copy at once; a watcher
//! bounds how long the others may go on trusting theirs to about one poll after
//! the change's event is relayed, so their caches can live for minutes. The
//! loop keeps to that poll rather than waking at every relayed batch: it only
//! ever has the other nodes' changes to catch up with.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DbErr;
use tessera_kernel::Core;
use tokio::sync::watch;

use crate::model::event_of;
use crate::store;
use tessera_kernel::bus::Watcher;

/// The most log positions one look covers (the look reads only the watched
/// types among them).
const SPAN: i64 = 10_000;

/// Follows the log for every watcher of this node.
pub(crate) struct WatchLoop {
    pub core: Core,
    pub watchers: Vec<Arc<dyn Watcher>>,
    /// Where the log stood when the node started: nothing this node cached can predate it.
    pub from: i64,
    pub poll: Duration,
}

impl WatchLoop {
    pub fn start(self, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let types: Vec<String> = {
                let mut t: Vec<String> =
                    self.watchers.iter().flat_map(|w| w.types().iter().map(|s| (*s).to_owned())).collect();
                t.sort();
                t.dedup();
                t
            };
            let mut at = self.from;
            loop {
                if *stop.borrow() {
                    break;
                }
                let pause = match self.look(&types, &mut at).await {
                    Ok(true) => continue,
                    Ok(false) => self.poll,
                    Err(err) => {
                        tracing::warn!(error = %err, "watching the event log failed");
                        Duration::from_secs(1)
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stop.changed() => {}
                }
            }
        })
    }

    /// Hands over the watched events after `at` (up to [`SPAN`] positions) and
    /// moves `at` past them; `true` when more may be waiting.
    async fn look(&self, types: &[String], at: &mut i64) -> Result<bool, DbErr> {
        let db = &self.core.db.conn;
        let head = store::head::get(db).await?;
        if head <= *at {
            return Ok(false);
        }
        // Positions up to the head are committed and never renumbered, so none appears behind `at` later.
        let until = head.min(*at + SPAN);
        let rows = store::log::of_types_between(db, types, *at, until).await?;
        for row in rows {
            let event = event_of(row);
            for w in self.watchers.iter().filter(|w| w.types().contains(&event.event_type.as_str())) {
                w.seen(&event).await;
            }
        }
        *at = until;
        Ok(until < head)
    }
}
