//! New deliveries skip the queue: the fan-out writes those its node can start
//! leased to that node and attempts them at once. A fan-out that runs again over
//! the same events (a node died before its cursor moved) writes nothing new, so
//! it sends nothing twice, and the per-endpoint limit holds for handed-over work.

use std::collections::HashSet;
use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::json;
use tessera_testkit::{TestUser, id_of, publish};

use crate::support::*;

#[tokio::test]
async fn a_fan_out_run_again_over_delivered_events_sends_none_of_them_twice() {
    let mut first = hooks_app_with(|_| {}).await;
    let owner = first.signed_up_user().await;
    let org = first.create_org(&owner, "Acme").await.id;
    let rx = Receiver::start(Reply::Status(200)).await;
    let ep = id_of(&endpoint(&owner, org, &rx.url(), &["invoice.paid"]).await);
    let mut published = HashSet::new();
    for n in 0..5 {
        published.insert(id_of(&publish(&owner.client, org, "invoice.paid", json!({ "n": n })).await));
    }
    rx.wait_hits(5).await;
    assert_eq!(wait_settled(&owner, org, &ep).await.len(), 5);

    // The node stops, and its fan-out is put back to the start of the log, as if it had
    // died after writing the deliveries and before its cursor moved past them.
    first.halt().await;
    let rewind = "UPDATE event_cursors SET position = 0, leased_by = NULL, lease_until = NULL \
                  WHERE consumer = 'webhooks.fanout'";
    assert_eq!(first.core.db.conn.execute_unprepared(rewind).await.unwrap().rows_affected(), 1);
    let base = first.base_url.clone();
    let second = hooks_app_with(|cfg| {
        cfg.set("database.url", json!(first.database_url))
            .set("data.dir", json!(first.data_dir))
            .set("server.public_url", json!(base)); // the first node's tokens are good here
    })
    .await;
    let owner = TestUser { client: second.with_token(&owner.access_token), ..owner };
    // The next node's fan-out reads all six events; only the new one is sent.
    published.insert(id_of(&publish(&owner.client, org, "invoice.paid", json!({ "n": 5 })).await));
    let hits = rx.wait_hits(6).await;
    let all = wait_settled(&owner, org, &ep).await;
    assert_eq!(all.len(), 6, "{all:?}");
    assert!(all.iter().all(|d| d["status"] == "DELIVERED" && d["attempts"] == 1), "{all:?}");
    // A second copy of an early event would have landed by now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let hits_now = rx.hits();
    let got: HashSet<String> = hits_now.iter().map(|h| h.event_id()).collect();
    assert_eq!(got, published);
    assert_eq!((hits.len(), hits_now.len()), (6, 6), "an event arrived twice");
}
