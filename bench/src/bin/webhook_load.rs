//! The events and webhooks benchmark (issue 5), run by bench/run against
//! running tessera nodes: signs up, creates an organization and one endpoint
//! pointing at a receiver in this process, then measures
//! 1. custom events accepted per second (`POST /orgs/{id}/events`, CONNS in flight, spread over the nodes);
//! 2. deliveries per second, two ways: (a) end to end, a burst of new events through the outbox, relay,
//!    fan-out and dispatcher, from the first publish to the last arrival; (b) the dispatcher alone: the
//!    receiver first refuses (503) so each delivery of a second burst fails its only attempt, then
//!    accepts, and `POST …/recover` queues the whole backlog at once; the drain is timed;
//! 3. event-to-delivery latency at a steady RATE events/s: from the publish answer to the receiver's arrival.
//!
//! Prints one JSON document. Nodes must run with `webhooks.retry_schedule_secs = [0]` and the receiver's
//! loopback address allowed (`TESSERA_SSRF_ALLOW=127.0.0.0/8`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Receiver {
    refuse: AtomicBool,
    requests: AtomicU64,
    ok: Mutex<HashMap<String, Instant>>,
}

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned()).unwrap_or_else(|| default.to_owned())
}

async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut req = http.post(url).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Publishes `n` events, `conns` in flight, paced to `rate`/s when given; returns (id, accepted at) pairs.
async fn publish(
    http: &reqwest::Client,
    nodes: &[String],
    token: &str,
    org: &str,
    n: usize,
    conns: usize,
    rate: Option<f64>,
) -> Vec<(String, Instant)> {
    use futures::StreamExt;
    let start = Instant::now();
    futures::stream::iter(0..n)
        .map(|i| {
            let url = format!("{}/api/v1/orgs/{org}/events", nodes[i % nodes.len()]);
            let body = json!({ "type": "bench.ping", "data": { "i": i, "pad": "x".repeat(200) } });
            async move {
                if let Some(rate) = rate {
                    let due = start + Duration::from_secs_f64(i as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let (status, res) = post(http, url, Some(token), &body).await;
                assert_eq!(status, 202, "publish: {res}");
                (res["data"]["id"].as_str().unwrap().to_owned(), Instant::now())
            }
        })
        .buffer_unordered(conns)
        .collect()
        .await
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

async fn wait_count(rx: &Receiver, want: usize, secs: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if rx.ok.lock().unwrap().len() >= want {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::main]
async fn main() {
    let nodes: Vec<String> = arg("--nodes", "http://127.0.0.1:3950").split(',').map(str::to_owned).collect();
    let burst: usize = arg("--burst", "20000").parse().unwrap();
    let conns: usize = arg("--conns", "32").parse().unwrap();
    let rate: f64 = arg("--rate", "1000").parse().unwrap();
    let steady_secs: f64 = arg("--steady-secs", "10").parse().unwrap();
    let http = reqwest::Client::builder().pool_max_idle_per_host(conns * 2).build().unwrap();

    // The receiver.
    let rx = Arc::new(Receiver { refuse: AtomicBool::new(false), requests: AtomicU64::new(0), ok: Mutex::default() });
    let state = rx.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let rx = state.clone();
            async move {
                rx.requests.fetch_add(1, Ordering::Relaxed);
                if rx.refuse.load(Ordering::Relaxed) {
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                rx.ok.lock().unwrap().entry(id).or_insert_with(Instant::now);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // An account, an organization, an endpoint.
    let base = &nodes[0];
    let email = format!("webhook-bench-{}@example.com", uuid::Uuid::now_v7().simple());
    let password = "webhook bench password 991";
    let (s, r) = post(
        &http,
        format!("{base}/api/v1/auth/register"),
        None,
        &json!({"email": email, "password": password, "name": "bench"}),
    )
    .await;
    assert_eq!(s, 201, "register: {r}");
    let (s, r) =
        post(&http, format!("{base}/api/v1/auth/login"), None, &json!({"email": email, "password": password})).await;
    assert_eq!(s, 200, "login: {r}");
    let token = r["data"]["accessToken"].as_str().unwrap().to_owned();
    let (s, r) = post(&http, format!("{base}/api/v1/orgs"), Some(&token), &json!({"name": "webhook bench"})).await;
    assert_eq!(s, 201, "org: {r}");
    let org = r["data"]["id"].as_str().unwrap().to_owned();
    let (s, r) = post(
        &http,
        format!("{base}/api/v1/orgs/{org}/webhooks"),
        Some(&token),
        &json!({"url": hook, "events": ["bench.*"]}),
    )
    .await;
    assert_eq!(s, 201, "endpoint: {r}");
    let endpoint = r["data"]["id"].as_str().unwrap().to_owned();

    // Warm-up: 500 events delivered.
    let warm = publish(&http, &nodes, &token, &org, 500, conns, None).await;
    assert!(wait_count(&rx, warm.len(), 60).await, "warm-up deliveries did not arrive");
    tokio::time::sleep(Duration::from_secs(2)).await;

    // 2a: a burst of new events, end to end.
    let t_fresh = Instant::now();
    let fresh = publish(&http, &nodes, &token, &org, burst, conns, None).await;
    let fresh_drained = wait_count(&rx, warm.len() + burst, 300).await;
    let fresh_secs = {
        let ok = rx.ok.lock().unwrap();
        fresh
            .iter()
            .filter_map(|(id, _)| ok.get(id))
            .max()
            .map_or(f64::NAN, |l| l.duration_since(t_fresh).as_secs_f64())
    };
    tokio::time::sleep(Duration::from_secs(3)).await; // its outcome events pass through the relay

    // 1 + 2b: the burst, refused, then recovered.
    rx.refuse.store(true, Ordering::Relaxed);
    let before_requests = rx.requests.load(Ordering::Relaxed);
    let t0 = Instant::now();
    let burst_ids = publish(&http, &nodes, &token, &org, burst, conns, None).await;
    let publish_secs = t0.elapsed().as_secs_f64();
    // Every delivery fails its one attempt.
    let deadline = Instant::now() + Duration::from_secs(300);
    while rx.requests.load(Ordering::Relaxed) - before_requests < burst as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refused_secs = t0.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await; // outcomes recorded
    rx.refuse.store(false, Ordering::Relaxed);
    let have = rx.ok.lock().unwrap().len();
    let since = "2000-01-01T00:00:00Z"; // the database is this run's own: every failure is the burst's
    let t1 = Instant::now();
    let (s, r) = post(
        &http,
        format!("{base}/api/v1/orgs/{org}/webhooks/{endpoint}/recover"),
        Some(&token),
        &json!({"since": since}),
    )
    .await;
    assert_eq!(s, 202, "recover: {r}");
    let queued = r["data"]["queued"].as_u64().unwrap_or(0);
    let drained = wait_count(&rx, have + burst, 300).await;
    let drain_secs = {
        let ok = rx.ok.lock().unwrap();
        burst_ids
            .iter()
            .filter_map(|(id, _)| ok.get(id))
            .max()
            .map_or(f64::NAN, |last| last.duration_since(t1).as_secs_f64())
    };

    // Let the outcome events of the drain (webhook.delivered) pass through the relay first.
    tokio::time::sleep(Duration::from_secs(5)).await;
    // 3: steady rate, latency from accepted to received.
    let n = (rate * steady_secs) as usize;
    let steady = publish(&http, &nodes, &token, &org, n, conns.max(64), Some(rate)).await;
    let steady_done = wait_count(&rx, have + burst + n, 120).await;
    let mut lat: Vec<f64> = {
        let ok = rx.ok.lock().unwrap();
        steady
            .iter()
            .filter_map(|(id, acc)| ok.get(id).map(|got| got.saturating_duration_since(*acc).as_secs_f64() * 1e3))
            .collect()
    };
    let early = {
        let ok = rx.ok.lock().unwrap();
        steady.iter().filter(|(id, acc)| ok.get(id).is_some_and(|got| got < acc)).count()
    };
    lat.sort_by(f64::total_cmp);
    let out = json!({
        "nodes": nodes.len(),
        "burst": burst,
        "conns": conns,
        "accepted_per_s": burst as f64 / publish_secs,
        "publish_secs": publish_secs,
        "refused_all_secs": refused_secs,
        "recover_queued": queued,
        "drained": drained,
        "drain_secs": drain_secs,
        "deliveries_per_s": burst as f64 / drain_secs,
        "fresh_drained": fresh_drained,
        "fresh_secs": fresh_secs,
        "fresh_delivered_per_s": burst as f64 / fresh_secs,
        "steady_rate": rate,
        "steady_events": n,
        "steady_delivered": lat.len(),
        "steady_all_delivered": steady_done,
        "steady_arrived_before_answer": early,
        "latency_ms_p50": pct(&lat, 0.50),
        "latency_ms_p90": pct(&lat, 0.90),
        "latency_ms_p99": pct(&lat, 0.99),
        "latency_ms_max": lat.last().copied().unwrap_or(f64::NAN),
    });
    println!("{out}");
}
