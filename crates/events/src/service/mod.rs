//! The events service: custom events, history, the catalogue, and the
//! background work (relay, consumers, retention).

pub(crate) mod history;
pub(crate) mod publish;
pub(crate) mod retention;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tessera_kernel::Core;
use tessera_kernel::bus::{Subscriber, Watcher};
use tessera_kernel::event_types::EventType;
use tokio::sync::{Notify, watch};

use crate::config::EventsConfig;
use crate::consumer::Consumer;
use crate::relay::Relay;
use crate::watch::WatchLoop;

/// The events module.
pub struct Events {
    pub(crate) core: Core,
    pub(crate) cfg: EventsConfig,
    moved: Arc<Notify>,
    /// Wakes the relay: this node wrote to the outbox.
    pub(crate) outbox_written: Arc<Notify>,
    node: String,
    /// The log's head when [`Events::prepare`] ran: where this node's watchers start.
    watch_from: AtomicI64,
}

impl Events {
    pub(crate) fn new(core: Core, cfg: EventsConfig) -> Arc<Self> {
        Arc::new(Self {
            core,
            moved: Arc::new(Notify::new()),
            outbox_written: Arc::new(Notify::new()),
            node: format!("node-{}", uuid::Uuid::now_v7()),
            watch_from: AtomicI64::new(0),
            cfg,
        })
    }

    /// The catalogue of every event type.
    pub(crate) fn catalogue(&self) -> &[EventType] {
        &self.core.event_types
    }

    /// Creates every subscriber's cursor that does not exist yet (at the log's
    /// head). Call before serving, so events of the first requests are not
    /// relayed before their consumers exist. Also notes where watchers start: as
    /// nothing is cached yet, no event before this point concerns them.
    pub(crate) async fn prepare(&self) -> Result<(), sea_orm::DbErr> {
        self.watch_from.store(crate::store::head::get(&self.core.db.conn).await?, Ordering::Relaxed);
        for sub in self.core.bus.subscribers() {
            crate::consumer::ensure_cursor(&self.core, sub.name()).await?;
        }
        Ok(())
    }

    /// Starts the relay, every subscriber, the listener for other nodes' batches (PostgreSQL)
    /// and retention; they stop when `stop` turns true.
    pub(crate) fn start(self: &Arc<Self>, stop: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        self.start_with(self.core.bus.subscribers(), self.core.bus.watchers(), stop)
    }

    /// [`Events::start`] with the given subscribers and watchers (a test runs a
    /// second node of its own subscribers on the same database).
    pub(crate) fn start_with(
        self: &Arc<Self>,
        subscribers: Vec<Arc<dyn Subscriber>>,
        watchers: Vec<Arc<dyn Watcher>>,
        stop: watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let relay = Arc::new(
            Relay::new(
                self.core.clone(),
                self.cfg.relay_batch,
                Duration::from_millis(self.cfg.relay_poll_ms),
                self.moved.clone(),
            )
            .woken_by(self.outbox_written.clone())
            .announcing_as(self.node.clone()),
        );
        let mut tasks = vec![relay.start(stop.clone())];
        tasks.extend(crate::signal::listen(self.core.clone(), self.node.clone(), self.moved.clone(), stop.clone()));
        for sub in subscribers {
            let consumer = Consumer {
                core: self.core.clone(),
                sub,
                node: self.node.clone(),
                moved: self.moved.clone(),
                poll: Duration::from_millis(self.cfg.consumer_poll_ms),
                lease_ms: i64::try_from(self.cfg.consumer_lease_secs * 1000).unwrap_or(30_000),
            };
            tasks.push(consumer.start(stop.clone()));
        }
        if !watchers.is_empty() {
            let watch = WatchLoop {
                core: self.core.clone(),
                watchers,
                from: self.watch_from.load(Ordering::Relaxed),
                poll: Duration::from_millis(self.cfg.watch_poll_ms),
            };
            tasks.push(watch.start(stop.clone()));
        }
        tasks.push(retention::start(self.clone(), stop));
        tasks
    }
}
