//! Webhook deliveries survive a node killed with SIGKILL. `tessera serve`
//! processes share one database (two nodes on PostgreSQL or MariaDB, one on
//! SQLite) and post custom events to a receiver in this test, which counts every
//! `webhook-id` it gets. Without a crash each event arrives exactly once; when a
//! node is killed mid-run and restarted, each still arrives at least once, and
//! the duplicates (attempts that were in flight when the node died) are reported:
//! written as JSON to `tessera-crash-report.json` in Cargo's test scratch dir
//! (`<target>/tmp/`), which `scripts/test` prints after each engine's run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use futures::StreamExt;
use serde_json::{Value, json};
use support::{Scratch, Server};
use tessera_testkit::{Client, Engine, Org, TestDatabase, TestUser, fresh_email};

/// Counts of each `webhook-id` received.
type Seen = Arc<Mutex<HashMap<String, u32>>>;

/// A receiver that counts ids and answers after `delay` ms.
async fn receiver(delay: Arc<AtomicU64>) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let counts = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap| {
            let (counts, delay) = (counts.clone(), delay.clone());
            async move {
                tokio::time::sleep(Duration::from_millis(delay.load(Ordering::Relaxed))).await;
                let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                *counts.lock().unwrap().entry(id).or_default() += 1;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

struct Cluster {
    scratch: Scratch,
    env: Vec<(String, String)>,
}

impl Cluster {
    fn node(&self) -> Server {
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Server::start(&self.scratch, &env)
    }
}

/// Publishes `n` custom events through `nodes` in turn; returns their ids.
async fn publish(http: reqwest::Client, nodes: Vec<String>, token: String, org: String, n: usize) -> HashSet<String> {
    let ids = futures::stream::iter(0..n)
        .map(|i| {
            let url = format!("{}/api/v1/orgs/{org}/events", nodes[i % nodes.len()]);
            let req = http.post(url).bearer_auth(&token).json(&json!({ "type": "load.tested", "data": { "i": i } }));
            async move {
                let res = req.send().await.unwrap();
                let status = res.status();
                let body: Value = res.json().await.unwrap();
                assert_eq!(status, 202, "{body}");
                body["data"]["id"].as_str().unwrap().to_owned()
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    ids.into_iter().collect()
}

/// Waits (at most `secs`) until every id in `want` was received; returns the missing ones.
async fn wait_for(seen: &Seen, want: &HashSet<String>, secs: u64) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let missing: Vec<String> = {
            let seen = seen.lock().unwrap();
            want.iter().filter(|id| !seen.contains_key(*id)).cloned().collect()
        };
        if missing.is_empty() || Instant::now() > deadline {
            return missing;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where the figures go: `<target>/tmp/tessera-crash-report.json`.
fn report_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("tessera-crash-report.json")
}

/// Writes the figures so far (before any assertion on them, so a failing run reports too).
fn write_report(report: &Value) {
    let path = report_path();
    let text = serde_json::to_string_pretty(report).unwrap();
    if let Err(e) = std::fs::create_dir_all(path.parent().unwrap()).and_then(|()| std::fs::write(&path, text + "\n")) {
        panic!("writing the crash report to {}: {e}", path.display());
    }
    eprintln!("crash test figures: {}", path.display());
}

fn duplicates(seen: &Seen, of: &HashSet<String>) -> u32 {
    let seen = seen.lock().unwrap();
    of.iter().map(|id| seen.get(id).copied().unwrap_or(0).saturating_sub(1)).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_arrives_when_a_node_is_killed_mid_run() {
    let engine = Engine::from_env();
    let scratch = Scratch::new();
    std::fs::create_dir_all(scratch.data()).unwrap();
    let db = TestDatabase::create(engine, &scratch.data()).await;
    let env = [
        ("TESSERA_DATABASE_URL", db.url.as_str()),
        ("TESSERA_SSRF_ALLOW", "127.0.0.0/8"),
        // One cluster behind one address: tokens issued by a node verify on the others.
        ("TESSERA_PUBLIC_URL", "http://tessera.test"),
        ("TESSERA_RATE_LIMIT__GLOBAL_PER_IP", "10000000"),
        ("TESSERA_WEBHOOKS__ATTEMPT_TIMEOUT_SECS", "2"),
        ("TESSERA_EVENTS__CONSUMER_LEASE_SECS", "5"),
        ("TESSERA_LOG", "warn"),
    ];
    let cluster = Cluster { env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(), scratch };
    // The first node creates the data key the others share; then the rest start.
    let first = cluster.node().ready().await;
    let mut second = match engine {
        Engine::Sqlite => None,
        _ => Some(cluster.node().ready().await),
    };
    let http = reqwest::Client::new();
    let email = fresh_email("crash");
    let owner = TestUser::register(&Client::at(&first.base), &email, "crash test password 4821").await;
    let org = Org::create(&owner, "Crash").await.id.to_string();
    let delay = Arc::new(AtomicU64::new(0));
    let (hook, seen) = receiver(delay.clone()).await;
    let res =
        owner.client.post(&format!("/api/v1/orgs/{org}/webhooks"), &json!({ "url": hook, "events": ["load.*"] })).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let token = owner.access_token.clone();
    let first_base = first.base.clone();
    let mut bases = vec![first.base.clone()];
    bases.extend(second.as_ref().map(|s| s.base.clone()));

    // Without a crash: each event exactly once.
    let calm = publish(http.clone(), bases.clone(), token.clone(), org.clone(), 2_000).await;
    let missing = wait_for(&seen, &calm, 120).await;
    let calm_dupes = duplicates(&seen, &calm);
    let mut report = json!({
        "engine": format!("{engine:?}").to_lowercase(),
        "nodes": bases.len(),
        "withoutCrash": { "events": calm.len(), "missing": missing.len(), "duplicates": calm_dupes },
        "withCrash": null,
    });
    write_report(&report);
    assert!(missing.is_empty(), "{} of 2000 events never arrived", missing.len());
    assert_eq!(calm_dupes, 0, "no node died, yet some events arrived twice");

    // A node killed with SIGKILL mid-run, then restarted.
    let mut victim = match second.take() {
        Some(node) => node,
        None => first,
    };
    let survivors: Vec<String> = bases.iter().filter(|b| **b != victim.base).cloned().collect();
    let publish_to = if survivors.is_empty() { bases.clone() } else { survivors };
    // A slower receiver, so the kill lands while deliveries are still queued and in flight.
    delay.store(25, Ordering::Relaxed);
    let publisher = tokio::spawn(publish(http.clone(), publish_to, token.clone(), org.clone(), 10_000));
    if victim.base == first_base {
        // One node: it takes the events, then dies while delivering them.
        while !publisher.is_finished() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().len() < calm.len() + 3_000 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    victim.signal("-KILL");
    let _ = victim.exit_status();
    let at_kill = seen.lock().unwrap().len() - calm.len();
    let restarted = cluster.node().ready().await;
    let stormy = publisher.await.unwrap();
    let missing = wait_for(&seen, &stormy, 180).await;
    let dupes = duplicates(&seen, &stormy);
    report["withCrash"] = json!({
        "events": stormy.len(), "receivedWhenKilled": at_kill, "missing": missing.len(), "duplicates": dupes,
    });
    write_report(&report);
    eprintln!(
        "crash test on {engine:?}: 10000 events, {at_kill} received when the node was killed, {} missing, {dupes} duplicates",
        missing.len()
    );
    assert!(missing.is_empty(), "{} of 10000 events never arrived after the crash: {}", missing.len(), restarted.log());
}
