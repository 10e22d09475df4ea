//! How many attempts one endpoint has in flight at once: at most
//! `webhooks.max_in_flight_per_endpoint` on a node, however many deliveries wait.

use std::time::Duration;

use serde_json::json;

use tessera_testkit::{id_of, publish};

use crate::support::{Hit, Receiver, Reply, endpoint, hooks_app_with, wait_settled};

#[tokio::test]
async fn a_slow_endpoint_never_has_more_attempts_in_flight_than_allowed_and_gets_every_event() {
    let app = hooks_app_with(|cfg| {
        cfg.set("webhooks.max_in_flight_per_endpoint", json!(2));
    })
    .await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Slow(Duration::from_millis(700))).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.paid"]).await);

    let mut events = Vec::new();
    for n in 0..8 {
        events.push(id_of(&publish(&owner.client, org, "invoice.paid", json!({ "n": n })).await));
    }

    let hits = rx.wait_hits(8).await;
    let settled = wait_settled(&owner, org, &ep).await;
    assert_eq!(settled.len(), 8, "{settled:?}");
    for d in &settled {
        assert_eq!((d["status"].as_str(), d["attempts"].as_i64()), (Some("DELIVERED"), Some(1)), "{d}");
    }
    let mut received: Vec<String> = hits.iter().map(Hit::event_id).collect();
    received.sort();
    events.sort();
    assert_eq!(received, events, "every event arrived, once");
    // Eight slow answers were waiting to be sent: the endpoint had two at once, never more.
    assert_eq!(rx.most_in_flight(), 2, "requests the receiver was answering at the same time");
}
