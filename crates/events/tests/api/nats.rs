//! The NATS JetStream bridge, against the machine's NATS server
//! (`TESSERA_TEST_NATS_URL`, default `nats://127.0.0.1:4222`): every event
//! reaches the stream once, on `<prefix>.<orgId>.<type>` with `Nats-Msg-Id` =
//! its id and the envelope as payload; a batch handed over again, or a bridge
//! restarted after it published but before it recorded, adds nothing. Each test
//! has its own stream and subject prefix (parallel tests never meet) and deletes
//! the stream at the end. No NATS is a failure, not a skip.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream::{self, Context};
use futures::FutureExt;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, QueryFilter};
use serde_json::{Value, json};
use tessera_events::testing::event_cursors;
use tessera_testkit::{TestApp, TestConfig, id_of, publish, spawn_app, spawn_app_with};

use crate::support::{cursor, event_log, eventually, history, ids, wait_caught_up};

const CONSUMER: &str = "events.nats";

fn nats_url() -> String {
    std::env::var("TESSERA_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// JetStream on the machine's NATS server; panics with what to do when it is not there.
async fn jetstream() -> Context {
    let url = nats_url();
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(5))
        .connect(url.as_str())
        .await
        .unwrap_or_else(|e| {
            panic!("NATS is not reachable at {url}: {e}. The events suite needs NATS with JetStream (scripts/services starts it; TESSERA_TEST_NATS_URL points elsewhere)")
        });
    let js = jetstream::new(client);
    // A stream made and dropped at once: JetStream is on and this account may use it.
    let probe = format!("P_{}", uuid::Uuid::now_v7().simple());
    let config =
        jetstream::stream::Config { name: probe.clone(), subjects: vec![probe.to_lowercase()], ..Default::default() };
    if let Err(e) = js.create_stream(config).await {
        panic!("NATS at {url} answers but JetStream does not: {e}. Start nats-server with -js");
    }
    js.delete_stream(&probe).await.unwrap_or_else(|e| panic!("deleting the probe stream {probe}: {e}"));
    js
}

/// A stream name and subject prefix of one test.
struct Names {
    stream: String,
    prefix: String,
}

impl Names {
    fn new() -> Self {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        Self { stream: format!("T_{tag}"), prefix: format!("t{tag}") }
    }

    fn configure(&self, cfg: &mut TestConfig) {
        cfg.set("events.nats_url", json!(nats_url()))
            .set("events.nats_stream", json!(self.stream))
            .set("events.nats_subject_prefix", json!(self.prefix))
            // A cursor moved behind the bridge's back is read again within seconds.
            .set("events.consumer_lease_secs", json!(5));
    }
}

/// Runs `body`, then deletes the stream whatever happened.
async fn with_stream(js: &Context, names: &Names, body: impl std::future::Future<Output = ()>) {
    let outcome = std::panic::AssertUnwindSafe(body).catch_unwind().await;
    let deleted = js.delete_stream(&names.stream).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    deleted.unwrap_or_else(|e| panic!("deleting the stream {}: {e}", names.stream));
}

/// One message of the stream.
struct Message {
    sequence: u64,
    subject: String,
    msg_id: String,
    payload: Value,
}

/// Every message in the stream, in stream order.
async fn messages(js: &Context, name: &str) -> Vec<Message> {
    let mut stream = js.get_stream(name).await.unwrap_or_else(|e| panic!("the bridge created stream {name}: {e}"));
    let state = &stream.info().await.unwrap().state;
    let (count, first, last) = (state.messages, state.first_sequence, state.last_sequence);
    let mut out = Vec::new();
    if count == 0 {
        return out;
    }
    for seq in first..=last {
        let m = stream.get_raw_message(seq).await.unwrap_or_else(|e| panic!("message {seq}: {e}"));
        let msg_id = m.headers.get("Nats-Msg-Id").map(|v| v.as_str().to_owned()).unwrap_or_default();
        let payload = serde_json::from_slice(&m.payload).unwrap_or(Value::Null);
        out.push(Message { sequence: m.sequence, subject: m.subject.to_string(), msg_id, payload });
    }
    out
}

/// Asserts the stream holds every logged event exactly once, as the bridge describes it.
async fn assert_each_event_once(app: &TestApp, js: &Context, names: &Names) -> Vec<Message> {
    let log = event_log(app).await;
    let msgs = messages(js, &names.stream).await;
    let mut count: HashMap<&str, usize> = HashMap::new();
    for m in &msgs {
        *count.entry(m.msg_id.as_str()).or_default() += 1;
    }
    let logged: Vec<String> = log.iter().map(|r| r.id.to_string()).collect();
    for id in &logged {
        assert_eq!(count.get(id.as_str()), Some(&1), "event {id} is in the stream once");
    }
    assert_eq!(msgs.len(), log.len(), "nothing else is in the stream");
    let by_id: HashMap<&str, &Message> = msgs.iter().map(|m| (m.msg_id.as_str(), m)).collect();
    for row in &log {
        let m = by_id[row.id.to_string().as_str()];
        let scope = row.org_id.map_or_else(|| "platform".to_owned(), |o| o.to_string());
        assert_eq!(m.subject, format!("{}.{scope}.{}", names.prefix, row.event_type));
        assert_eq!(m.payload["id"], row.id.to_string(), "Nats-Msg-Id is the event id");
        assert_eq!(m.payload["type"], row.event_type.as_str());
        assert_eq!(m.payload["orgId"], row.org_id.map_or(Value::Null, |o| json!(o.to_string())));
        assert_eq!(m.payload["data"], row.data);
        assert_eq!(m.payload["actor"], row.actor);
    }
    // Stream order is log order.
    let stream_order: Vec<&str> = msgs.iter().map(|m| m.msg_id.as_str()).collect();
    assert_eq!(stream_order, logged.iter().map(String::as_str).collect::<Vec<_>>());
    msgs
}

/// Moves the bridge's cursor `n` events back, as if its last batches had never
/// been recorded, and waits until it handed them over again and is back at the head.
async fn replay_last(app: &TestApp, n: i64) {
    let head = crate::support::head(app).await;
    event_cursors::Entity::update_many()
        .col_expr(event_cursors::Column::Position, Expr::col(event_cursors::Column::Position).sub(n))
        .col_expr(event_cursors::Column::UpdatedAt, Expr::value(0))
        .filter(event_cursors::Column::Consumer.eq(CONSUMER))
        .exec(app.core.db.writer())
        .await
        .unwrap();
    eventually("the bridge handed the events over again", || async move {
        let c = cursor(app, CONSUMER).await?;
        (c.position == head && c.updated_at != 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn every_event_reaches_the_stream_once_and_a_replayed_batch_adds_nothing() {
    let js = jetstream().await;
    let names = Names::new();
    let app = spawn_app_with(|cfg| names.configure(cfg)).await;
    with_stream(&js, &names, async {
        let app = &app;
        eventually("the bridge's cursor", || async move { cursor(app, CONSUMER).await }).await;
        let (owner, org) = app.owned_org("Streamed").await;
        let mut published = Vec::new();
        for i in 0..30 {
            let t = if i % 2 == 0 { "invoice.paid" } else { "order.placed" };
            published.push(publish(&owner.client, org, t, json!({ "i": i, "nested": { "ok": true } })).await);
        }
        wait_caught_up(app, CONSUMER).await;
        let msgs = assert_each_event_once(app, &js, &names).await;
        // The custom events' payloads are the envelopes the API answered.
        let by_id: HashMap<&str, &Message> = msgs.iter().map(|m| (m.msg_id.as_str(), m)).collect();
        for event in &published {
            let m = by_id[id_of(event).as_str()];
            assert_eq!(m.payload, *event);
            assert_eq!(m.subject, format!("{}.{org}.{}", names.prefix, event["type"].as_str().unwrap()));
        }
        // … and the history agrees.
        let listed = history(&owner.client, org, "type=invoice.paid,order.placed&limit=200").await;
        assert_eq!(ids(&listed).into_iter().rev().collect::<Vec<_>>(), ids(&published));
        let platform = msgs.iter().filter(|m| m.subject.starts_with(&format!("{}.platform.", names.prefix))).count();
        assert!(platform >= 1, "platform events (user.created) go to <prefix>.platform.*");

        // The bridge hands the last 20 events over again: JetStream drops the copies.
        let last_sequence = msgs.last().unwrap().sequence;
        replay_last(app, 20).await;
        let again = assert_each_event_once(app, &js, &names).await;
        assert_eq!(again.last().unwrap().sequence, last_sequence, "no message was added");
    })
    .await;
}

#[tokio::test]
async fn a_bridge_restarted_on_the_same_database_publishes_what_it_missed_once() {
    let js = jetstream().await;
    let names = Names::new();
    // The keeper owns the database and serves the API, without a bridge; the
    // bridge runs in nodes started on the keeper's database and data dir.
    let keeper = spawn_app().await;
    let (db, dir) = (keeper.database_url.clone(), keeper.data_dir.clone());
    let on_keepers_database = |cfg: &mut TestConfig| {
        names.configure(cfg);
        cfg.set("database.url", json!(db)).set("data.dir", json!(dir));
    };
    let first = spawn_app_with(on_keepers_database).await;
    with_stream(&js, &names, async {
        let app = &keeper;
        eventually("the bridge's cursor", || async move { cursor(app, CONSUMER).await }).await;
        let (owner, org) = app.owned_org("Restarted").await;
        let mut published = Vec::new();
        for i in 0..20 {
            published.push(id_of(&publish(&owner.client, org, "tick.happened", json!({ "i": i })).await));
        }
        wait_caught_up(app, CONSUMER).await;
        assert_each_event_once(app, &js, &names).await;
        first.stop().await;
        let row = cursor(app, CONSUMER).await.unwrap();
        assert_eq!(row.leased_by, None, "a node that stops lets go of the bridge");

        // While no bridge runs: more events, and the cursor as it would stand had the
        // node died after publishing its last batches but before recording them.
        for i in 0..20 {
            published.push(id_of(&publish(&owner.client, org, "tock.happened", json!({ "i": i })).await));
        }
        event_cursors::Entity::update_many()
            .col_expr(event_cursors::Column::Position, Expr::col(event_cursors::Column::Position).sub(10))
            .filter(event_cursors::Column::Consumer.eq(CONSUMER))
            .exec(app.core.db.writer())
            .await
            .unwrap();
        let before = messages(&js, &names.stream).await.len();

        let second = spawn_app_with(on_keepers_database).await;
        wait_caught_up(app, CONSUMER).await;
        let msgs = assert_each_event_once(app, &js, &names).await;
        assert_eq!(msgs.len(), before + 20, "only the 20 new events were added");
        let in_stream: Vec<&str> = msgs.iter().map(|m| m.msg_id.as_str()).collect();
        assert!(published.iter().all(|id| in_stream.contains(&id.as_str())));
        second.stop().await;
    })
    .await;
}
