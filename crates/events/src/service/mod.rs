//! The events service: custom events, history, the catalogue, and the
//! background work (relay, consumers, retention).

pub mod history;
pub mod publish;
pub mod retention;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tessera_kernel::Core;
use tessera_kernel::event_types::EventType;
use tessera_kernel::ids::{EventId, OrgId};
use tokio::sync::{Notify, watch};

use crate::config::EventsConfig;
use crate::consumer::{Consumer, Subscriber};
use crate::nats::NatsBridge;
use crate::relay::Relay;
use crate::watch::{WatchLoop, Watcher};

/// What another module reports about an event's delivery (webhooks: one entry per endpoint).
#[async_trait::async_trait]
pub trait DeliveryReport: Send + Sync + 'static {
    /// The section name in `GET /orgs/{orgId}/events/{id}` (e.g. `deliveries`).
    fn section(&self) -> &'static str;
    async fn report(&self, org: OrgId, event: EventId) -> Result<Value, tessera_kernel::ApiError>;
}

/// The events module.
pub struct Events {
    pub(crate) core: Core,
    pub(crate) cfg: EventsConfig,
    pub(crate) catalogue: Arc<Vec<EventType>>,
    moved: Arc<Notify>,
    /// Wakes the relay: this node wrote to the outbox.
    pub(crate) outbox_written: Arc<Notify>,
    node: String,
    subscribers: Mutex<Vec<Arc<dyn Subscriber>>>,
    watchers: Mutex<Vec<Arc<dyn Watcher>>>,
    /// The log's head when [`Events::prepare`] ran: where this node's watchers start.
    watch_from: AtomicI64,
    pub(crate) reports: Mutex<Vec<Arc<dyn DeliveryReport>>>,
}

impl Events {
    pub fn new(core: Core, cfg: EventsConfig, catalogue: Vec<EventType>) -> Arc<Self> {
        let events = Arc::new(Self {
            core,
            catalogue: Arc::new(catalogue),
            moved: Arc::new(Notify::new()),
            outbox_written: Arc::new(Notify::new()),
            node: format!("node-{}", uuid::Uuid::now_v7()),
            subscribers: Mutex::new(Vec::new()),
            watchers: Mutex::new(Vec::new()),
            watch_from: AtomicI64::new(0),
            reports: Mutex::new(Vec::new()),
            cfg,
        });
        if !events.cfg.nats_url.is_empty() {
            events.subscribe(Arc::new(NatsBridge::new(&events.cfg)));
        }
        events
    }

    /// Adds a subscriber; call before [`Events::start`].
    pub fn subscribe(&self, sub: Arc<dyn Subscriber>) {
        if let Ok(mut subs) = self.subscribers.lock() {
            subs.push(sub);
        }
    }

    /// Adds a watcher, which hears on this node of every event of its types,
    /// whichever node caused it; call before [`Events::prepare`].
    pub fn watch(&self, watcher: Arc<dyn Watcher>) {
        if let Ok(mut watchers) = self.watchers.lock() {
            watchers.push(watcher);
        }
    }

    /// Adds a delivery report to `GET /orgs/{orgId}/events/{id}`.
    pub fn add_report(&self, report: Arc<dyn DeliveryReport>) {
        if let Ok(mut reports) = self.reports.lock() {
            reports.push(report);
        }
    }

    /// The catalogue of every event type.
    pub fn catalogue(&self) -> &[EventType] {
        &self.catalogue
    }

    /// Creates every subscriber's cursor that does not exist yet (at the log's
    /// head). Call before serving, so events of the first requests are not
    /// relayed before their consumers exist. Also notes where watchers start: as
    /// nothing is cached yet, no event before this point concerns them.
    pub async fn prepare(&self) -> Result<(), sea_orm::DbErr> {
        self.watch_from.store(crate::relay::head(&self.core.db.conn).await?, Ordering::Relaxed);
        let subs = self.subscribers.lock().map(|s| s.clone()).unwrap_or_default();
        for sub in subs {
            crate::consumer::ensure_cursor(&self.core, sub.name()).await?;
        }
        Ok(())
    }

    /// Starts the relay, every subscriber, the listener for other nodes' batches (PostgreSQL)
    /// and retention; they stop when `stop` turns true.
    pub fn start(self: &Arc<Self>, stop: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
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
        let subs = self.subscribers.lock().map(|s| s.clone()).unwrap_or_default();
        for sub in subs {
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
        let watchers = self.watchers.lock().map(|w| w.clone()).unwrap_or_default();
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
