//! Several nodes on one database share the deliveries, and an endpoint's
//! `rateLimitPerSecond` holds for all of them together, not for each.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;
use tessera_testkit::{Engine, TestApp, TestConfig, id_of, publish};

use crate::support::*;

/// Another node serving `first`'s database with `first`'s data key.
async fn another_node(first: &TestApp, more: impl FnOnce(&mut TestConfig)) -> TestApp {
    hooks_app_with(|cfg| {
        cfg.set("database.url", json!(first.database_url)).set("data.dir", json!(first.data_dir));
        more(cfg);
    })
    .await
}

/// Each node holds one delivery of the endpoint at a time and claims one at a
/// time, so both nodes take turns sending.
fn one_at_a_time(cfg: &mut TestConfig) {
    cfg.set("webhooks.max_in_flight_per_endpoint", json!(1)).set("webhooks.claim_batch", json!(1));
}

#[tokio::test]
async fn the_rate_limit_holds_for_all_nodes_together() {
    let app = hooks_app_with(one_at_a_time).await;
    // SQLite serves one node; the server engines get two.
    let other = match Engine::from_env() {
        Engine::Sqlite => None,
        _ => Some(another_node(&app, one_at_a_time).await),
    };
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let body = json!({ "url": rx.url(), "events": ["invoice.paid"], "rateLimitPerSecond": 4 });
    let ep = id_of(&create_endpoint(&owner, org, body).await);

    let mut published = HashSet::new();
    for n in 0..12 {
        published.insert(id_of(&publish(&owner.client, org, "invoice.paid", json!({ "n": n })).await));
    }

    let hits = rx.wait_hits(12).await;
    // Four a second: one slot every 250 ms, whichever node sends. Any six requests
    // span 1.25 s; at most five in any second leaves room for scheduling jitter
    // (two nodes limiting themselves separately would send eight a second).
    for w in hits.windows(6) {
        let span = w[5].at.duration_since(w[0].at);
        assert!(span >= Duration::from_secs(1), "six requests within {span:?}");
    }
    let got: HashSet<String> = hits.iter().map(|h| h.event_id()).collect();
    assert_eq!(got, published, "every event once");
    assert_eq!(hits.len(), 12, "no event twice");
    if other.is_some() {
        let senders: HashSet<_> = hits.iter().map(|h| h.peer).collect();
        assert!(senders.len() >= 2, "both nodes sent: {senders:?}");
    }
    let all = wait_settled(&owner, org, &ep).await;
    assert_eq!(all.len(), 12);
    assert!(all.iter().all(|d| d["status"] == "DELIVERED"), "{all:?}");
}

#[tokio::test]
async fn a_slow_attempt_is_never_sent_again_by_another_node_while_it_runs() {
    // Attempts take most of their 2 s timeout; the lease (2 × timeout + 5 s) outlasts them.
    let slow = |cfg: &mut TestConfig| {
        cfg.set("webhooks.attempt_timeout_secs", json!(2)).set("webhooks.claim_batch", json!(2));
    };
    let app = hooks_app_with(slow).await;
    let other = match Engine::from_env() {
        Engine::Sqlite => None,
        _ => Some(another_node(&app, slow).await),
    };
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Slow(Duration::from_millis(1_600))).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.paid"]).await);

    let mut published = HashSet::new();
    for n in 0..8 {
        published.insert(id_of(&publish(&owner.client, org, "invoice.paid", json!({ "n": n })).await));
    }

    let all = wait_settled(&owner, org, &ep).await;
    assert_eq!(all.len(), 8);
    assert!(all.iter().all(|d| d["status"] == "DELIVERED" && d["attempts"] == 1), "{all:?}");
    // A copy sent by the other node would have landed by now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let hits = rx.hits();
    let got: HashSet<String> = hits.iter().map(|h| h.event_id()).collect();
    assert_eq!(got, published);
    assert_eq!(hits.len(), 8, "an event arrived twice");
    drop(other);
}

#[tokio::test]
async fn an_event_published_on_any_node_is_delivered_at_once_on_postgres() {
    // Consumers that never poll within the test: only another node's word can wake them.
    let deaf = |cfg: &mut TestConfig| {
        cfg.set("events.consumer_poll_ms", json!(60_000));
    };
    if Engine::from_env() != Engine::Postgres {
        return; // SQLite serves one node; MySQL nodes wake on their poll
    }
    let a = hooks_app_with(deaf).await;
    let base = a.base_url.clone();
    let b = another_node(&a, |cfg| {
        deaf(cfg);
        cfg.set("server.public_url", json!(base)); // one issuer: the first node's tokens are good here
    })
    .await;
    let owner = a.signed_up_user().await;
    let org = a.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    id_of(&endpoint(&owner, org, &rx.url(), &["invoice.paid"]).await);
    // One node follows the log for webhooks; the other relays half of these events.
    let nodes = [a.with_token(&owner.access_token), b.with_token(&owner.access_token)];
    for n in 0..6 {
        let body = json!({ "type": "invoice.paid", "data": { "n": n } });
        let res = nodes[n % 2].post(&format!("/api/v1/orgs/{org}/events"), &body).await;
        assert_eq!(res.status, 202, "{}", res.text);
        let started = std::time::Instant::now();
        let hits = rx.wait_hits(n + 1).await;
        assert_eq!(hits.len(), n + 1);
        assert!(started.elapsed() < Duration::from_secs(10), "event {n} took {:?}", started.elapsed());
    }
}
