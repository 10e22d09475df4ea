//! Helpers (organizations, members, keys and published events come from the
//! test kit's fixtures): bounded waits for the relay, reads
//! of the event log behind the application's back, and a webhook receiver.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use tessera_events::testing::{event_cursors, event_log};
use tessera_kernel::ids::{EventId, OrgId};
use tessera_testkit::{Client, TestApp, TestResponse, id_of, spawn_app_with};

/// An application whose webhook endpoints may point at loopback receivers.
pub async fn spawn() -> TestApp {
    spawn_app_with(|cfg| {
        cfg.set("outbound.ssrf_allow", json!(["127.0.0.0/8"]));
    })
    .await
}

/// `POST /orgs/{org}/events` with any body.
pub async fn post_event(client: &Client, org: OrgId, body: &Value) -> TestResponse {
    client.post(&format!("/api/v1/orgs/{org}/events"), body).await
}

/// Waits (at most 10 s) until every event of `ids` is in the event log.
pub async fn wait_relayed(app: &TestApp, ids: &[String]) {
    let wanted: Vec<EventId> = ids.iter().map(|i| i.parse().unwrap()).collect();
    for _ in 0..200 {
        let found = event_log::Entity::find()
            .filter(event_log::Column::Id.is_in(wanted.clone()))
            .all(&app.core.db.conn)
            .await
            .unwrap();
        if found.len() == wanted.len() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} events were not relayed within 10 s", wanted.len());
}

/// Every page of `GET /orgs/{org}/events?{query}`, following `meta.nextCursor`.
pub async fn history(client: &Client, org: OrgId, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1_000 {
        let mut path = format!("/api/v1/orgs/{org}/events?{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let res = client.get(&path).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text);
        out.extend(res.data().as_array().unwrap().iter().cloned());
        match res.json["meta"]["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return out,
        }
    }
    panic!("more than 1000 pages");
}

/// The ids of a list of envelopes, in order.
pub fn ids(events: &[Value]) -> Vec<String> {
    events.iter().map(id_of).collect()
}

/// The event log, in `seq` order.
pub async fn event_log(app: &TestApp) -> Vec<event_log::Model> {
    event_log::Entity::find().order_by_asc(event_log::Column::Seq).all(&app.core.db.conn).await.unwrap()
}

/// A consumer's cursor row.
pub async fn cursor(app: &TestApp, consumer: &str) -> Option<event_cursors::Model> {
    event_cursors::Entity::find_by_id(consumer.to_owned()).one(&app.core.db.conn).await.unwrap()
}

/// The relay's head: the `seq` of the last relayed event.
pub async fn head(app: &TestApp) -> i64 {
    tessera_events::testing::head(&app.core.db.conn).await.unwrap()
}

/// Waits (at most 10 s) until `consumer`'s cursor reaches the relay's head and
/// the outbox is empty.
pub async fn wait_caught_up(app: &TestApp, consumer: &str) {
    let mut last = None;
    for _ in 0..200 {
        let pending = tessera_kernel::outbox::oldest(&app.core.db.conn, i64::MAX.unsigned_abs()).await.unwrap().len();
        let position = cursor(app, consumer).await.map(|c| c.position);
        let head = head(app).await;
        if pending == 0 && position == Some(head) {
            return;
        }
        last = Some((pending, position, head));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{consumer} did not catch up within 10 s: (outbox, position, head) = {last:?}");
}

/// A request a receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub body: Value,
}

/// A local HTTP server standing for a customer's webhook endpoint: answers 200
/// and records each request.
pub struct Receiver {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start() -> Self {
        use axum::extract::{Path, State};
        type Log = Arc<Mutex<Vec<Received>>>;
        async fn record(State(log): State<Log>, Path(path): Path<String>, body: axum::body::Bytes) -> &'static str {
            let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
            log.lock().unwrap().push(Received { path, body });
            "ok"
        }
        let received: Log = Arc::default();
        let router = axum::Router::new().route("/{*path}", axum::routing::post(record)).with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { addr, received }
    }

    /// The URL of one of its paths.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    /// Waits (at most 10 s) until a request to `path` carrying event type `event_type` came.
    pub async fn wait_for(&self, path: &str, event_type: &str) -> Received {
        for _ in 0..200 {
            let found =
                self.received.lock().unwrap().iter().find(|r| r.path == path && r.body["type"] == event_type).cloned();
            if let Some(r) = found {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no {event_type} reached /{path} within 10 s");
    }
}

/// Creates a webhook endpoint; returns its id.
pub async fn endpoint(owner: &Client, org: OrgId, url: &str, events: &[&str]) -> String {
    let res = owner.post(&format!("/api/v1/orgs/{org}/webhooks"), &json!({ "url": url, "events": events })).await;
    assert_eq!(res.status, 201, "create endpoint: {}", res.text);
    res.data()["id"].as_str().unwrap().to_owned()
}

/// Polls `probe` every 50 ms for at most 10 s until it answers `Some`.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..200 {
        if let Some(v) = probe().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not within 10 s");
}
