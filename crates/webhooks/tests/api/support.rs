//! Helpers: the application configured for webhooks to loopback receivers, a
//! local receiver that records every request and answers from a script,
//! endpoints and their deliveries, and bounded polling (organizations, members
//! and published events come from the test kit's fixtures).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tessera_kernel::Clock;
use tessera_kernel::ids::OrgId;
use tessera_testkit::{TestApp, TestConfig, TestUser, id_of, spawn_app_with};

/// How often and how long the polls look (400 × 50 ms).
const POLLS: usize = 400;
const POLL_EVERY: Duration = Duration::from_millis(50);

/// The application with loopback targets allowed and a short retry schedule
/// (three attempts, 1 s apart), plus `more` configuration. The fan-out
/// consumer's cursor exists before the server answers (`Events::prepare` runs
/// in `tessera_server::build`), so the first event made is delivered too.
pub async fn hooks_app_with(more: impl FnOnce(&mut TestConfig)) -> TestApp {
    spawn_app_with(|cfg| {
        cfg.set("outbound.ssrf_allow", json!(["127.0.0.0/8"])).set("webhooks.retry_schedule_secs", json!([0, 1, 1]));
        more(cfg);
    })
    .await
}

pub async fn hooks_app() -> TestApp {
    hooks_app_with(|_| {}).await
}

/// What the receiver answers to one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// This status with an empty body.
    Status(u16),
    /// This status with these headers.
    WithHeaders(u16, Vec<(&'static str, String)>),
    /// 200 after this long.
    Slow(Duration),
    /// 200 with this many bytes of `x`.
    Big(usize),
    /// 200 with this text.
    Text(String),
    /// 302 to this location.
    Redirect(String),
    /// This status with `Retry-After` as an HTTP date this long after the request came.
    RetryAtDate(u16, Duration),
}

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Hit {
    pub method: String,
    pub path: String,
    /// Lowercase names.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub at: Instant,
    /// The sender's address: each node sends from its own connections.
    pub peer: Option<std::net::SocketAddr>,
}

impl Hit {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("the body is not JSON ({e})"))
    }

    pub fn event_type(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_owned()
    }

    pub fn event_id(&self) -> String {
        self.json()["id"].as_str().unwrap_or_default().to_owned()
    }
}

struct Inner {
    hits: Mutex<Vec<Hit>>,
    /// Requests being answered now, and the most there ever were at once.
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    script: Mutex<VecDeque<Reply>>,
    default: Mutex<Reply>,
}

/// A local HTTP server on 127.0.0.1 that records every request and answers the
/// scripted replies in turn, then its default reply. Stopped when dropped.
pub struct Receiver {
    pub port: u16,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Answers `reply` to everything.
    pub async fn start(reply: Reply) -> Self {
        Self::scripted(vec![], reply).await
    }

    /// Answers `first` in order, then `then` to everything after.
    pub async fn scripted(first: Vec<Reply>, then: Reply) -> Self {
        let inner = Arc::new(Inner {
            hits: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
            script: Mutex::new(first.into()),
            default: Mutex::new(then),
        });
        let app = axum::Router::new().fallback(answer).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
            let _ = axum::serve(listener, app).await;
        });
        Self { port, inner, task }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// From now on answer `reply` (after any scripted replies left).
    pub fn answer(&self, reply: Reply) {
        *self.inner.default.lock().unwrap() = reply;
    }

    /// The most requests it was answering at the same time.
    pub fn most_in_flight(&self) -> usize {
        self.inner.most_in_flight.load(Ordering::SeqCst)
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.inner.hits.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived; returns them all.
    pub async fn wait_hits(&self, n: usize) -> Vec<Hit> {
        for _ in 0..POLLS {
            let hits = self.hits();
            if hits.len() >= n {
                return hits;
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
        panic!("the receiver got {} requests, expected {n}", self.hits().len());
    }

    /// Waits for a request carrying an event of `event_type`; returns it.
    pub async fn wait_event(&self, event_type: &str) -> Hit {
        for _ in 0..POLLS {
            if let Some(hit) = self.hits().into_iter().find(|h| h.event_type() == event_type) {
                return hit;
            }
            tokio::time::sleep(POLL_EVERY).await;
        }
        let got: Vec<String> = self.hits().iter().map(Hit::event_type).collect();
        panic!("no {event_type} request arrived; got {got:?}");
    }

    /// The event types received, in arrival order.
    pub fn types(&self) -> Vec<String> {
        self.hits().iter().map(Hit::event_type).collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Counts a request in flight until dropped (also when the client gives up on it).
struct InFlight(Arc<Inner>);

impl InFlight {
    fn enter(inner: &Arc<Inner>) -> Self {
        let now = inner.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        inner.most_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(inner.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn answer(State(inner): State<Arc<Inner>>, req: axum::extract::Request) -> Response {
    let at = Instant::now();
    let _counted = InFlight::enter(&inner);
    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0);
    let (parts, body) = req.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 10 << 20).await.unwrap_or_default();
    let headers = flatten(&parts.headers);
    inner.hits.lock().unwrap().push(Hit {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        headers,
        body: body.to_vec(),
        at,
        peer,
    });
    let reply = inner.script.lock().unwrap().pop_front().unwrap_or_else(|| inner.default.lock().unwrap().clone());
    let status = |code: u16| StatusCode::from_u16(code).unwrap();
    match reply {
        Reply::Status(code) => status(code).into_response(),
        Reply::WithHeaders(code, headers) => {
            let mut map = HeaderMap::new();
            for (k, v) in headers {
                map.insert(HeaderName::from_static(k), HeaderValue::from_str(&v).unwrap());
            }
            (status(code), map).into_response()
        }
        Reply::Slow(wait) => {
            tokio::time::sleep(wait).await;
            StatusCode::OK.into_response()
        }
        Reply::Big(n) => (StatusCode::OK, "x".repeat(n)).into_response(),
        Reply::Text(text) => (StatusCode::OK, text).into_response(),
        Reply::Redirect(to) => (StatusCode::FOUND, [("location", to)]).into_response(),
        Reply::RetryAtDate(code, after) => {
            let now = UNIX_EPOCH + Duration::from_millis(Clock::system().now_ms().try_into().unwrap());
            (status(code), [("retry-after", httpdate::fmt_http_date(now + after))]).into_response()
        }
    }
}

fn flatten(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in headers {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        out.entry(k.as_str().to_owned()).and_modify(|e| *e = format!("{e}, {v}")).or_insert(v);
    }
    out
}

/// `/api/v1/orgs/{org}/webhooks` + `rest`.
pub fn hooks_path(org: OrgId, rest: &str) -> String {
    format!("/api/v1/orgs/{org}/webhooks{rest}")
}

/// Creates an endpoint with `body`; returns the answer's data (with its secret).
pub async fn create_endpoint(user: &TestUser, org: OrgId, body: Value) -> Value {
    let res = user.client.post(&hooks_path(org, ""), &body).await;
    assert_eq!(res.status, 201, "create endpoint: {}", res.text);
    res.data().clone()
}

/// Creates an endpoint posting `events` to `url`.
pub async fn endpoint(user: &TestUser, org: OrgId, url: &str, events: &[&str]) -> Value {
    create_endpoint(user, org, json!({ "url": url, "events": events })).await
}

/// The endpoint's deliveries, newest first (one page of 200).
pub async fn deliveries(user: &TestUser, org: OrgId, ep: &str) -> Vec<Value> {
    let res = user.client.get(&hooks_path(org, &format!("/{ep}/deliveries?limit=200"))).await;
    assert_eq!(res.status, 200, "deliveries: {}", res.text);
    res.data().as_array().unwrap().clone()
}

/// One delivery with its payload and attempt log.
pub async fn delivery(user: &TestUser, org: OrgId, ep: &str, id: &str) -> Value {
    let res = user.client.get(&hooks_path(org, &format!("/{ep}/deliveries/{id}"))).await;
    assert_eq!(res.status, 200, "delivery: {}", res.text);
    res.data().clone()
}

/// Waits until the endpoint has a delivery of `event_id` in `status`; returns it in full.
pub async fn wait_delivery(user: &TestUser, org: OrgId, ep: &str, event_id: &str, status: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..POLLS {
        let list = deliveries(user, org, ep).await;
        if let Some(d) = list.iter().find(|d| d["eventId"] == event_id) {
            if d["status"] == status {
                return delivery(user, org, ep, &id_of(d)).await;
            }
            last = d.clone();
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
    panic!("no {status} delivery of {event_id} to {ep}; last seen: {last}");
}

/// Waits until the endpoint has deliveries and every one is settled (DELIVERED or FAILED);
/// returns them. (Right after publishing, fan-out may not have made any yet: an empty list
/// is not taken for a settled one.)
pub async fn wait_settled(user: &TestUser, org: OrgId, ep: &str) -> Vec<Value> {
    for _ in 0..POLLS {
        let list = deliveries(user, org, ep).await;
        if !list.is_empty() && list.iter().all(|d| d["status"] == "DELIVERED" || d["status"] == "FAILED") {
            return list;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
    panic!("deliveries of {ep} still in flight: {:?}", deliveries(user, org, ep).await);
}

/// The endpoint as `GET` shows it.
pub async fn get_endpoint(user: &TestUser, org: OrgId, ep: &str) -> Value {
    let res = user.client.get(&hooks_path(org, &format!("/{ep}"))).await;
    assert_eq!(res.status, 200, "get endpoint: {}", res.text);
    res.data().clone()
}

/// Waits until the endpoint shows `isActive: false`; returns it.
pub async fn wait_disabled(user: &TestUser, org: OrgId, ep: &str) -> Value {
    for _ in 0..POLLS {
        let e = get_endpoint(user, org, ep).await;
        if e["isActive"] == false {
            return e;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
    panic!("the endpoint {ep} stayed active: {}", get_endpoint(user, org, ep).await);
}

/// The organization's relayed events of `types` (comma-separated), newest first, as `user` reads them.
pub async fn org_events(user: &TestUser, org: OrgId, types: &str) -> Vec<Value> {
    let res = user.client.get(&format!("/api/v1/orgs/{org}/events?limit=200&type={types}")).await;
    assert_eq!(res.status, 200, "events: {}", res.text);
    res.data().as_array().unwrap().clone()
}

/// Waits until the organization's history holds `n` events of `types`; returns them, newest first.
pub async fn wait_org_events(user: &TestUser, org: OrgId, types: &str, n: usize) -> Vec<Value> {
    for _ in 0..POLLS {
        let list = org_events(user, org, types).await;
        if list.len() >= n {
            return list;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
    panic!("fewer than {n} {types} events: {:?}", org_events(user, org, types).await);
}
