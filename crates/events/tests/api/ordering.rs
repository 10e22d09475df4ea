//! The relay numbers every committed event once, without gaps, in the order
//! every consumer then follows, however many relays run at once; webhook
//! fan-out (a consumer) follows the log to its head.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tessera_events::testing::Relay;
use tessera_testkit::{id_of, publish};
use tokio::sync::Notify;

use crate::support::{event_log, head, spawn, wait_caught_up, wait_relayed};

/// Asserts the log is numbered 1, 2, 3, … and the relay's head is its last number.
async fn assert_numbered_without_gaps(
    app: &tessera_testkit::TestApp,
) -> Vec<tessera_events::testing::event_log::Model> {
    let log = event_log(app).await;
    for (i, row) in log.iter().enumerate() {
        assert_eq!(row.seq, i as i64 + 1, "seq without gaps at {i}: {:?}", row.event_type);
    }
    assert_eq!(head(app).await, log.len() as i64, "the head is the last number");
    log
}

#[tokio::test]
async fn three_hundred_events_are_logged_once_each_in_publish_order() {
    let app = spawn().await;
    let (owner, org) = app.owned_org("Busy").await;
    // Fan-out has an endpoint to look up for every event.
    crate::support::endpoint(&owner.client, org, "http://127.0.0.1:9/", &["nothing.matches"]).await;
    let mut published = Vec::new();
    for i in 0..300 {
        published.push(id_of(&publish(&owner.client, org, "tick.happened", json!({ "i": i })).await));
    }
    wait_relayed(&app, &published).await;

    let log = assert_numbered_without_gaps(&app).await;
    let ticks: Vec<_> = log.iter().filter(|r| r.event_type == "tick.happened").collect();
    assert_eq!(ticks.len(), 300, "each exactly once");
    let logged: Vec<String> = ticks.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(logged, published, "in the order they were published");
    let seqs: Vec<i64> = ticks.iter().map(|r| r.seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "one after another: nothing else came between");
    for (i, row) in ticks.iter().enumerate() {
        assert_eq!(row.data, json!({ "i": i }));
    }
    // Webhook fan-out follows the log to its head.
    wait_caught_up(&app, "webhooks.fanout").await;
}

#[tokio::test]
async fn concurrent_publishers_and_relays_never_share_or_skip_a_number() {
    let app = spawn().await;
    let (owner, org) = app.owned_org("Busy").await;
    // Four more relays beside the application's own, as four more nodes would run.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut relays = Vec::new();
    for n in 0..4 {
        let relay = Arc::new(Relay::new(app.core.clone(), 7 + n, Duration::from_millis(5), Arc::new(Notify::new())));
        relays.push(relay.start(stop_rx.clone()));
    }
    let mut publishers = Vec::new();
    for p in 0..10 {
        let (client, org) = (owner.client.clone(), org);
        publishers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..30 {
                ids.push(id_of(&publish(&client, org, "tick.happened", json!({ "p": p, "i": i })).await));
            }
            ids
        }));
    }
    let mut published = Vec::new();
    for p in publishers {
        published.push(p.await.unwrap());
    }
    let all: Vec<String> = published.concat();
    wait_relayed(&app, &all).await;
    let _ = stop_tx.send(true);
    for r in relays {
        r.await.unwrap();
    }

    let log = assert_numbered_without_gaps(&app).await;
    let mut count: HashMap<String, usize> = HashMap::new();
    for row in &log {
        *count.entry(row.id.to_string()).or_default() += 1;
    }
    assert!(count.values().all(|n| *n == 1), "no event twice");
    assert!(all.iter().all(|id| count.get(id) == Some(&1)), "every event once");
    // Each publisher's events, published one after another, keep their order.
    let seq_of: HashMap<String, i64> = log.iter().map(|r| (r.id.to_string(), r.seq)).collect();
    for ids in &published {
        let seqs: Vec<i64> = ids.iter().map(|id| seq_of[id]).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "one publisher's events in order: {seqs:?}");
    }
    wait_caught_up(&app, "webhooks.fanout").await;
}

#[tokio::test]
async fn a_relay_step_moves_what_is_in_the_outbox_and_nothing_twice() {
    use tessera_kernel::outbox;
    let app = spawn().await;
    let (_, org) = app.owned_org("Quiet").await;
    let relay = Relay::new(app.core.clone(), 3, Duration::from_millis(5), Arc::new(Notify::new()));
    wait_caught_up(&app, "webhooks.fanout").await;
    // Events written straight into the outbox, as a module's transaction does. The
    // application's relay may take some: together, every one is moved exactly once.
    let mut ids = Vec::new();
    for i in 0..10 {
        let id = tessera_kernel::ids::EventId::new();
        let now = app.core.clock.now_ms();
        outbox::record_as(
            app.core.db.writer(),
            id,
            now,
            "tick.happened",
            Some(org),
            json!({"type": "system"}),
            json!({ "i": i }),
        )
        .await
        .unwrap();
        ids.push(id.to_string());
    }
    let mut moved = 0;
    for _ in 0..10 {
        let n = relay.step().await.unwrap();
        assert!(n <= 3, "at most a batch: {n}");
        moved += n;
    }
    assert_eq!(relay.step().await.unwrap(), 0, "an empty outbox moves nothing");
    assert!(!outbox::any_pending(&app.core.db.conn).await.unwrap());
    assert!(moved <= 10);
    wait_relayed(&app, &ids).await;
    let log = assert_numbered_without_gaps(&app).await;
    let logged: Vec<String> =
        log.iter().filter(|r| r.event_type == "tick.happened").map(|r| r.id.to_string()).collect();
    assert_eq!(logged, ids, "once each, in id order");
}

#[tokio::test]
async fn the_largest_batch_the_configuration_allows_is_relayed() {
    use tessera_kernel::ActorRef;
    use tessera_kernel::outbox::{self, NewEvent};
    let app = tessera_testkit::spawn_app_with(|cfg| {
        cfg.set("events.relay_batch", json!(10_000));
    })
    .await;
    let (_, org) = app.owned_org("Bulk").await;
    // 9,000 events committed at once, as a bulk import's transaction would: one batch
    // for the relay, more values than one statement may bind on any engine.
    let now = app.core.clock.now_ms();
    let events: Vec<NewEvent> = (0..9_000)
        .map(|i| {
            let mut e = NewEvent::new("row.imported", ActorRef::System, json!({ "i": i }));
            e.org_id = Some(org);
            e
        })
        .collect();
    let txn = app.core.db.begin_write().await.unwrap();
    let ids = outbox::record_many(&*txn, now, events).await.unwrap();
    txn.commit().await.unwrap();
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();

    wait_relayed(&app, &ids).await;
    let log = assert_numbered_without_gaps(&app).await;
    let logged: Vec<String> = log.iter().filter(|r| r.event_type == "row.imported").map(|r| r.id.to_string()).collect();
    assert_eq!(logged, ids, "once each, in order");
}
