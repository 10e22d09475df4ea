//! Subscribers, driven at the library level (they are registered in Rust, not
//! over HTTP): each follows the log in order from its own cursor, a failing
//! batch is handed over again later, one node at a time holds a consumer and
//! another takes over when it stops, and a restarted node goes on from where
//! its cursor stands. A subscriber that keeps failing holds back no other.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;
use tessera_events::EventsModule;
use tessera_kernel::bus::{Event, HandleError, Subscriber};
use tessera_kernel::ids::OrgId;
use tessera_kernel::module::config_of;
use tessera_testkit::{TestApp, id_of, publish, spawn_app};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::support::{cursor, eventually, head, wait_caught_up};

/// What a subscriber was handed: `(node, seq, id, type)` per event, per successful call.
type Log = Arc<Mutex<Vec<(&'static str, i64, String, String)>>>;

/// A subscriber that records what it handles, optionally failing its first calls
/// and wanting only some types.
struct Recorder {
    name: String,
    node: &'static str,
    log: Log,
    fail_first: Arc<AtomicUsize>,
    only_prefix: Option<&'static str>,
}

#[async_trait::async_trait]
impl Subscriber for Recorder {
    fn name(&self) -> &str {
        &self.name
    }
    fn wants(&self, event_type: &str) -> bool {
        self.only_prefix.is_none_or(|p| event_type.starts_with(p))
    }
    async fn handle(&self, events: &[Event]) -> Result<(), HandleError> {
        let left = self.fail_first.load(Ordering::SeqCst);
        if left > 0 {
            self.fail_first.store(left - 1, Ordering::SeqCst);
            return Err(HandleError(format!("refusing {} events on purpose", events.len())));
        }
        let mut log = self.log.lock().unwrap();
        log.extend(events.iter().map(|e| (self.node, e.seq, e.id.to_string(), e.event_type.clone())));
        Ok(())
    }
    fn batch_size(&self) -> u64 {
        16
    }
}

/// A node of the events module on the app's database: its own relay and `subs`.
struct Node {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Node {
    fn start(app: &TestApp, subs: Vec<Recorder>) -> Self {
        let mut cfg = config_of::<EventsModule>(&app.core.settings).unwrap();
        cfg.nats_url = String::new();
        // The shortest lease: a node that lost it notices within seconds.
        cfg.consumer_lease_secs = 5;
        let subs = subs.into_iter().map(|s| Arc::new(s) as Arc<dyn Subscriber>).collect();
        let (stop, rx) = watch::channel(false);
        let tasks = tessera_events::testing::start_node(&app.core, cfg, subs, rx);
        Self { stop, tasks }
    }

    /// Stops it the way shutdown does: its consumers let go of their leases.
    async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            t.await.unwrap();
        }
    }
}

fn recorder(name: &str, node: &'static str, log: &Log) -> Recorder {
    Recorder {
        name: name.to_owned(),
        node,
        log: log.clone(),
        fail_first: Arc::new(AtomicUsize::new(0)),
        only_prefix: None,
    }
}

/// Waits until the consumer's cursor exists (a new consumer starts at the head).
async fn wait_cursor(app: &TestApp, name: &str) {
    eventually("the consumer's cursor", || async move { cursor(app, name).await }).await;
}

/// Publishes `n` custom events of `event_type`; returns their ids.
async fn publish_n(client: &tessera_testkit::Client, org: OrgId, event_type: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(id_of(&publish(client, org, event_type, json!({ "i": i })).await));
    }
    ids
}

fn handled_ids(log: &Log) -> Vec<String> {
    log.lock().unwrap().iter().map(|(_, _, id, _)| id.clone()).collect()
}

#[tokio::test]
async fn a_subscriber_gets_every_event_in_order_and_a_failure_only_delays_it() {
    let app = spawn_app().await;
    let (owner, org) = app.owned_org("Subscribed").await;
    let log = Log::default();
    let mut sub = recorder("test.ordered", "a", &log);
    sub.fail_first = Arc::new(AtomicUsize::new(2));
    let node = Node::start(&app, vec![sub]);
    wait_cursor(&app, "test.ordered").await;
    let start = cursor(&app, "test.ordered").await.unwrap().position;

    let ids = publish_n(&owner.client, org, "tick.happened", 40).await;
    let log_ref = &log;
    eventually("all 40 handled", || async move { (handled_ids(log_ref).len() >= 40).then_some(()) }).await;
    wait_caught_up(&app, "test.ordered").await;

    let handled = log.lock().unwrap().clone();
    let seqs: Vec<i64> = handled.iter().map(|(_, s, _, _)| *s).collect();
    assert_eq!(seqs, (start + 1..=head(&app).await).collect::<Vec<_>>(), "every event after the start, once, in order");
    let ticks: Vec<String> =
        handled.iter().filter(|(_, _, _, t)| t == "tick.happened").map(|(_, _, id, _)| id.clone()).collect();
    assert_eq!(ticks, ids);
    let row = cursor(&app, "test.ordered").await.unwrap();
    assert_eq!((row.failures, row.last_error), (0, None), "the failures are forgotten after a success");
    node.stop().await;
}

#[tokio::test]
async fn a_subscriber_sees_only_the_types_it_wants_and_its_cursor_passes_the_rest() {
    let app = spawn_app().await;
    let (owner, org) = app.owned_org("Picky").await;
    let log = Log::default();
    let mut sub = recorder("test.picky", "a", &log);
    sub.only_prefix = Some("invoice.");
    let node = Node::start(&app, vec![sub]);
    wait_cursor(&app, "test.picky").await;
    let mut invoices = Vec::new();
    for i in 0..20 {
        let t = if i % 3 == 0 { "invoice.paid" } else { "order.placed" };
        let id = id_of(&publish(&owner.client, org, t, json!({})).await);
        if t == "invoice.paid" {
            invoices.push(id);
        }
    }
    wait_caught_up(&app, "test.picky").await;
    assert_eq!(handled_ids(&log), invoices);
    node.stop().await;
}

#[tokio::test]
async fn one_node_at_a_time_holds_a_consumer_and_another_takes_over_when_it_stops() {
    let app = spawn_app().await;
    let (owner, org) = app.owned_org("Clustered").await;
    let log = Log::default();
    let a = Node::start(&app, vec![recorder("test.shared", "a", &log)]);
    let b = Node::start(&app, vec![recorder("test.shared", "b", &log)]);
    wait_cursor(&app, "test.shared").await;

    let first = publish_n(&owner.client, org, "tick.happened", 60).await;
    wait_caught_up(&app, "test.shared").await;
    let handled = handled_ids(&log);
    let ticks: Vec<&String> = handled.iter().filter(|id| first.contains(id)).collect();
    assert_eq!(ticks.len(), 60, "each once, by one node or the other");
    let mut unique = handled.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), handled.len(), "nothing handled twice");

    // Stop whichever node holds it: the other takes over and goes on from the cursor.
    let holder = cursor(&app, "test.shared").await.unwrap().leased_by;
    assert!(holder.is_some(), "a node holds the consumer");
    let last_node = log.lock().unwrap().last().map(|(n, _, _, _)| *n).unwrap();
    let (stopping, staying, other) = if last_node == "a" { (a, b, "b") } else { (b, a, "a") };
    stopping.stop().await;
    let row = cursor(&app, "test.shared").await.unwrap();
    assert_ne!(row.leased_by, holder, "the stopped node let go: {row:?}");
    let before = log.lock().unwrap().len();
    let second = publish_n(&owner.client, org, "tock.happened", 30).await;
    wait_caught_up(&app, "test.shared").await;
    let after: Vec<_> = log.lock().unwrap()[before..].to_vec();
    let tocks: Vec<String> =
        after.iter().filter(|(_, _, _, t)| t == "tock.happened").map(|(_, _, id, _)| id.clone()).collect();
    assert_eq!(tocks, second, "every new event, once, in order");
    assert!(after.iter().all(|(n, _, _, _)| *n == other), "handled by the node that stayed");
    let seqs: Vec<i64> = log.lock().unwrap().iter().map(|(_, s, _, _)| *s).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "one unbroken sequence across the takeover: {seqs:?}");
    staying.stop().await;
}

#[tokio::test]
async fn a_restarted_node_goes_on_from_its_cursor() {
    let app = spawn_app().await;
    let (owner, org) = app.owned_org("Restarted").await;
    let log = Log::default();
    let node = Node::start(&app, vec![recorder("test.restart", "first run", &log)]);
    wait_cursor(&app, "test.restart").await;
    let before = publish_n(&owner.client, org, "tick.happened", 10).await;
    wait_caught_up(&app, "test.restart").await;
    node.stop().await;

    // Published while no node runs the consumer: the application relays them; nobody hands them over.
    let during = publish_n(&owner.client, org, "tock.happened", 10).await;
    wait_caught_up(&app, "webhooks.fanout").await;
    assert!(cursor(&app, "test.restart").await.unwrap().position < head(&app).await);

    let node = Node::start(&app, vec![recorder("test.restart", "second run", &log)]);
    wait_caught_up(&app, "test.restart").await;
    let handled = log.lock().unwrap().clone();
    let run = |name: &str| -> Vec<String> {
        handled
            .iter()
            .filter(|(n, _, _, t)| *n == name && (t == "tick.happened" || t == "tock.happened"))
            .map(|(_, _, id, _)| id.clone())
            .collect()
    };
    assert_eq!(run("first run"), before);
    assert_eq!(run("second run"), during, "exactly what was missed: nothing again, nothing skipped");
    node.stop().await;
}

#[tokio::test]
async fn a_subscriber_failing_every_batch_holds_back_only_itself() {
    let app = spawn_app().await;
    let (owner, org) = app.owned_org("Isolated").await;
    let (healthy_log, broken_log) = (Log::default(), Log::default());
    let mut broken = recorder("test.broken", "a", &broken_log);
    broken.fail_first = Arc::new(AtomicUsize::new(usize::MAX));
    let node = Node::start(&app, vec![broken, recorder("test.healthy", "a", &healthy_log)]);
    wait_cursor(&app, "test.healthy").await;
    wait_cursor(&app, "test.broken").await;
    // What happened before (the sign-up and the organization) is behind the healthy one.
    wait_caught_up(&app, "test.healthy").await;
    healthy_log.lock().unwrap().clear();
    let start = cursor(&app, "test.healthy").await.unwrap().position;
    let stuck_at = cursor(&app, "test.broken").await.unwrap().position;

    let ticks = publish_n(&owner.client, org, "tick.happened", 30).await;
    wait_caught_up(&app, "test.healthy").await;

    let handled = healthy_log.lock().unwrap().clone();
    let seqs: Vec<i64> = handled.iter().map(|(_, s, _, _)| *s).collect();
    assert_eq!(seqs, (start + 1..=head(&app).await).collect::<Vec<_>>(), "every event, once, in order");
    let got: Vec<String> = handled.iter().filter(|e| e.3 == "tick.happened").map(|e| e.2.clone()).collect();
    assert_eq!(got, ticks);
    let app_ref = &app;
    let failing = eventually("the broken subscriber's failure recorded", || async move {
        cursor(app_ref, "test.broken").await.filter(|c| c.failures >= 1)
    })
    .await;
    assert_eq!(failing.position, stuck_at, "a failed batch is not passed: {failing:?}");
    let why = failing.last_error.clone().unwrap_or_default();
    assert!(why.contains("refusing") && why.contains("on purpose"), "{why}");
    assert!(broken_log.lock().unwrap().is_empty());

    // It goes on failing (retried with backoff) while the other keeps up with new events.
    let tocks = publish_n(&owner.client, org, "tock.happened", 10).await;
    wait_caught_up(&app, "test.healthy").await;
    let got: Vec<String> =
        healthy_log.lock().unwrap().iter().filter(|e| e.3 == "tock.happened").map(|e| e.2.clone()).collect();
    assert_eq!(got, tocks);
    let before = failing.failures;
    let still = eventually("another failure of the broken subscriber", || async move {
        cursor(app_ref, "test.broken").await.filter(|c| c.failures > before)
    })
    .await;
    assert_eq!(still.position, stuck_at);
    assert!(still.last_error.is_some_and(|e| e.contains("refusing")), "the last error is kept");
    assert!(broken_log.lock().unwrap().is_empty());
    node.stop().await;
}
